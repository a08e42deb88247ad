"""`twin unlock` keeps the vault key in the kernel keyring for a while; `twin lock` drops it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from click.testing import Result

from twin.errors import TwinError
from twin.home import Home
from twin.vault import keyring
from twin.vault.unlock_commands import said, seconds

Twin = Callable[..., Result]


def keyring_usable() -> bool:
    try:
        keyring._calls()
    except keyring.KeyringUnavailable:
        return False
    return True


needs_keyring = pytest.mark.skipif(
    not keyring_usable(), reason="this kernel has no keyring to keep the key in"
)


@pytest.fixture
def locked_afterwards(vault_home: Home) -> Iterator[Home]:
    yield vault_home
    keyring.forget(vault_home)


def twin_without_passphrase(home: Home, *args: str) -> subprocess.CompletedProcess[str]:
    """A fresh `twin` process, as a later command in the same session, given no passphrase."""
    env = {k: v for k, v in os.environ.items() if k != "TWIN_PASSPHRASE"}
    env["TWIN_HOME"] = str(home.path)
    script = f"import sys; from twin.cli import main; sys.argv = ['twin', *{list(args)!r}]; main()"
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_keyring
def test_after_unlock_commands_need_no_passphrase_until_lock(
    twin: Twin, locked_afterwards: Home
) -> None:
    home = locked_afterwards
    assert twin_without_passphrase(home, "stats").returncode == 1
    assert "Unlocked for 15 minutes" in twin("unlock").stdout
    opened = twin_without_passphrase(home, "stats")
    assert opened.returncode == 0, opened.stderr
    assert "Locked" in twin("lock").stdout
    again = twin_without_passphrase(home, "stats")
    assert again.returncode == 1 and "the vault is locked" in again.stderr


@needs_keyring
def test_the_kept_key_expires(twin: Twin, locked_afterwards: Home) -> None:
    twin("unlock", "--for", "1s")
    time.sleep(2.5)
    assert keyring.kept_key(locked_afterwards) is None
    assert twin_without_passphrase(locked_afterwards, "stats").returncode == 1


@needs_keyring
def test_a_wrong_passphrase_unlocks_nothing(
    twin: Twin, locked_afterwards: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWIN_PASSPHRASE", "not the passphrase")
    result = twin("unlock", ok=False)
    assert result.exit_code == 1
    assert keyring.kept_key(locked_afterwards) is None


@needs_keyring
def test_a_new_passphrase_is_not_opened_by_a_key_kept_from_before(
    twin: Twin, locked_afterwards: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    twin("unlock")
    monkeypatch.setenv("TWIN_NEW_PASSPHRASE", "a new passphrase")
    twin("passphrase", "change")
    assert keyring.kept_key(locked_afterwards) is None


def test_lock_without_unlock_says_so(twin: Twin, vault_home: Home) -> None:
    assert "not unlocked" in twin("lock").stdout


@pytest.mark.parametrize(
    ("given", "total"), [("90s", 90), ("15m", 900), ("15", 900), ("2h", 7200), ("24h", 86400)]
)
def test_durations(given: str, total: int) -> None:
    assert seconds(given) == total


@pytest.mark.parametrize("given", ["0", "soon", "25h", "-5m", "1d"])
def test_bad_durations_are_one_line_errors(given: str) -> None:
    with pytest.raises(TwinError, match="--for"):
        seconds(given)


def test_durations_are_said_in_whole_units() -> None:
    assert said(900) == "15 minutes"
    assert said(3600) == "1 hour"
    assert said(90) == "90 seconds"
