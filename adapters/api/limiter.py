"""Failed sign-ins, counted per client and per credential, and who the client is."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from fastapi import Request

from huishoudboekje.config import Settings

FAILED_LOGIN_LIMIT = 10  # failed attempts per client, and per credential tried, per window
FAILED_LOGIN_WINDOW = 60.0  # seconds
FAILED_LOGIN_KEYS = 100_000  # clients and credentials remembered, each


class FailedLogins:
    """Failed sign-ins, counted per client and per credential tried, in a sliding window.

    Only failures are ever refused: a valid credential is let in whatever others did
    from its address (an office behind one NAT address, a guesser next door), so the
    caller checks the credential first and asks `blocked` only for one that failed.
    A client with `limit` failures in the window, or a secret tried `limit` times in
    vain from anywhere, gets 429 instead of 401/404 until the window has passed. The
    secrets carry 256 random bits, so guessing one is hopeless either way; the limit
    turns a flood into a refusal and a misconfigured script into a visible one.

    Memory stays bounded: at most `max_keys` clients and as many credentials are
    remembered, the least recently failing forgotten first.
    """

    def __init__(self, limit: int = FAILED_LOGIN_LIMIT, window: float = FAILED_LOGIN_WINDOW,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = FAILED_LOGIN_KEYS) -> None:
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._clients: OrderedDict[str, deque[float]] = OrderedDict()
        self._credentials: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, client: str, credential: str | None = None) -> bool:
        """Whether a failed attempt from `client` with `credential` is refused as too many."""
        with self._lock:
            if len(self._recent(self._clients, client)) >= self.limit:
                return True
            return credential is not None and len(self._recent(self._credentials, _key(credential))) >= self.limit

    def failed(self, client: str, credential: str | None = None) -> None:
        with self._lock:
            now = self.clock()
            self._remember(self._clients, client, now)
            if credential is not None:
                self._remember(self._credentials, _key(credential), now)

    def _remember(self, table: OrderedDict[str, deque[float]], key: str, now: float) -> None:
        recent = self._recent(table, key)
        recent.append(now)
        while len(recent) > self.limit:  # more than the limit tells nothing more
            recent.popleft()
        table[key] = recent
        table.move_to_end(key)
        while len(table) > self.max_keys:
            table.popitem(last=False)

    def _recent(self, table: OrderedDict[str, deque[float]], key: str) -> deque[float]:
        recent = table.get(key)
        if recent is None:
            return deque()
        while recent and recent[0] <= self.clock() - self.window:
            recent.popleft()
        if not recent:
            del table[key]
        return recent


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
