"""Activity pushed to the hub in ActivityWatch's shape, kept as twin's own `Event` records.

A bucket is one watcher on one device. Each event pushed into it is stored in the vault's
``events`` table (as the ActivityWatch importer reads an export, so an event pushed and later
imported is stored once), with the bucket it came in and its data as sent beside it in
``hub_bucket_events``, so ActivityWatch's API can hand it back. A heartbeat extends the
bucket's last event when its data is the same and it comes within `pulsetime` seconds of that
event's end (ActivityWatch's merge rule). Day summaries for recall follow (`DaySummaries`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from twin.errors import TwinError
from twin.hub.devices import Device
from twin.hub.provenance import check_rules, count_pushed, device_import, find_device_import
from twin.importers.activitywatch import _event as as_record
from twin.memory.embeddings import Embeds
from twin.records import Event
from twin.vault.events import event_uid, store_events
from twin.vault.vault import Vault

SOURCE = "activitywatch"


@dataclass
class AwEvent:
    """One event as ActivityWatch's API sends and returns it."""

    id: int | None
    timestamp: datetime
    duration: float
    data: dict[str, Any]

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "timestamp": self.timestamp.isoformat(),
            "duration": self.duration,
            "data": self.data,
        }


def parse_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TwinError(f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def create_bucket(
    vault: Vault, device: Device | None, name: str, type_: str, client: str, hostname: str
) -> bool:
    """Make a bucket; False when it already existed (ActivityWatch answers 304 then)."""
    with vault.transaction():
        cursor = vault.db.execute(
            "INSERT OR IGNORE INTO hub_buckets "
            "(name, type, client, hostname, device_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                name,
                type_,
                client,
                hostname,
                device.id if device else None,
                datetime.now(UTC).isoformat(),
            ),
        )
    return cursor.rowcount == 1


def buckets(vault: Vault) -> dict[str, dict[str, Any]]:
    rows = vault.rows("SELECT name, type, client, hostname, created_at FROM hub_buckets")
    return {
        str(r["name"]): {
            "id": r["name"],
            "type": r["type"],
            "client": r["client"],
            "hostname": r["hostname"],
            "created": r["created_at"],
        }
        for r in rows
    }


