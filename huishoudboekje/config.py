"""Settings, from the environment (prefix HHB_) or a `.env` file."""

from __future__ import annotations

import os
import re
from difflib import get_close_matches
from ipaddress import ip_network
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from decimal import Decimal

from dotenv import dotenv_values
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing import Literal, Annotated, Any
from collections.abc import Mapping
from urllib.parse import urlsplit

from .domain.errors import DomainError
from .domain.iban import Iban, IbanError
from .domain.limits import Limits
from .domain.money import Money, MoneyError, parse_money
from .domain.sepa_text import NAME_MAX, SepaTextError, sepa_safe


# OpenID Provider Authentication Policy Extension's "multi-factor" policy, an acr value
# providers send for a sign-in with two factors
MULTI_FACTOR_ACR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
TEST_PREFIX = "HHB_TEST_"  # the test suite's own variables (tests/conftest.py, .ci/run)


class SettingsError(DomainError):
    """Settings that cannot be used: one plain sentence a line, naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HHB_", env_file=".env", extra="ignore")

    database_url: str | None = None  # default: a SQLite file in var_dir
    var_dir: Path = Path("var")
    # Where released payment files go, for a bank connection to collect: only a file a
    # second person released (`hhb payment-files release`) is ever put there.
    outbox_dir: Path | None = None  # default: var_dir / "outbox"
    managed_accounts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["NL39BNGH0285009999"]
    )
    # The municipality's own accounts: a credit from one of them is buffer funding, not
    # anyone's income (issue 20). None by default.
    funding_accounts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The most the buffers of all households may have advanced together; the team lead
    # sees it approach in `hhb balance`. Empty: no ceiling.
    buffer_ceiling: str | None = None
    debtor_name: str = "Gemeente Huishoudboekje"
    max_statement_bytes: int = 50 * 1024 * 1024
    pain_version: str = "pain.001.001.09"
    scheduler_time: str = "02:30"
    timezone: str = "Europe/Amsterdam"
    buffer_unrepaid_cycles: int = 3
    reconcile_batch: int = 200  # households saved per transaction by the nightly job
    # PostgreSQL: seconds one write may take, and may wait for another writer, before it
    # fails having written nothing (the command can simply be run again).
    db_write_timeout: int = Field(default=120, ge=1)
    db_lock_timeout: int = Field(default=60, ge=1)
    actor: str = "cli"
    host: str = "127.0.0.1"
    port: int = 8000
    # seconds: a projections runner (`hhb projections run --follow`) whose last heartbeat is
    # older is taken as not running, and the API catches the read models up itself again
    projection_runner_timeout: int = Field(default=30, ge=1)
    workers: int = Field(default=1, ge=1)  # `hhb serve` processes; they share state through the database
    public_url: str = "http://127.0.0.1:8000"
    max_credential_days: int = Field(default=365, ge=1)  # the longest a token or link may be valid
    value_days_ahead: int = Field(default=7, ge=0)  # value dates this many days after the import date at most
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); none by default
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Before money moves (domain/limits.py): amounts as text with two decimals.
    return_fee_limit: str = "25.00"  # the most a returning bank may keep of a returned payment
    income_max_factor: Decimal = Decimal(3)  # a matched income above this many times its amount waits for a person
    income_ceiling: str = "10000.00"  # a matched income above this waits for a person
    participant_ceiling: str = "5000.00"  # leefgeld above this in a cycle is held for a second person
    # Notices to participants who chose them (huishoudboekje/notices.py); none configured:
    # notices are recorded as not sent.
    smtp_url: str | None = None  # smtp://[user:password@]host[:port] or smtps://…
    smtp_from: str = "huishoudboekje@localhost"
    sms_gateway_url: str | None = None  # http(s)://…: POST {to, text, id}
    sms_gateway_token: str | None = None  # sent as Authorization: Bearer …
    notice_link_days: int = Field(default=14, ge=1)  # a link expiring within this many days is renewed
    # Maatwerk (issue 22): a team's budget for a year unless `hhb maatwerk budget` set its own,
    # the municipality's price list of societal costs (YAML; empty: the shipped default),
    # the bank's cut-off (HH:MM, local time: a case approved before it on a business day is
    # executed the same day; empty: always the next business day) and the account it is
    # paid from (empty: the first managed account).
    maatwerk_budget: str = "15000.00"
    maatwerk_prices: Path | None = None
    maatwerk_cutoff: str | None = None
    maatwerk_account: str | None = None
    # Signals per team per month (issue 23; a covenant's cap, e.g. 50): above it the lowest-
    # priority ones are held back from the worklist and counted in the report. Empty: no cap.
    signal_cap: int | None = None
    # Operations: logs as text (for a person) or as JSON lines (for a log collector), and
    # how many events the read models may be behind before /readyz says not ready.
    log_format: str = "text"
    ready_max_lag: int = Field(default=1000, ge=0)
    # Creditors' reports (issue 23): partner types besides the law's four (huur, energie,
    # water, zorgverzekering), comma-separated, e.g. "gemeentelijke belastingen,telecom".
    partner_types: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The staff web app (/medewerker/): a sign-in session unused this many minutes ends.
    staff_session_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Signing in to the staff web app through the municipality's OpenID Connect provider
    # (adapters/web/staff/oidc.py): its issuer URL and this app's client there; unset: password
    # and TOTP only. The provider's name shows on the button ("Inloggen via …"; default: the
    # issuer's host). With OIDC_REQUIRE_MFA (default) only an id token whose `amr` or `acr`
    # shows a second factor is accepted: OIDC_MFA_ACR lists the acr values that count as one.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_name: str | None = None
    oidc_require_mfa: bool = True
    oidc_mfa_acr: Annotated[list[str], NoDecode] = Field(default_factory=lambda: [MULTI_FACTOR_ACR])
    oidc_only: bool = False
    # Privacy (issue 24): a household's personal data is erased this many whole years after
    # its participation ended (`hhb retention run`, also each night). The municipality's
    # decision, made once here: the fiscal duty to keep records is seven years.
    retention_years: int = 7
    # Erasure (issue 24, `hhb erase`): "required": a team lead erases only with a second
    # person's confirmation (a team lead or the privacy officer); "none": a team lead alone.
    # The privacy officer never needs one.
    erase_confirmation: Literal["required", "none"] = "required"

    def __init__(self, **values: Any) -> None:
        # pydantic-settings ignores an unknown variable: a misspelt HHB_MANAGED_ACOUNTS would
        # silently pay from the demo's account. Every HHB_ name must be a setting.
        problems = unknown_variables(os.environ, "")
        if Path(".env").is_file():
            problems += unknown_variables(dotenv_values(".env"), " (in .env)")
        try:
            super().__init__(**values)
        except ValidationError as exc:
            problems += plain_errors(exc)
        if problems:
            raise SettingsError("\n".join(problems))

    @field_validator("managed_accounts", "funding_accounts", mode="before")
    @classmethod
    def _split(cls, value: object, info: ValidationInfo) -> object:
        setting, given = f"HHB_{info.field_name.upper()}", value
        if isinstance(value, str):
            value = [part for part in value.replace(";", ",").split(",") if part.strip()]
        result = []
        for part in value:  # type: ignore[union-attr]
            try:
                result.append(str(Iban(part)))
            except IbanError as exc:
                raise ValueError(f"{setting}: '{part.strip()}' is not a valid IBAN ({exc})") from None
        if not result and info.field_name == "managed_accounts":
            raise ValueError(f"{setting}: '{given}' names no account; name at least one IBAN")
        return result

    @field_validator("var_dir", mode="before")
    @classmethod
    def _var_dir(cls, value: object) -> object:
        # An empty HHB_VAR_DIR would put the store in whatever folder hhb happens to run in.
        if isinstance(value, str) and not value.strip():
            raise ValueError("HHB_VAR_DIR: '' names no folder; name one, or leave it unset for ./var")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.strip().lower() not in ("text", "json"):
            raise ValueError(f"HHB_LOG_FORMAT: '{value}' is not text or json")
        return value.strip().lower()

    @field_validator("buffer_ceiling")
    @classmethod
    def _optional_amount(cls, value: str | None, info: ValidationInfo) -> str | None:
        """An amount, or empty for none."""
        if value is None or not value.strip():
            return None
        return cls._amount(value, info)

    @field_validator("signal_cap", mode="before")
    @classmethod
    def _signal_cap(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            cap = int(str(value).strip())
        except ValueError:
            raise ValueError(f"HHB_SIGNAL_CAP: '{value}' is not a whole number (leave it empty for no cap)") from None
        if cap < 1:
            raise ValueError(f"HHB_SIGNAL_CAP: {cap} is not a number of at least 1 (leave it empty for no cap)")
        return cap

    @field_validator("retention_years", mode="before")
    @classmethod
    def _retention_years(cls, value: object) -> object:
        try:
            years = int(str(value).strip())
        except ValueError:
            raise ValueError(f"HHB_RETENTION_YEARS: '{value}' is not a whole number of years (such as 7)") from None
        if not 1 <= years <= 100:
            raise ValueError(f"HHB_RETENTION_YEARS: {years} is not a number of years from 1 to 100 "
                             "(records are kept this long after participation ends)")
        return years

    @field_validator("maatwerk_cutoff")
    @classmethod
    def _maatwerk_cutoff(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value.strip()):
            raise ValueError(f"HHB_MAATWERK_CUTOFF: '{value}' is not a time of day such as 14:00")
        return value.strip()

    @field_validator("maatwerk_account")
    @classmethod
    def _maatwerk_account(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return str(Iban(value))
        except IbanError as exc:
            raise ValueError(f"HHB_MAATWERK_ACCOUNT: '{value}' is not a valid IBAN ({exc})") from None

    @field_validator("partner_types", mode="before")
    @classmethod
    def _partner_types(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.replace(";", ",").split(",")]
        types = [" ".join(str(part).split()).casefold() for part in value]  # type: ignore[union-attr]
        if any(not part or len(part) > 60 for part in types):
            raise ValueError("HHB_PARTNER_TYPES: name each partner type (1-60 characters), separated by commas")
        return types

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        for part in value:  # type: ignore[union-attr]
            try:
                ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"HHB_TRUSTED_PROXIES: '{part}' is not an IP address or network "
                                 "(such as 10.0.0.1 or 10.0.0.0/8)") from None
        return value

    @field_validator("smtp_url", "sms_gateway_url")
    @classmethod
    def _gateway(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        schemes, example = {"smtp_url": (("smtp", "smtps"), "smtp://host[:port] or smtps://host[:port]"),
                            "sms_gateway_url": (("http", "https"), "an http:// or https:// address")}[info.field_name]
        name = f"HHB_{info.field_name.upper()}"
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.hostname:
            raise ValueError(f"{name}: '{value}' is not {example}")
        try:
            parts.port
        except ValueError:
            raise ValueError(f"{name}: '{value}' has a port that is not a number") from None
        return value

    @field_validator("oidc_issuer")
    @classmethod
    def _oidc_issuer(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()  # as the provider names itself: a trailing / too (Auth0's has one)
        parts = urlsplit(value)
        local = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"HHB_OIDC_ISSUER: '{value}' is not an https:// address such as "
                             "https://login.gemeente.nl/realms/medewerkers")
        if parts.scheme == "http" and not local:
            raise ValueError(f"HHB_OIDC_ISSUER: '{value}' is not https://: only a provider on this "
                             "machine (localhost) may be reached without it")
        return value

    @field_validator("oidc_client_id", "oidc_client_secret", "oidc_name")
    @classmethod
    def _optional_text(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @field_validator("oidc_mfa_acr", mode="before")
    @classmethod
    def _acr_values(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("HHB_OIDC_CLIENT_ID: not set, but HHB_OIDC_ISSUER is; set both "
                             "(the client id this app has at the provider), or neither")
        if self.oidc_client_id and not self.oidc_issuer:
            raise ValueError("HHB_OIDC_ISSUER: not set, but HHB_OIDC_CLIENT_ID is; set both, or neither")
        if self.oidc_only and not self.oidc_issuer:
            raise ValueError("HHB_OIDC_ONLY: true, but no provider is set (HHB_OIDC_ISSUER): nobody could sign in")
        return self

    @field_validator("pain_version")
    @classmethod
    def _pain(cls, value: str) -> str:
        if value not in ("pain.001.001.09", "pain.001.001.03"):
            raise ValueError(f"HHB_PAIN_VERSION: '{value}' is not pain.001.001.09 or pain.001.001.03")
        return value

    @field_validator("debtor_name")
    @classmethod
    def _debtor(cls, value: str) -> str:
        # Every payment file names the debtor: a name SEPA cannot carry would stop the
        # job on the night it writes its first file, after the households were paid.
        try:
            sepa_safe(value, NAME_MAX, field="HHB_DEBTOR_NAME")
        except SepaTextError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("scheduler_time")
    @classmethod
    def _time(cls, value: str) -> str:
        # Checked here, not when the scheduler first needs it: by then the job has run.
        if not re.fullmatch(r"([01]?[0-9]|2[0-3]):[0-5][0-9]", value.strip()):
            raise ValueError(f"HHB_SCHEDULER_TIME: '{value}' is not a time of day HH:MM (00:00-23:59)")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"HHB_TIMEZONE: '{value}' is not a time zone such as Europe/Amsterdam") from None
        return value

    @field_validator("return_fee_limit", "income_ceiling", "participant_ceiling", "maatwerk_budget")
    @classmethod
    def _amount(cls, value: str, info: ValidationInfo) -> str:
        try:
            money = parse_money(value)
        except MoneyError as exc:
            raise ValueError(f"HHB_{info.field_name.upper()}: {exc}") from None
        if money.is_negative:
            raise ValueError(f"HHB_{info.field_name.upper()}: {money} is negative")
        return str(money)

    @field_validator("income_max_factor")
    @classmethod
    def _factor(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value < 1:
            raise ValueError(f"HHB_INCOME_MAX_FACTOR: {value} is not a number of at least 1")
        return value

    @property
    def limits(self) -> Limits:
        return Limits(return_fee=Money(self.return_fee_limit), income_factor=self.income_max_factor,
                      income_ceiling=Money(self.income_ceiling), participant_ceiling=Money(self.participant_ceiling))

    @property
    def outbox(self) -> Path:
        return self.outbox_dir or self.var_dir / "outbox"

    @property
    def default_account(self) -> str:
        return self.managed_accounts[0]


SETTING_NAMES = sorted(f"HHB_{name.upper()}" for name in Settings.model_fields)

# What a setting of each kind expects, for pydantic's own checks (ours word their own).
EXPECTED = {
    "int_parsing": "a whole number", "int_type": "a whole number", "int_from_float": "a whole number",
    "greater_than_equal": "a number of at least {ge}", "greater_than": "a number above {gt}",
    "less_than_equal": "a number of at most {le}", "decimal_parsing": "a number such as 2.5",
    "decimal_type": "a number such as 2.5", "finite_number": "a finite number", "bool_parsing": "true or false",
    "path_type": "a path to a folder or file", "string_type": "text",
}
SECRET_PARTS = ("TOKEN", "PASSWORD", "SECRET")


def unknown_variables(variables: Mapping[str, Any], where: str) -> list[str]:
    """A sentence for each HHB_ name that is neither a setting nor the test suite's own."""
    problems = []
    for name in sorted(variables):
        upper = name.upper()
        if not upper.startswith("HHB_") or upper in SETTING_NAMES or upper.startswith(TEST_PREFIX):
            continue
        close = get_close_matches(upper, SETTING_NAMES, n=1, cutoff=0.75)
        hint = (f"did you mean {close[0]}?" if close else
                f"the settings are listed in the README; the test suite's own variables begin with {TEST_PREFIX}")
        problems.append(f"{name}{where} is not a setting ({hint})")
    return problems


def plain_errors(exc: ValidationError) -> list[str]:
    """pydantic's findings as sentences that name the variable, its value and what it expects."""
    lines = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = f"HHB_{field.upper()}"
        ctx = error.get("ctx") or {}
        if error["type"] == "value_error":
            text = str(ctx.get("error", ""))
            lines.append(text if text.startswith("HHB_") or not field else f"{name}: {text}")
            continue
        value = error.get("input")
        shown = "(hidden)" if any(part in name for part in SECRET_PARTS) else f"'{value}'"
        expected = EXPECTED.get(error["type"], "a value this setting accepts (see Settings in the README)")
        lines.append(f"{name}: {shown} is not {expected.format(**ctx)}")
    return lines
