"""Paired devices: one-time pairing codes, per-device tokens kept hashed in the vault."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from twin.errors import TwinError
from twin.hub.security import token_hash
from twin.vault.vault import Vault

CODE_DIGITS = 8


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Device:
    """A paired device, as the Devices page lists it."""

    id: int
    name: str
    paired_at: str
    last_seen: str | None
    revoked_at: str | None

    @property
    def label(self) -> str:
        """How pushed records name their provenance."""
        return f"device {self.id}: {self.name}"


class PairingCodes:
    """Short one-time codes, in memory, each valid for a few minutes and used at most once."""

    def __init__(self, valid_seconds: float) -> None:
        self.valid_seconds = valid_seconds
        self._codes: dict[str, float] = {}
        self._lock = threading.Lock()

    def new(self) -> str:
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        with self._lock:
            self._codes[code] = time.monotonic() + self.valid_seconds
        return code

    def use(self, code: str) -> bool:
        """True once for a live code; the code is gone afterwards."""
        code = code.replace(" ", "").replace("-", "")
        with self._lock:
            expires = self._codes.pop(code, None)
        return expires is not None and expires > time.monotonic()


def pair_device(vault: Vault, name: str) -> tuple[Device, str]:
    """Record a new device; return it and its token (shown once, kept only hashed)."""
    name = " ".join(name.split())[:80]
    if not name:
        raise TwinError("give the device a name, e.g. 'Sam's phone'")
    token = secrets.token_urlsafe(32)
    with vault.transaction():
        cursor = vault.db.execute(
            "INSERT INTO hub_devices (name, token_sha256, paired_at) VALUES (?, ?, ?)",
            (name, token_hash(token), now()),
        )
    assert cursor.lastrowid is not None
    return get_device(vault, cursor.lastrowid), token


def _device(row: tuple[object, ...]) -> Device:
    return Device(int(str(row[0])), str(row[1]), str(row[2]), row[3], row[4])  # type: ignore[arg-type]


def get_device(vault: Vault, device_id: int) -> Device:
    row = vault.db.execute(
        "SELECT id, name, paired_at, last_seen, revoked_at FROM hub_devices WHERE id = ?",
        (device_id,),
    ).fetchone()
    if row is None:
        raise TwinError(f"there is no paired device {device_id}")
    return _device(row)


def list_devices(vault: Vault) -> list[Device]:
    rows = vault.db.execute(
        "SELECT id, name, paired_at, last_seen, revoked_at FROM hub_devices ORDER BY id"
    )
    return [_device(row) for row in rows]


def device_for_token(vault: Vault, token: str) -> Device | None:
    """The live (not revoked) device a token belongs to, noting that it was seen."""
    row = vault.db.execute(
        "SELECT id, name, paired_at, last_seen, revoked_at FROM hub_devices "
        "WHERE token_sha256 = ? AND revoked_at IS NULL",
        (token_hash(token),),
    ).fetchone()
    if row is None:
        return None
    with vault.transaction():
        vault.db.execute("UPDATE hub_devices SET last_seen = ? WHERE id = ?", (now(), row[0]))
    return _device(row)


def revoke_device(vault: Vault, device_id: int) -> Device:
    """Stop a device's token from working, at once and for good."""
    get_device(vault, device_id)
    with vault.transaction():
        vault.db.execute(
            "UPDATE hub_devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (now(), device_id),
        )
    return get_device(vault, device_id)
