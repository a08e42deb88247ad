"""Browser sessions, CSRF tokens, device tokens and the slow-down of failed attempts."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field

SESSION_COOKIE = "twin_session"
DEVICE_COOKIE = "twin_device"


def token_hash(token: str) -> str:
    """What the vault keeps of a device token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class Session:
    """One unlocked browser: its CSRF token and when it was last used."""

    id: str
    csrf: str
    last_seen: float = field(default_factory=time.monotonic)


class Sessions:
    """Unlocked browser sessions, kept in memory only: a restart locks every browser."""

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def new(self) -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
        with self._lock:
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session for a cookie value; an idle one is locked (dropped) here."""
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            now = time.monotonic()
            if now - session.last_seen > self.idle_seconds:
                del self._sessions[session_id]
                return None
            session.last_seen = now
            return session

    def end(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def end_all(self) -> None:
        with self._lock:
            self._sessions.clear()


def csrf_matches(session: Session | None, given: str | None) -> bool:
    return session is not None and given is not None and secrets.compare_digest(session.csrf, given)


class Throttle:
    """Failed attempts per client address: each one doubles the wait before the next try."""

    def __init__(self, base_seconds: float = 0.5, cap_seconds: float = 60.0) -> None:
        self.base = base_seconds
        self.cap = cap_seconds
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds this client must still wait before its next attempt counts (0: none)."""
        with self._lock:
            count, last = self._failures.get(client, (0, 0.0))
        if count == 0:
            return 0.0
        delay = min(self.cap, self.base * 2.0 ** (count - 1))
        return float(max(0.0, last + delay - time.monotonic()))

    def failed(self, client: str) -> None:
        with self._lock:
            count, _ = self._failures.get(client, (0, 0.0))
            self._failures[client] = (count + 1, time.monotonic())

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
