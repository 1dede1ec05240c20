"""Failed sign-ins, counted per client and per credential, and who the client is."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from fastapi import Request

from huishoudboekje.config import Settings

from ..shared_state import SharedState

FAILED_LOGIN_LIMIT = 10  # failed attempts per client, and per credential tried, per window
FAILED_LOGIN_WINDOW = 60.0  # seconds


class FailedLogins:
    """Failed sign-ins, counted per client and per credential tried, per window, in the
    database (`adapters/shared_state.py`): every server process counts together.

    Only failures are ever refused: a valid credential is let in whatever others did
    from its address (an office behind one NAT address, a guesser next door), so the
    caller checks the credential first and counts only one that failed. A client with
    `limit` failures in the window, or a secret tried `limit` times in vain from
    anywhere, gets 429 instead of 401/404 until its window has passed; a window starts
    with the first failure after the previous one ended. The secrets carry 256 random
    bits, so guessing one is hopeless either way; the limit turns a flood into a
    refusal and a misconfigured script into a visible one.

    The table stays bounded: a subject's row is deleted once its window has passed.
    """

    def __init__(self, store: SharedState, limit: int = FAILED_LOGIN_LIMIT, window: float = FAILED_LOGIN_WINDOW,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.limit, self.window, self.clock = store, limit, window, clock

    def refused(self, client: str, credential: str | None = None) -> bool:
        """Count a failed attempt from `client` with `credential`; whether it is one too
        many (counting and deciding are one statement: two processes cannot both let the
        eleventh through)."""
        now = self.clock()
        subjects = [f"client:{client}"] + ([f"credential:{_key(credential)}"] if credential is not None else [])
        failures = self.store.count_failure(subjects, now, self.window)
        self.store.purge("hhb_failed_signins", now)
        return failures > self.limit


def _key(credential: str) -> str:
    """What the limiter keeps of a secret tried: its hash, never the secret."""
    return hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()


def client_address(request: Request, trusted: Sequence[IPv4Network | IPv6Network]) -> str:
    """The address a request comes from.

    `X-Forwarded-For` is believed only when the connection comes from a proxy named in
    HHB_TRUSTED_PROXIES (none by default): anyone else could write any address there.
    From a trusted proxy, the client is the rightmost address in the header that is not
    itself a trusted proxy (each proxy appends the address it saw).
    """
    peer = request.client.host if request.client else "unknown"
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in request.headers.getlist("x-forwarded-for")
            for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def trusted_networks(settings: Settings) -> list[IPv4Network | IPv6Network]:
    """HHB_TRUSTED_PROXIES as networks (a single address is a network of one)."""
    return [ip_network(proxy, strict=False) for proxy in settings.trusted_proxies]


def _trusted(address: str, trusted: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
