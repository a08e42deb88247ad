"""The vault is one encrypted file that only the right passphrase or key opens."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from twin.errors import TwinError
from twin.home import Home
from twin.vault import Secret, Vault
from twin.vault.key import KeySettings, write_key_file
from twin.vault.schema import MIGRATIONS


def test_home_and_vault_are_private_to_their_owner(tmp_home: Home) -> None:
    with Vault.create(tmp_home, Secret(passphrase="pw")):
        pass
    assert stat.S_IMODE(tmp_home.path.stat().st_mode) == 0o700
    assert stat.S_IMODE(tmp_home.vault.stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_home.key_settings.stat().st_mode) == 0o600


def test_vault_file_holds_no_text_in_the_clear(tmp_home: Home) -> None:
    secret = "zebra-crossing-sunflower"
    with Vault.create(tmp_home, Secret(passphrase="pw")) as vault, vault.transaction():
        vault.db.execute(
            "INSERT INTO rules (kind, value, created_at) VALUES ('x', ?, 'now')", (secret,)
        )
    for file in tmp_home.path.iterdir():
        assert secret.encode() not in file.read_bytes(), file
        assert b"SQLite format 3" not in file.read_bytes()[:16]


def test_wrong_passphrase_is_a_clear_error(tmp_home: Home) -> None:
    with Vault.create(tmp_home, Secret(passphrase="right")):
        pass
    with pytest.raises(TwinError, match="wrong passphrase"):
        Vault.open(tmp_home, Secret(passphrase="wrong"))


def test_key_file_unlocks_and_other_keys_do_not(tmp_home: Home, tmp_path: Path) -> None:
    tmp_home.ensure()
    key = write_key_file(tmp_path / "vault.key")
    with Vault.create(tmp_home, Secret(key=key)):
        pass
    with Vault.open(tmp_home, Secret(key=key)) as vault:
        assert vault.counts()["messages"] == 0
    with pytest.raises(TwinError, match="wrong passphrase or key"):
        Vault.open(tmp_home, Secret(key=bytes(32)))


def test_missing_vault_says_to_run_init(tmp_home: Home) -> None:
    with pytest.raises(TwinError, match="twin init"):
        Vault.open(tmp_home, Secret(passphrase="pw"))


def test_every_migration_is_recorded_once(tmp_home: Home) -> None:
    with Vault.create(tmp_home, Secret(passphrase="pw")):
        pass
    with Vault.open(tmp_home, Secret(passphrase="pw")) as vault:
        names = [name for (name,) in vault.db.execute("SELECT name FROM migrations")]
        mode = vault.db.execute("PRAGMA journal_mode").fetchone()[0]
    assert sorted(names) == sorted(step.__name__ for step in MIGRATIONS)
    assert mode == "wal"


def test_default_key_derivation_is_slow_on_purpose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWIN_KDF")
    settings = KeySettings.new()
    assert settings.kdf == "argon2id"
    assert settings.memory_kib >= 64 * 1024 and settings.time_cost >= 2
