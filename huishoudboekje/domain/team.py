"""The team register: the neighbourhood teams (wijkteams) households and staff belong to.

One aggregate per engine holds every team, so a look-up is one short stream. Team
names are compared exactly: a name that merely looks like a registered one (a
Cyrillic "о" for a Latin "o", another case) is a different, unknown team, and the
error says which registered team it resembles (`resembling`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import DomainError
from .household import NAMESPACE

REGISTER_ID = uuid5(NAMESPACE, "/teams")
NAME_MAX = 100
# An address a mailto: link can carry as it is: no spaces, quotes, brackets or '?'.
EMAIL = re.compile(r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
PHONE_CHARS = re.compile(r"[0-9 ()+.\-]{2,30}")
# A Dutch number once written nationally (spaces, dashes, dots and brackets dropped, +31
# or 0031 read as 0): ten digits from 0 (030…, 06…), a service number (0800, 0900, 0906,
# 0909 and four to seven digits) or a municipality's 14 number (14 and its area code).
DUTCH_PHONE = re.compile(r"0[1-9][0-9]{8}|0[89]0[069][0-9]{4,7}|14[0-9]{3,4}")
HOURS_MAX = 200

# Letters of other scripts that look like Latin ones (Unicode's confusables, the common part).
_LOOKALIKES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h", "л": "n",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "У": "Y",
    "α": "a", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})

# Digits and letters that pass for one another in a name (after case is dropped):
# 'Wijkteam N0ord' (a zero) is 'Wijkteam Noord' to whoever reads it.
_SAME_SHAPE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "ı": "l", "5": "s", "8": "b", "2": "z"})
_SAME_SHAPE_PAIRS = (("rn", "m"), ("vv", "w"))


class TeamError(DomainError):
    """A team that cannot be registered or changed, or a name that is not registered."""


def skeleton(name: str) -> str:
    """What a name looks like: compatibility forms folded, look-alike letters made Latin,
    accents and case dropped, spaces collapsed, and digits and letters of the same shape
    (0 and o; 1, l and i; 5 and s…) taken as one."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).translate(_LOOKALIKES))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = " ".join(text.casefold().split()).translate(_SAME_SHAPE)
    for pair, letter in _SAME_SHAPE_PAIRS:
        text = text.replace(pair, letter)
    return text


def strangers(name: str, registered: str) -> list[str]:
    """The characters of `name` that differ from the registered name it resembles, as people read them."""
    found = []
    for char in name:
        if char not in registered and not char.isspace():
            label = unicodedata.name(char, "unnamed character")
            found.append(f"'{char}' (U+{ord(char):04X} {label})")
    return found


