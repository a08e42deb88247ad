"""Where a pushed record came from: one import record per device and kind of record.

Pushed records point at it, so `twin sources` lists the device, and `twin forget --import N`
or `--source` takes back what a device sent, as for any import. Standing rules that exclude a
source apply to pushes of it too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from twin.errors import TwinError
from twin.hub.devices import Device
from twin.vault.rules import RuleSet
from twin.vault.vault import Vault


def check_rules(vault: Vault, source: str) -> None:
    """Refuse a push the person's standing rules exclude."""
    if source.casefold() in RuleSet.standing(vault).sources:
        raise TwinError(f"your rules exclude {source}: nothing was stored")


def device_import(vault: Vault, device: Device | None, source: str) -> int:
    """The import record of what `device` (None: a program on this machine) pushed of `source`,
    made on its first push."""
    name = f"pushed by {device.label if device else 'a program on this machine'}"
    row = vault.db.execute(
        "SELECT id FROM imports WHERE source = ? AND file_name = ?", (source, name)
    ).fetchone()
    if row is not None:
        return int(row[0])
    cursor = vault.db.execute(
        "INSERT INTO imports "
        "(source, importer_version, file_name, file_sha256, imported_at, rules) "
        "VALUES (?, 'hub-push-1', ?, '', ?, ?)",
        (
            source,
            name,
            datetime.now(UTC).isoformat(timespec="seconds"),
            json.dumps(RuleSet.standing(vault).describe(), sort_keys=True),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def count_pushed(vault: Vault, import_id: int, added: int) -> None:
    vault.db.execute("UPDATE imports SET added = added + ? WHERE id = ?", (added, import_id))
