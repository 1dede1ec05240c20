"""Crypto-shredding: personal data sealed with a key per household.

A household's personal data (its participants' names, IBANs and contact details, its
address, the notes and reasons staff typed about it, the names and descriptions on
the statement lines booked to it) is written into events and snapshots *sealed*: a
string `pd1:<owner hex>:<base64url of nonce + AES-GCM ciphertext>`, made with a key of
the owner's own (the household; a household's notices have a key of their own, erased
with it). Which fields are sealed is written down in `huishoudboekje/sealing.py`.

The keys live in their own table, `hhb_personal_keys` (owner, key, created,
destroyed_at), beside the event store: never in an event, a snapshot or the
notification log, so a copy of the events alone reads nothing personal. Erasing a
household destroys its key (`Keyring.destroy`: the key's bytes are overwritten with
NULL and `destroyed_at` set); from then on every sealed string of it reads as `ERASED`,
in every event, snapshot and read model at once, while the amounts and dates, which
were never sealed, still add up. A key is made on the first seal for its owner.

Sealing is deterministic: the nonce is an HMAC of the text under a key derived from the
owner's key (the SIV idea), so the same text of the same owner seals to the same
token. A read model rebuilt from the events is then byte for byte the one kept up live,
and a nonce is never used for two different texts; what it tells is only that two
values of one household are equal.

Reading: a stored event's JSON is searched for `pd1:` (a bytes search, cheap), and
each token in it is replaced by its plaintext (JSON-escaped) or by `ERASED` before the
JSON is decoded as ever; unsealed strings (stores written before sealing) pass through.

A process keeps the keys it has read in memory. Another process may destroy one
meanwhile (`hhb erase` beside a running server): every `CHECK_EVERY` seconds at most,
a read asks the table how many keys are destroyed, and when that number moved, the
cache is dropped, so an erased household's data shows as erased in a long-running
process within that second. The process that erases drops its cache at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from datetime import datetime, timezone
from time import monotonic
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ERASED = "[verwijderd]"
PREFIX = "pd1:"
TABLE = "hhb_personal_keys"
CHECK_EVERY = 1.0  # seconds a process trusts its cached keys before asking for erasures
CREATE_LOCK = 7_311_025  # pg_advisory_xact_lock key while the table is created
_TOKEN = re.compile(rb"pd1:([0-9a-f]{32}):([A-Za-z0-9_-]+)")
_TOKEN_TEXT = re.compile(r"pd1:([0-9a-f]{32}):([A-Za-z0-9_-]+)")


class ErasedError(Exception):
    """A key asked for, to write, of an owner whose key is destroyed."""


# -- where keys are kept ----------------------------------------------------------------


class MemoryKeys:
    """Keys of an in-memory store (tests): gone with the process, as its events are."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[bytes | None, str, str | None]] = {}

    def get(self, owner: str) -> tuple[bytes | None, str | None] | None:
        row = self._rows.get(owner)
        return None if row is None else (row[0], row[2])

    def insert(self, owner: str, key: bytes, created: str) -> None:
        self._rows.setdefault(owner, (key, created, None))

    def destroy(self, owner: str, at: str) -> None:
        created = self._rows.get(owner, (None, at, None))[1]
        self._rows[owner] = (None, created, at)

    def destroyed_count(self) -> int:
        return sum(1 for row in self._rows.values() if row[2] is not None)


class SqlKeys:
    """The key table in the store's own SQLite file or PostgreSQL schema."""

    def __init__(self, datastore: Any, postgres: bool) -> None:
        self.datastore = datastore
        self.postgres = postgres
        schema = getattr(datastore, "schema", None) if postgres else None
        self.table = f"{schema}.{TABLE}" if schema else TABLE
        self._ready = False
        self._lock = threading.Lock()

    def _sql(self, text: str) -> str:
        text = text.replace("{t}", self.table)
        return re.sub(r"(?<!:):(\w+)", r"%(\1)s", text) if self.postgres else text

    def _run(self, text: str, params: dict[str, Any], commit: bool) -> list[Any]:
        self._create()
        with self.datastore.transaction(commit=commit) as cursor:
            cursor.execute(self._sql(text), params)
            return cursor.fetchall() if text.startswith("SELECT") else []

    def _create(self) -> None:
        with self._lock:
            if self._ready:
                return
            blob = "BYTEA" if self.postgres else "BLOB"
            with self.datastore.transaction(commit=True) as cursor:
                if self.postgres:
                    cursor.execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": CREATE_LOCK})
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (owner TEXT PRIMARY KEY, key {blob}, "
                               "created TEXT NOT NULL, destroyed_at TEXT)")
            self._ready = True

    def get(self, owner: str) -> tuple[bytes | None, str | None] | None:
        rows = self._run("SELECT key, destroyed_at FROM {t} WHERE owner = :owner", {"owner": owner}, False)
        if not rows:
            return None
        key = rows[0]["key"]
        return (None if key is None else bytes(key)), rows[0]["destroyed_at"]

    def insert(self, owner: str, key: bytes, created: str) -> None:
        self._run("INSERT INTO {t} (owner, key, created) VALUES (:owner, :key, :created) "
                  "ON CONFLICT (owner) DO NOTHING", {"owner": owner, "key": key, "created": created}, True)

    def destroy(self, owner: str, at: str) -> None:
        self._run("INSERT INTO {t} (owner, key, created, destroyed_at) VALUES (:owner, NULL, :at, :at) "
                  "ON CONFLICT (owner) DO UPDATE SET key = NULL, destroyed_at = excluded.destroyed_at",
                  {"owner": owner, "at": at}, True)

    def destroyed_count(self) -> int:
        rows = self._run("SELECT COUNT(*) AS n FROM {t} WHERE destroyed_at IS NOT NULL", {}, False)
        return int(rows[0]["n"])


