"""Keeping an unlocked vault's key in the Linux kernel keyring for a while (`twin unlock`).

The key derived from the passphrase (Argon2id, about half a second) is put in the user's
kernel keyring with a timeout, readable only by the user's own processes; commands in that
time use it instead of deriving it again. The kernel drops it when the timeout passes, at
`twin lock`, or when the machine restarts. It never touches the disk.

The keyring is reached through the ``add_key`` and ``keyctl`` system calls (keyrings(7)),
with no extra package. Where the kernel or a container refuses them, `KeyringUnavailable`
says so in one line.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform

from twin.errors import TwinError
from twin.home import Home
from twin.vault.key import KEY_BYTES, KeySettings

SYSCALLS = {"x86_64": (248, 250), "aarch64": (217, 219), "arm64": (217, 219)}
"""(add_key, keyctl) system call numbers by machine."""

USER_KEYRING = -4  # KEY_SPEC_USER_KEYRING
KEYCTL_SETPERM = 5
KEYCTL_SEARCH = 10
KEYCTL_READ = 11
KEYCTL_SET_TIMEOUT = 15
KEYCTL_INVALIDATE = 21
POSSESSOR_ALL = 0x3F000000
USER_VIEW = 0x00010000


class KeyringUnavailable(TwinError):
    """The kernel keyring cannot be used here."""


def _calls() -> tuple[ctypes.CDLL, int, int]:
    numbers = SYSCALLS.get(platform.machine())
    if numbers is None or not hasattr(os, "uname") or os.uname().sysname != "Linux":
        raise KeyringUnavailable("twin unlock needs the Linux kernel keyring, not found here")
    return ctypes.CDLL(None, use_errno=True), *numbers


def _check(result: int, doing: str) -> int:
    if result == -1:
        error = ctypes.get_errno()
        raise KeyringUnavailable(f"the kernel keyring refused to {doing}: {os.strerror(error)}")
    return result


def description(home: Home) -> str:
    """The keyring name of a home's key: its folder and its key salt, hashed.

    A new passphrase comes with a new salt, so a key kept from before a change is never used.
    """
    salt = KeySettings.load(home.key_settings).salt
    digest = hashlib.sha256(f"{home.path.resolve()}\0{salt}".encode()).hexdigest()
    return f"twin:vault:{digest[:32]}"


def keep(home: Home, key: bytes, seconds: int) -> None:
    """Keep `key` for `home` in the user keyring for `seconds`, readable by its owner only."""
    libc, add_key, keyctl = _calls()
    name = description(home).encode()
    serial = _check(
        libc.syscall(add_key, b"user", name, key, ctypes.c_size_t(len(key)), USER_KEYRING),
        "keep the key",
    )
    _check(libc.syscall(keyctl, KEYCTL_SETPERM, serial, POSSESSOR_ALL | USER_VIEW), "protect it")
    _check(libc.syscall(keyctl, KEYCTL_SET_TIMEOUT, serial, seconds), "set its timeout")


def _find(home: Home) -> int | None:
    libc, _, keyctl = _calls()
    name = description(home).encode()
    serial = int(libc.syscall(keyctl, KEYCTL_SEARCH, USER_KEYRING, b"user", name, 0))
    return None if serial == -1 else serial


def kept_key(home: Home) -> bytes | None:
    """The key `twin unlock` kept for `home`, or None (locked, expired, or no keyring)."""
    try:
        serial = _find(home)
        if serial is None:
            return None
        libc, _, keyctl = _calls()
    except (KeyringUnavailable, TwinError):
        return None
    buffer = ctypes.create_string_buffer(KEY_BYTES)
    size = libc.syscall(keyctl, KEYCTL_READ, serial, buffer, KEY_BYTES)
    return buffer.raw[:KEY_BYTES] if size == KEY_BYTES else None


def forget(home: Home) -> bool:
    """Drop the kept key for `home`; whether there was one."""
    try:
        serial = _find(home)
    except TwinError:
        return False
    if serial is None:
        return False
    libc, _, keyctl = _calls()
    _check(libc.syscall(keyctl, KEYCTL_INVALIDATE, serial), "forget the key")
    return True
