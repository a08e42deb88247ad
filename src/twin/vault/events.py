"""Keeping device activity (`Event` records) in the vault.

An event's identity is its content (source, kind, moment, duration, app, title, url, device),
so importing the same history twice, or two overlapping copies of it, adds each event once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from twin.records import Event
from twin.vault.vault import Vault


def event_uid(event: Event) -> bytes:
    """The identity of an event: a hash of everything it says."""
    identity = "\x1f".join(
        (
            event.source,
            event.kind,
            event.started_at.isoformat(),
            f"{event.duration:.3f}",
            event.app or "",
            event.title or "",
            event.url or "",
            event.device or "",
        )
    )
    return hashlib.blake2b(identity.encode(), digest_size=16).digest()


def _sort_key(moment: datetime) -> str:
    if moment.tzinfo is None:
        return moment.isoformat()
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def store_events(vault: Vault, import_id: int, events: Iterable[Event]) -> int:
    """Store the events not yet in the vault, inside the import's transaction; count the new."""
    rows = [
        (
            event_uid(e),
            e.source,
            e.kind,
            e.started_at.isoformat(),
            _sort_key(e.started_at),
            e.duration,
            e.app,
            e.title,
            e.url,
            e.device,
            import_id,
        )
        for e in events
    ]
    cursor = vault.db.executemany(
        "INSERT OR IGNORE INTO events (uid, source, kind, started_at, sort_key, duration, app, "
        "title, url, device, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return int(cursor.rowcount)


def events_between(vault: Vault, start: datetime, end: datetime) -> list[Event]:
    """Events that started in ``[start, end)`` (both aware), oldest first."""
    rows = vault.db.execute(
        "SELECT source, kind, started_at, duration, app, title, url, device FROM events "
        "WHERE sort_key >= ? AND sort_key < ? ORDER BY sort_key",
        (_sort_key(start), _sort_key(end)),
    ).fetchall()
    return [
        Event(
            source=source,
            kind=kind,
            started_at=datetime.fromisoformat(started),
            duration=float(duration),
            app=app,
            title=title,
            url=url,
            device=device,
        )
        for source, kind, started, duration, app, title, url, device in rows
    ]


def event_span(vault: Vault, import_id: int | None = None) -> tuple[str, str] | None:
    """The first and last sort keys (UTC) of all events, or of one import's; None if none."""
    if import_id is None:
        row = vault.db.execute("SELECT min(sort_key), max(sort_key) FROM events").fetchone()
    else:
        row = vault.db.execute(
            "SELECT min(sort_key), max(sort_key) FROM events WHERE import_id = ?", (import_id,)
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return str(row[0]), str(row[1])


def count_events(vault: Vault) -> int:
    """How many events the vault holds."""
    return int(vault.db.execute("SELECT count(*) FROM events").fetchone()[0])
