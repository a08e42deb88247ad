"""Changing the passphrase: a new vault key for the vault and for every sealed file, atomically.

Everything is first written under the new key into ``.rekey/`` in the home: a copy of the
vault re-keyed by SQLCipher, every sealed file sealed again, and the new key settings. Writing
``.rekey/plan.json`` is the moment of change. After it, the new files are renamed into place;
a kill at any point is finished on the next unlock (`finish_interrupted_rekey`): before the
plan exists the half-made copies are thrown away and the old passphrase still opens everything;
once it exists the renames are completed and only the new passphrase opens anything.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3

from twin.atomic import fsync_dir, write_text
from twin.errors import TwinError
from twin.home import Home
from twin.vault.key import KeySettings, Secret
from twin.vault.sealed import Sealer, sealed_files

if TYPE_CHECKING:
    from twin.vault.vault import Vault

STAGING = ".rekey"
PLAN = "plan.json"


def _staging(home: Home) -> Path:
    return home.path / STAGING


def finish_interrupted_rekey(home: Home) -> bool:
    """Complete (or undo) a passphrase change cut short; whether there was one."""
    staging = _staging(home)
    if not staging.exists():
        return False
    plan_path = staging / PLAN
    if plan_path.is_file():
        plan = json.loads(plan_path.read_text(encoding="utf-8"))
        for relative in plan["files"]:
            staged = staging / "files" / relative
            if staged.is_file():
                os.replace(staged, home.path / relative)
        if (staging / "vault.db").is_file():
            for leftover in ("vault.db-wal", "vault.db-shm"):
                (home.path / leftover).unlink(missing_ok=True)
            os.replace(staging / "vault.db", home.vault)
        if (staging / "vault.key.json").is_file():
            os.replace(staging / "vault.key.json", home.key_settings)
        fsync_dir(home.path)
    shutil.rmtree(staging, ignore_errors=True)
    return True


def _rekey_copy(copy: Path, old: bytes, new: bytes) -> None:
    db = sqlcipher3.connect(str(copy), isolation_level=None)
    try:
        db.execute("PRAGMA cipher_log_level = NONE")
        db.execute(f"PRAGMA key = \"x'{old.hex()}'\"")
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute(f"PRAGMA rekey = \"x'{new.hex()}'\"")
        db.execute("PRAGMA journal_mode = WAL")
    finally:
        db.close()
    check = sqlcipher3.connect(str(copy), isolation_level=None)
    try:
        check.execute("PRAGMA cipher_log_level = NONE")
        check.execute(f"PRAGMA key = \"x'{new.hex()}'\"")
        check.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        check.close()


def change_passphrase(vault: Vault, new: Secret) -> int:
    """Re-key `vault` and every sealed file in its home to `new`; returns the files re-sealed.

    `vault` is closed on return: open it again with the new secret.
    """
    home = vault.home
    settings: KeySettings | None = None
    if new.passphrase is not None:
        settings = KeySettings.new()
        new_key = settings.derive(new.passphrase)
    elif new.key is not None:
        new_key = new.key
    else:
        raise TwinError("no new passphrase given")
    if new_key == vault.key:
        raise TwinError("the new passphrase is the one already in use")
    staging = _staging(home)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    try:
        vault.checkpoint()
        vault.db.execute("BEGIN IMMEDIATE")  # no other writer until the change is done
        copy = staging / "vault.db"
        shutil.copyfile(home.vault, copy)
        if (home.path / "vault.db-wal").is_file():
            shutil.copyfile(home.path / "vault.db-wal", staging / "vault.db-wal")
        _rekey_copy(copy, vault.key, new_key)
        old_sealer, new_sealer = Sealer(vault.key), Sealer(new_key)
        files = [path for path in sealed_files(home.path) if STAGING not in path.parts]
        relatives = []
        for path in files:
            relative = path.relative_to(home.path).as_posix()
            target = staging / "files" / relative
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            old_sealer.reseal(path, new_sealer, target)
            relatives.append(relative)
        if settings is not None:
            settings.save(staging / "vault.key.json")
        with (staging / "vault.db").open("rb") as handle:
            os.fsync(handle.fileno())
        write_text(staging / PLAN, json.dumps({"files": relatives}) + "\n")  # the change
    except BaseException:
        vault.db.execute("ROLLBACK") if vault.db.in_transaction else None
        shutil.rmtree(staging, ignore_errors=True)
        raise
    vault.db.execute("ROLLBACK")
    vault.close()
    finish_interrupted_rekey(home)
    return len(relatives)