def _bucket(vault: Vault, name: str) -> dict[str, Any]:
    row = vault.db.execute(
        "SELECT type, client, hostname FROM hub_buckets WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        raise TwinError(f"there is no bucket {name!r}")
    return {"id": name, "type": row[0], "client": row[1], "hostname": row[2]}


_IN_BUCKET = (
    "SELECT e.id, e.started_at, e.duration, l.data FROM hub_bucket_events l "
    "JOIN events e ON e.id = l.event_id WHERE l.bucket = ? "
    "ORDER BY e.sort_key DESC, e.id DESC LIMIT ?"
)


def _aw(row: tuple[Any, ...]) -> AwEvent:
    return AwEvent(row[0], parse_time(row[1]), float(row[2]), json.loads(row[3]))


def events(vault: Vault, bucket: str, limit: int = 100) -> list[AwEvent]:
    """The bucket's events, newest first."""
    _bucket(vault, bucket)
    return [_aw(row) for row in vault.db.execute(_IN_BUCKET, (bucket, limit))]


def _store(
    vault: Vault, device: Device | None, bucket: dict[str, Any], event: AwEvent
) -> int | None:
    """Store one event (once, however often it is pushed); its id, None when it is not kept."""
    if not bucket.get("hostname") or bucket["hostname"] == "unknown":
        bucket = {**bucket, "hostname": device.name if device else None}
    record = as_record(
        {"timestamp": event.timestamp.isoformat(), "duration": event.duration, "data": event.data},
        bucket,
        f"bucket {bucket['id']}",
    )
    if record is None:  # an incognito tab, which twin's importer leaves out as well
        return None
    import_id = device_import(vault, device, SOURCE)
    count_pushed(vault, import_id, store_events(vault, import_id, [record]))
    (event_id,) = vault.db.execute(
        "SELECT id FROM events WHERE uid = ?", (event_uid(record),)
    ).fetchone()
    vault.db.execute(
        "INSERT OR IGNORE INTO hub_bucket_events (event_id, bucket, data) VALUES (?, ?, ?)",
        (event_id, bucket["id"], json.dumps(event.data, sort_keys=True)),
    )
    return int(event_id)


def add_events(
    vault: Vault, device: Device | None, bucket: str, new: list[AwEvent]
) -> list[AwEvent]:
    """Store events as they are; an event sent again is stored once."""
    shape = _bucket(vault, bucket)
    check_rules(vault, SOURCE)
    with vault.transaction():
        for event in new:
            event.id = _store(vault, device, shape, event)
    return new


def _lengthen(vault: Vault, event_id: int, duration: float) -> int:
    """Give a stored event a new duration (and so a new identity); its id afterwards."""
    row = vault.db.execute(
        "SELECT source, kind, started_at, app, title, url, device FROM events WHERE id = ?",
        (event_id,),
    ).fetchone()
    record = Event(row[0], row[1], datetime.fromisoformat(row[2]), duration, *row[3:])
    uid = event_uid(record)
    found = vault.db.execute("SELECT id FROM events WHERE uid = ?", (uid,)).fetchone()
    if found is not None and found[0] != event_id:  # that very event is stored already
        vault.db.execute("DELETE FROM events WHERE id = ?", (event_id,))
        return int(found[0])
    vault.db.execute(
        "UPDATE events SET duration = ?, uid = ? WHERE id = ?", (duration, uid, event_id)
    )
    return event_id


def heartbeat(
    vault: Vault, device: Device | None, bucket: str, beat: AwEvent, pulsetime: float
) -> AwEvent:
    """Merge a heartbeat into the bucket's last event, or start a new event with it."""
    shape = _bucket(vault, bucket)
    check_rules(vault, SOURCE)
    with vault.transaction():
        row = vault.db.execute(_IN_BUCKET, (bucket, 1)).fetchone()
        if row is not None:
            last = _aw(row)
            end = last.timestamp + timedelta(seconds=last.duration)
            same = last.data == beat.data
            if same and last.timestamp <= beat.timestamp <= end + timedelta(seconds=pulsetime):
                new_end = max(end, beat.timestamp + timedelta(seconds=beat.duration))
                last.duration = (new_end - last.timestamp).total_seconds()
                assert last.id is not None
                last.id = _lengthen(vault, last.id, last.duration)
                return last
        beat.id = _store(vault, device, shape, beat)
        return beat


class DaySummaries:
    """Keeps recall's day summaries in step with pushed activity, a little after it comes.

    A watcher beats every few seconds; rebuilding and embedding the day's summary on each
    beat would be wasted work, so pushes mark their import and one refresh runs `delay`
    seconds after the first mark (the same `refresh_activity` as `twin import` runs).
    """

    def __init__(self, open_vault: Any, embedder: Any, delay: float = 30.0) -> None:
        self.open_vault = open_vault
        self.embedder = embedder
        self.delay = delay
        self.pending: set[int] = set()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def touch(self, vault: Vault, device: Device | None) -> None:
        """Note that `device` pushed activity; the refresh follows."""
        import_id = find_device_import(vault, device, SOURCE)
        if import_id is None:  # nothing was kept (incognito tabs only)
            return
        with self._lock:
            self.pending.add(import_id)
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def stop(self) -> None:
        """At the hub's stop: no refresh left waiting for later, the pending ones done now."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if self.pending:
            self.flush()

    def flush(self) -> int:
        """Refresh the day summaries of every import marked; how many summaries were indexed."""
        from twin.hub.state import Locked
        from twin.memory.activity import refresh_activity

        with self._lock:
            pending, self.pending = self.pending, set()
            self._timer = None
        indexed = 0
        try:
            with self.open_vault() as vault:
                embedder: Embeds = self.embedder()
                for import_id in sorted(pending):
                    with vault.transaction():
                        indexed += refresh_activity(vault, embedder, import_id).added
        except Locked:
            with self._lock:
                self.pending |= pending  # the next unlock and push brings them in
        except TwinError:
            pass  # the vault is gone (forgotten or moved): nothing left to summarise
        return indexed
