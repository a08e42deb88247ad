"""The vault grown up: a quiet wrong passphrase, re-keying, backup and restore, check, waiting."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.vault.helpers import ANN, BO
from twin.home import Home
from twin.vault.key import Secret
from twin.vault.sealed import Sealer
from twin.vault.vault import Vault

Twin = Callable[..., Result]


def filled(twin: Twin) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("import", str(BO), "--me", "Sam")
    twin("journal", "add", "Quietly practising the cello on Tuesdays.")
    twin("dataset", "build", "--name", "mine")


def test_wrong_passphrase_prints_one_line_and_no_library_log(
    vault_home: Home, tmp_path: Path
) -> None:
    script = "import sys; from twin.cli import main; sys.argv=['twin', 'stats']; main()"
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"TWIN_HOME": str(vault_home.path), "TWIN_PASSPHRASE": "wrong", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and "wrong passphrase" in lines[0], lines
    assert "sqlcipher" not in done.stderr.lower()


def test_passphrase_change_rekeys_vault_and_sealed_files(
    twin: Twin, vault_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled(twin)
    before = twin("stats", "--json").output
    card = twin("dataset", "show", "mine").output
    monkeypatch.setenv("TWIN_NEW_PASSPHRASE", "a new passphrase")
    out = twin("passphrase", "change").output
    assert "Passphrase changed" in out and "sealed files" in out
    wrong = twin("stats", ok=False)
    assert wrong.exit_code == 1 and "wrong passphrase" in wrong.output
    monkeypatch.setenv("TWIN_PASSPHRASE", "a new passphrase")
    assert twin("stats", "--json").output == before
    assert twin("dataset", "show", "mine").output == card
    assert "All is well" in twin("check").output
    assert not (vault_home.path / ".rekey").exists()


def test_backup_and_restore_into_a_fresh_home(
    twin: Twin, vault_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled(twin)
    stats = twin("stats", "--json").output
    card = twin("dataset", "show", "mine").output
    backup = tmp_path / "twin.backup"
    assert "encrypted" in twin("backup", str(backup)).output
    data = backup.read_bytes()
    # Words of six letters or more: a shorter one turns up in megabytes of ciphertext by chance.
    for word in (b"Quietly", b"practising", b"Tuesdays", b"SQLite format"):
        assert word not in data
    fresh = tmp_path / "fresh"
    twin("--home", str(fresh), "restore", str(backup))
    assert twin("--home", str(fresh), "stats", "--json").output == stats
    assert twin("--home", str(fresh), "dataset", "show", "mine").output == card
    assert "All is well" in twin("--home", str(fresh), "check").output
    refused = twin("--home", str(fresh), "restore", str(backup), ok=False)
    assert refused.exit_code == 1 and "--yes" in refused.output
    twin("--home", str(fresh), "restore", str(backup), "--yes")
    monkeypatch.setenv("TWIN_PASSPHRASE", "not it")
    wrong = twin("--home", str(tmp_path / "other"), "restore", str(backup), ok=False)
    assert wrong.exit_code == 1 and not (tmp_path / "other").exists()


def test_a_damaged_backup_is_refused_and_leaves_nothing(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    filled(twin)
    backup = tmp_path / "twin.backup"
    twin("backup", str(backup))
    raw = bytearray(backup.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    backup.write_bytes(bytes(raw))
    result = twin("--home", str(tmp_path / "fresh"), "restore", str(backup), ok=False)
    assert result.exit_code == 1 and "cannot be opened" in result.output
    assert not (tmp_path / "fresh").exists()


def test_check_says_what_is_wrong(twin: Twin, vault_home: Home) -> None:
    filled(twin)
    assert "All is well" in twin("check").output
    sealed = next((vault_home.datasets / "mine").glob("train.jsonl.sealed"))
    raw = bytearray(sealed.read_bytes())
    raw[-5] ^= 1
    sealed.write_bytes(bytes(raw))
    with Vault.open(vault_home, Secret(passphrase="test passphrase")) as vault:
        vault.db.execute("PRAGMA foreign_keys = OFF")
        vault.db.execute("DELETE FROM conversations WHERE id = 1")
    result = twin("check", ok=False)
    assert result.exit_code == 1
    assert "train.jsonl.sealed" in result.output
    assert "point at records that no longer exist" in result.output


def test_sealed_files_do_not_open_under_another_label_or_key(tmp_path: Path) -> None:
    sealer = Sealer(b"k" * 32)
    sealer.seal_text(tmp_path / "a.sealed", "datasets/x/train.jsonl", "hello")
    assert sealer.open_text(tmp_path / "a.sealed", "datasets/x/train.jsonl") == "hello"
    from twin.errors import TwinError

    with pytest.raises(TwinError, match="sealed as"):
        sealer.open_text(tmp_path / "a.sealed", "datasets/x/val.jsonl")
    with pytest.raises(TwinError, match="cannot be opened"):
        Sealer(b"j" * 32).open_text(tmp_path / "a.sealed")


@pytest.mark.parametrize("how", ["transaction", "autocommit"])
def test_a_second_writer_waits_instead_of_failing(
    vault_home: Home, capfd: pytest.CaptureFixture[str], how: str
) -> None:
    """Another process holds the write lock for 4 s; this one waits, says so once, then writes.

    Both ways of writing wait: a transaction, and a single statement in autocommit mode.
    """
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\n"
            "from twin.home import Home\nfrom twin.vault.key import Secret\n"
            "from twin.vault.vault import Vault\n"
            f"v = Vault.open(Home(Path({str(vault_home.path)!r})), "
            "Secret(passphrase='test passphrase'))\n"
            "v.db.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(4)\n"
            "v.db.execute('COMMIT')\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    with Vault.open(vault_home, Secret(passphrase="test passphrase")) as vault:
        from twin.vault.rules import add_rule, list_rules

        if how == "transaction":
            with vault.transaction():
                add_rule(vault, "exclude-contact", "Nobody")
        else:
            vault.db.execute(
                "INSERT INTO rules (kind, value, created_at) VALUES (?, ?, ?)",
                ("exclude-contact", "Nobody", "2024-01-01T00:00:00"),
            )
        assert [rule.value for rule in list_rules(vault)] == ["Nobody"]
    holder.wait(timeout=30)
    assert holder.returncode == 0
    assert capfd.readouterr().err.count("Waiting for another twin command to finish") == 1