def clean_name(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise TeamError("NAME: a team needs a name")
    if len(text) > NAME_MAX:
        raise TeamError(f"NAME: at most {NAME_MAX} characters")
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise TeamError("NAME: contains a control or invisible character")
    return text


def national(phone: str) -> str | None:
    """A Dutch phone number as dialled within the Netherlands (digits only), or None
    when `phone` does not have the shape of one."""
    text = phone.strip().replace("(0)", "")  # +31 (0)30 …: the 0 is not dialled after +31
    if not PHONE_CHARS.fullmatch(text) or "+" in text[1:]:
        return None
    digits = re.sub(r"[^0-9+]", "", text)
    for prefix in ("+31", "0031"):
        if digits.startswith(prefix):
            digits = "0" + digits[len(prefix):]
            break
    return digits if DUTCH_PHONE.fullmatch(digits) else None


def tel_href(phone: str) -> str:
    """The `tel:` link of a registered (Dutch) phone number: +31 and the number without its 0,
    so that it also dials from a phone abroad; a 14 number stays as it is (no +31 form)."""
    digits = national(phone) or re.sub(r"[^0-9+]", "", phone)
    return "tel:" + ("+31" + digits[1:] if digits.startswith("0") else digits)


def clean_contact(phone: str | None, email: str | None, hours: str | None) -> dict[str, str | None]:
    if phone is not None and national(phone) is None:
        raise TeamError(f"--phone: '{phone}' is not a Dutch phone number "
                        "(like 030 286 12 34, +31 30 286 12 34, 0800 1234 or 14 030)")
    if email is not None and not EMAIL.fullmatch(email.strip()):
        raise TeamError(f"--email: '{email}' is not an e-mail address (like wijkteam@example.nl)")
    if hours is not None and len(hours.strip()) > HOURS_MAX:
        raise TeamError(f"--hours: at most {HOURS_MAX} characters")
    if hours is not None and any(unicodedata.category(c).startswith("C") and c not in "\t\n" for c in hours):
        raise TeamError("--hours: contains a control or invisible character")
    return {"phone": phone.strip() if phone else None, "email": email.strip() if email else None,
            "hours": " ".join(hours.split()) if hours else None}


class TeamRegister(Aggregate):
    """Every team by name, with how a participant reaches it (phone, e-mail, opening hours)."""

    @staticmethod
    def create_id() -> UUID:
        return REGISTER_ID

    @event("Opened")
    def __init__(self, taken_over: list[str], actor: str) -> None:
        """`taken_over`: the team names an earlier version's households and tokens used."""
        self.teams: dict[str, dict[str, Any]] = {
            name: {"name": name, "phone": None, "email": None, "hours": None} for name in taken_over}

    # -- commands --------------------------------------------------------------------

    def add(self, name: str, actor: str, phone: str | None = None, email: str | None = None,
            hours: str | None = None) -> None:
        name = clean_name(name)
        contact = clean_contact(phone, email, hours)
        if name in self.teams:
            raise TeamError(f"team '{name}' is registered already; change it with hhb teams update")
        similar = self.resembling(name)
        if similar is not None:
            raise TeamError(f"team '{name}' looks like the registered team '{similar}'"
                            + _differs(name, similar) + "; use that name")
        self._added(name=name, actor=actor, **contact)

    def update(self, name: str, actor: str, phone: str | None = None, email: str | None = None,
               hours: str | None = None) -> bool:
        """Change what is given; whether anything changed."""
        self.require(name)
        contact = clean_contact(phone, email, hours)
        changed = {k: v for k, v in contact.items() if v is not None and self.teams[name][k] != v}
        if changed:
            self._updated(name=name, actor=actor, changes=changed)
        return bool(changed)

    def require(self, name: str, field: str = "team") -> str:
        """The name, if registered; TeamError naming `field` and the team it resembles otherwise."""
        if name in self.teams:
            return name
        similar = self.resembling(name)
        if similar is not None:
            raise TeamError(f"{field}: '{name}' is not a registered team; it looks like '{similar}'"
                            + _differs(name, similar) + f"; did you mean '{similar}'?")
        close = difflib.get_close_matches(name, list(self.teams), n=1, cutoff=0.8)
        hint = f"; did you mean '{close[0]}'?" if close else "; register it first with hhb teams add"
        raise TeamError(f"{field}: '{name}' is not a registered team{hint}")

    def resembling(self, name: str) -> str | None:
        wanted = skeleton(name)
        return next((team for team in sorted(self.teams) if skeleton(team) == wanted and team != name), None)

    # -- events -----------------------------------------------------------------------

    @event("TeamAdded")
    def _added(self, name: str, phone: str | None, email: str | None, hours: str | None, actor: str) -> None:
        self.teams[name] = {"name": name, "phone": phone, "email": email, "hours": hours}

    @event("TeamUpdated")
    def _updated(self, name: str, changes: dict[str, str], actor: str) -> None:
        self.teams[name] = {**self.teams[name], **changes}


def contact_card(entry: dict[str, Any] | None, household: Any) -> dict[str, str | None]:
    """How a participant of `household` reaches their team: the team register's entry
    for the household's team (None when the register does not hold it) and the
    household's coach where it names one.
    Plain strings for any template; `phone_href` (tel:) and `email_href` (mailto:) are
    None where the team left phone or e-mail out."""
    entry = entry or {}
    phone, email = entry.get("phone"), entry.get("email")
    return {"team": entry.get("name") or household.team, "coach": getattr(household, "coach", None) or None,
            "phone": phone,
            "phone_href": tel_href(phone) if phone else None, "hours": entry.get("hours"),
            "email": email, "email_href": f"mailto:{email}" if email else None}


def _differs(name: str, similar: str) -> str:
    odd = strangers(name, similar)
    return f" but has {', '.join(odd)}" if odd else " but differs in case, accents or spaces"
