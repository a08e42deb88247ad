"""Activity events (what app or page was in front, and for how long), ActivityWatch's way.

Kept in the hub's own table until twin has an activity record of its own. A bucket is one
watcher on one device; a heartbeat extends the last event when its data is the same and it
comes within `pulsetime` seconds of that event's end (ActivityWatch's merge rule).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from twin.errors import TwinError
from twin.hub.devices import Device
from twin.hub.provenance import check_rules, count_pushed, device_import
from twin.vault.vault import Vault

SOURCE = "activitywatch"


@dataclass
class Event:
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


def _bucket(vault: Vault, name: str) -> None:
    if not vault.db.execute("SELECT 1 FROM hub_buckets WHERE name = ?", (name,)).fetchone():
        raise TwinError(f"there is no bucket {name!r}")


def events(vault: Vault, bucket: str, limit: int = 100) -> list[Event]:
    _bucket(vault, bucket)
    rows = vault.db.execute(
        "SELECT id, started_at, duration, data FROM hub_activity WHERE bucket = ? "
        "ORDER BY started_at DESC, id DESC LIMIT ?",
        (bucket, limit),
    )
    return [Event(r[0], datetime.fromisoformat(r[1]), r[2], json.loads(r[3])) for r in rows]


def _insert(vault: Vault, device: Device | None, bucket: str, event: Event) -> int:
    import_id = device_import(vault, device, SOURCE)
    cursor = vault.db.execute(
        "INSERT INTO hub_activity (bucket, device_id, import_id, started_at, duration, data) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            bucket,
            device.id if device else None,
            import_id,
            event.timestamp.isoformat(),
            event.duration,
            json.dumps(event.data, sort_keys=True),
        ),
    )
    count_pushed(vault, import_id, 1)
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def add_events(vault: Vault, device: Device | None, bucket: str, new: list[Event]) -> list[Event]:
    """Store events as they are."""
    _bucket(vault, bucket)
    check_rules(vault, SOURCE)
    with vault.transaction():
        for event in new:
            event.id = _insert(vault, device, bucket, event)
    return new


def heartbeat(
    vault: Vault, device: Device | None, bucket: str, beat: Event, pulsetime: float
) -> Event:
    """Merge a heartbeat into the bucket's last event, or start a new event with it."""
    _bucket(vault, bucket)
    check_rules(vault, SOURCE)
    with vault.transaction():
        row = vault.db.execute(
            "SELECT id, started_at, duration, data FROM hub_activity WHERE bucket = ? "
            "ORDER BY started_at DESC, id DESC LIMIT 1",
            (bucket,),
        ).fetchone()
        if row is not None:
            last = Event(row[0], datetime.fromisoformat(row[1]), row[2], json.loads(row[3]))
            end = last.timestamp + timedelta(seconds=last.duration)
            same = last.data == beat.data
            if same and last.timestamp <= beat.timestamp <= end + timedelta(seconds=pulsetime):
                new_end = max(end, beat.timestamp + timedelta(seconds=beat.duration))
                last.duration = (new_end - last.timestamp).total_seconds()
                vault.db.execute(
                    "UPDATE hub_activity SET duration = ? WHERE id = ?", (last.duration, last.id)
                )
                return last
        beat.id = _insert(vault, device, bucket, beat)
        return beat
