"""Text a SEPA payment can carry: the SEPA Latin character set, transliterated.

Dutch names keep their letters ('Café Ëlzé' becomes 'Cafe Elze', never garbage);
what cannot be carried at all is refused when the name is entered, not on the night
the payment is made.
"""

from __future__ import annotations

import re

from text_unidecode import unidecode

NAME_MAX = 70  # EPC limit for names, stricter than the XSD's 140
REMITTANCE_MAX = 140
_SEPA_CHARS = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
# Mapped before transliteration: unidecode would give '&', ',,' or '"'.
_BEFORE = str.maketrans({"&": "+", "„": "'", "‚": "'", "“": "'", "”": "'", "«": "'", "»": "'"})
# Mapped after transliteration: ASCII characters outside the SEPA set with a close match.
_AFTER = str.maketrans({'"': "'", "`": "'", "_": "-", ";": ",", "[": "(", "]": ")", "{": "(", "}": ")"})


class SepaTextError(ValueError):
    """Nothing usable remains of a text after making it SEPA-safe."""


def sepa_safe(text: str, max_len: int, *, field: str = "text") -> str:
    """`text` in the SEPA Latin character set, transliterated, at most `max_len` long."""
    if max_len < 1:
        raise SepaTextError(f"{field}: max_len must be at least 1")
    ascii_text = unidecode(str(text).translate(_BEFORE)).translate(_AFTER)
    safe = " ".join(_SEPA_CHARS.sub(" ", ascii_text).split())
    safe = safe[:max_len].rstrip()
    if not safe:
        raise SepaTextError(f"{field}: nothing left after making '{text}' SEPA-safe")
    return safe


def check_carriable(text: str) -> str:
    """Raise unless a payment can carry this text; returns what it will carry."""
    return sepa_safe(text, REMITTANCE_MAX, field="text")
