"""Where a pushed record came from: one import record per device and kind of record.

Pushed records point at it, so `twin sources` lists the device, and `twin forget --import N`
or `--source` takes back what a device sent, as for any import. Standing rules that exclude a
source apply to pushes of it too.
"""

from __future__ import annotations

from twin.errors import TwinError
from twin.hub.devices import Device
from twin.vault.pushed import pushed_import
from twin.vault.rules import RuleSet
from twin.vault.vault import Vault


def check_rules(vault: Vault, source: str) -> None:
    """Refuse a push the person's standing rules exclude."""
    if source.casefold() in RuleSet.standing(vault).sources:
        raise TwinError(f"your rules exclude {source}: nothing was stored")


def origin(device: Device | None) -> str:
    """Where a push came from, as `twin sources` shows it."""
    return f"pushed by {device.label if device else 'a program on this machine'}"


def find_device_import(vault: Vault, device: Device | None, source: str) -> int | None:
    """The import record of what `device` (None: a program on this machine) pushed of
    `source`, if it pushed any."""
    row = vault.db.execute(
        "SELECT id FROM imports WHERE source = ? AND file_name = ? AND file_sha256 = ''",
        (source, origin(device)),
    ).fetchone()
    return None if row is None else int(row[0])


def device_import(vault: Vault, device: Device | None, source: str) -> int:
    """The import record of what `device` pushed of `source`, made on its first push."""
    found = find_device_import(vault, device, source)
    return found if found is not None else pushed_import(vault, source, origin(device))


def count_pushed(vault: Vault, import_id: int, added: int) -> None:
    vault.db.execute("UPDATE imports SET added = added + ? WHERE id = ?", (added, import_id))
