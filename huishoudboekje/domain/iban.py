"""IBAN value type, validated by `schwifty` (checksum, structure and a known bank)."""

from __future__ import annotations

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
        try:
            parsed = _SchwiftyIBAN(compact)
        except InvalidChecksumDigits:
            raise IbanError("checksum failed") from None
        except SchwiftyException as exc:
            raise IbanError(_reason(exc)) from None
        if parsed.bank is None and parsed.country_code in _BANK_REGISTRY_COUNTRIES:
            raise IbanError("unknown bank")
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


def _reason(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".")
    return text[0].lower() + text[1:] if text else "not a valid IBAN"


def is_iban(value: str) -> bool:
    try:
        Iban(value)
    except IbanError:
        return False
    return True
