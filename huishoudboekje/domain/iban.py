"""IBAN value type, validated by `schwifty` (checksum, structure and a known bank)."""

from __future__ import annotations

from functools import lru_cache

from schwifty import IBAN as _SchwiftyIBAN
from schwifty.exceptions import InvalidChecksumDigits, SchwiftyException


class IbanError(ValueError):
    """Not a usable IBAN; the message says why in a few words."""


class Iban(str):
    """An IBAN in electronic form (no spaces, upper case). Compares as a string."""

    __slots__ = ()

    def __new__(cls, value: str) -> Iban:
        if isinstance(value, Iban):
            return value
        if not isinstance(value, str):
            raise IbanError(f"an IBAN is text, not {type(value).__name__}")
        compact = "".join(value.split()).upper()
        problem = _problem(compact)
        if problem:
            raise IbanError(problem)
        return super().__new__(cls, compact)

    @property
    def bic(self) -> str | None:
        bic = _SchwiftyIBAN(self).bic
        return str(bic) if bic else None

    @property
    def formatted(self) -> str:
        return " ".join(self[i : i + 4] for i in range(0, len(self), 4))


# Countries whose bank codes schwifty knows in full; for others a correct checksum
# and structure is the best we can check.
_BANK_REGISTRY_COUNTRIES = frozenset({"NL", "BE", "DE", "AT", "FR", "ES", "IT", "LU"})


@lru_cache(maxsize=65536)
def _problem(compact: str) -> str | None:
    """Why an IBAN is unusable, or None. Cached: payment files check the same few again and again."""
    try:
        parsed = _SchwiftyIBAN(compact)
    except InvalidChecksumDigits:
        return "checksum failed"
    except SchwiftyException as exc:
        return _reason(exc)
    if parsed.bank is None and parsed.country_code in _BANK_REGISTRY_COUNTRIES:
        return "unknown bank"
    return None


def _reason(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".")
    return text[0].lower() + text[1:] if text else "not a valid IBAN"


def is_iban(value: str) -> bool:
    try:
        Iban(value)
    except IbanError:
        return False
    return True