class _Cipher:
    """An owner's AES-GCM key, and the key its nonces are derived with."""

    __slots__ = ("aead", "nonce_key")

    def __init__(self, key: bytes) -> None:
        self.aead = AESGCM(key)
        self.nonce_key = hashlib.sha256(b"pd1-nonce:" + key).digest()


# -- the keyring --------------------------------------------------------------------------


class Keyring:
    """Seals and opens personal data with a key per owner; destroys a key to erase."""

    def __init__(self, keys: MemoryKeys | SqlKeys) -> None:
        self.keys = keys
        self._ciphers: dict[str, _Cipher | None] = {}  # owner hex -> cipher; None: destroyed
        self._destroyed: int | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def _fresh(self) -> None:
        """Drop the cache when another process destroyed a key since we last looked."""
        now = monotonic()
        if now - self._checked < CHECK_EVERY:
            return
        count = self.keys.destroyed_count()
        with self._lock:
            if count != self._destroyed:
                self._ciphers.clear()
                self._destroyed = count
            self._checked = now

    def _cipher(self, owner: str, create: bool) -> _Cipher | None:
        self._fresh()
        if owner in self._ciphers:
            return self._ciphers[owner]
        found = self.keys.get(owner)
        if found is None and create:
            self.keys.insert(owner, AESGCM.generate_key(bit_length=256), _now())
            found = self.keys.get(owner)
        if found is None:
            return None  # never sealed anything: nothing of it can be read either
        cipher = None if found[0] is None else _Cipher(found[0])
        with self._lock:
            self._ciphers[owner] = cipher
        return cipher

    def seal(self, owner: UUID, text: str) -> str:
        """`text` sealed with `owner`'s key; `ERASED` when that key is destroyed (what is
        written about an erased household is erased as it is written)."""
        if not text or text.startswith(PREFIX) or text == ERASED:
            return text
        cipher = self._cipher(owner.hex, create=True)
        if cipher is None:
            return ERASED
        plain = text.encode("utf8")
        nonce = hmac.new(cipher.nonce_key, plain, hashlib.sha256).digest()[:12]
        sealed = base64.urlsafe_b64encode(nonce + cipher.aead.encrypt(nonce, plain, owner.bytes))
        return f"{PREFIX}{owner.hex}:{sealed.rstrip(b'=').decode('ascii')}"

    def open(self, owner_hex: str, blob: str) -> str:
        """One token's plaintext, or `ERASED`."""
        cipher = self._cipher(owner_hex, create=False)
        if cipher is None:
            return ERASED
        raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        try:
            return cipher.aead.decrypt(raw[:12], raw[12:], UUID(owner_hex).bytes).decode("utf8")
        except Exception:  # noqa: BLE001 - a token that does not open is as good as erased
            return ERASED

    def reveal(self, data: bytes) -> bytes:
        """JSON `data` with each sealed string replaced by its (JSON-escaped) plaintext."""
        if b"pd1:" not in data:
            return data

        def plain(match: re.Match[bytes]) -> bytes:
            text = self.open(match.group(1).decode("ascii"), match.group(2).decode("ascii"))
            return json.dumps(text)[1:-1].encode("utf8")

        return _TOKEN.sub(plain, data)

    def reveal_text(self, text: str | None) -> str | None:
        """A plain string (not JSON) with its sealed tokens opened."""
        if not text or PREFIX not in text:
            return text
        return _TOKEN_TEXT.sub(lambda m: self.open(m.group(1), m.group(2)), text)

    def destroy(self, owner: UUID) -> None:
        """Erase: the owner's key is gone, here at once and elsewhere within CHECK_EVERY."""
        self.keys.destroy(owner.hex, _now())
        with self._lock:
            self._ciphers[owner.hex] = None
            self._destroyed = None  # our own destroy moved the count: look again next read
            self._checked = float("-inf")

    def destroyed(self, owner: UUID) -> bool:
        found = self.keys.get(owner.hex)
        return found is not None and found[1] is not None


def keyring_for(datastore: Any, persistence_module: str) -> Keyring:
    """The keyring of a store: its SQL table, or in memory for an in-memory store."""
    if datastore is None:
        return Keyring(MemoryKeys())
    return Keyring(SqlKeys(datastore, postgres="postgres" in persistence_module or "pgstore" in persistence_module))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# -- the process's keyring, for callers without an engine at hand -------------------------

_current: Keyring | None = None


def use(keyring: Keyring) -> None:
    """Make `keyring` the one `seal` and `reveal` use (the last engine opened sets it)."""
    global _current
    _current = keyring


def current() -> Keyring:
    global _current
    if _current is None:
        _current = Keyring(MemoryKeys())
    return _current


def seal(owner: UUID, text: str) -> str:
    """`text` sealed with `owner`'s key, in the process's keyring (`engine.keyring.seal`
    names the store explicitly: prefer it where an engine is at hand)."""
    return current().seal(owner, text)


def reveal(text: str | None) -> str | None:
    """A string with its sealed tokens opened (or ERASED)."""
    return current().reveal_text(text)
