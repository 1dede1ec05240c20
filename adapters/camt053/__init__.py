"""camt.053 (ISO 20022 bank-to-customer statement) files to `Statement` records.

Banks send camt.053 in versions .001.02 to .001.08, with or without namespace
prefixes and sometimes with a wrong or missing namespace, so elements are matched on
their local names only. Files are read with `lxml.etree.iterparse` and every entry is
released once handled, so a statement with many thousands of entries parses in flat
memory. A document with a DTD is refused before any entity in it can be expanded.

Speed: libxml2 builds the tree and reports only complete entries and statements to
Python (`_WATCHED`), and each entry is read from one index of its children per
element descended into (`_index`), not by scanning children once per name.

The package: `guard` (DTD, document type, size), `reader` (the pass over the
document), `general` (the general reader of headers and entries), `fast` (the fast
path for entries of a common shape) and `elements` (values and element access).
"""

from .guard import MAX_ENTRY_ELEMENTS, SUPPORTED_VERSIONS, is_camt053
from .reader import parse_camt053

__all__ = ["MAX_ENTRY_ELEMENTS", "SUPPORTED_VERSIONS", "is_camt053", "parse_camt053"]
