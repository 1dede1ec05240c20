"""Which OpenID Connect provider the staff web app signs in through, from the settings
(HHB_OIDC_*): read by the sign-in page (to offer it) and by the flow itself (`oidc.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from huishoudboekje.config import Settings

from .core import BASE

CALLBACK = f"{BASE}/inloggen/oidc/terug"


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str | None
    name: str
    require_mfa: bool
    mfa_acr: tuple[str, ...]
    redirect_uri: str
    only: bool  # the password and TOTP form is off


def provider_of(settings: Settings) -> Provider | None:
    """The configured provider, or None (no OIDC sign-in)."""
    if not settings.oidc_issuer or not settings.oidc_client_id:
        return None
    return Provider(settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret,
                    settings.oidc_name or urlsplit(settings.oidc_issuer).hostname or settings.oidc_issuer,
                    settings.oidc_require_mfa, tuple(settings.oidc_mfa_acr),
                    settings.public_url.rstrip("/") + CALLBACK, settings.oidc_only)
