"""Turning what the user knows (a passphrase) or has (a key file) into the vault's 256-bit key."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw

from twin.atomic import write_text
from twin.errors import TwinError

KEY_BYTES = 32


@dataclass(frozen=True)
class KeySettings:
    """Argon2id parameters kept beside the vault. Not secret: the salt only makes keys unique."""

    salt: str
    time_cost: int = 3
    memory_kib: int = 256 * 1024
    parallelism: int = 2
    kdf: str = "argon2id"

    @classmethod
    def new(cls) -> KeySettings:
        """Fresh settings: about half a second on a laptop, to slow down passphrase guessing.

        ``TWIN_KDF=fast`` picks a cheap cost instead; it exists for test suites and is
        recorded in the settings file, so a vault created that way says so.
        """
        salt = secrets.token_hex(16)
        if os.environ.get("TWIN_KDF") == "fast":
            return cls(salt=salt, time_cost=1, memory_kib=64, parallelism=1)
        return cls(salt=salt)

    def save(self, path: Path) -> None:
        write_text(path, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> KeySettings:
        try:
            return cls(**json.loads(path.read_text()))
        except FileNotFoundError:
            raise TwinError(
                f"{path}: key settings are missing; the vault cannot be unlocked"
            ) from None
        except (ValueError, TypeError) as error:
            raise TwinError(f"{path}: key settings are damaged ({error})") from None

    def derive(self, passphrase: str) -> bytes:
        """The vault key for a passphrase."""
        if self.kdf != "argon2id":
            raise TwinError(f"unsupported key derivation {self.kdf!r}")
        return hash_secret_raw(
            passphrase.encode("utf-8"),
            bytes.fromhex(self.salt),
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            hash_len=KEY_BYTES,
            type=Type.ID,
        )


def read_key_file(path: Path) -> bytes:
    """A key file holds 32 random bytes, raw or as 64 hex digits."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TwinError(f"{path}: cannot read key file ({error.strerror})") from None
    if len(data) == KEY_BYTES:
        return data
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise TwinError(f"{path}: a key file must hold 32 bytes, raw or as 64 hex digits")
    return key


def write_key_file(path: Path) -> bytes:
    """Create a new random key file, readable by its owner only."""
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as stream:
        stream.write(key.hex() + "\n")
    return key


@dataclass(frozen=True)
class Secret:
    """What unlocks the vault: a passphrase (stretched by Argon2id) or a key file's raw key."""

    passphrase: str | None = None
    key: bytes | None = None

    def vault_key(self, settings_path: Path, *, creating: bool = False) -> bytes:
        """The raw key; creates the key settings on first use of a passphrase."""
        if self.key is not None:
            return self.key
        if self.passphrase is None:
            raise TwinError("no passphrase given")
        if creating:
            settings = KeySettings.new()
            settings.save(settings_path)
        else:
            settings = KeySettings.load(settings_path)
        return settings.derive(self.passphrase)
