"""One encrypted file holding the whole twin home, and putting it back.

A backup is::

    "TWINBACKUP1\\n" · one JSON line: the key settings (salt and cost, not secret)
    · a sealed stream (`twin.vault.sealed`, label "backup") of a tar archive

The tar holds a consistent copy of the vault (SQLite's online backup, taken while imports may
go on), the key settings, your redaction lists and persona files, and the sealed datasets and
runs, exactly as they are. The base-model cache (``models/``) is left out: it is public and twin
makes it again. The same passphrase (or key file) that opens the vault opens the backup.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import IO

import sqlcipher3

from twin.atomic import write_file
from twin.errors import TwinError
from twin.home import Home
from twin.vault.key import KeySettings, Secret
from twin.vault.sealed import SealedReader, SealedWriter
from twin.vault.vault import Vault

MAGIC = b"TWINBACKUP1\n"
LABEL = "backup"
LEFT_OUT = {"models", "vault.db", "vault.db-wal", "vault.db-shm", ".rekey"}
"""Top-level names not copied as files (the vault goes in as a consistent snapshot)."""


def _snapshot(vault: Vault, target: Path) -> None:
    """A consistent copy of the vault at `target`, encrypted with the same key."""
    copy = sqlcipher3.connect(str(target), isolation_level=None)
    try:
        copy.execute("PRAGMA cipher_log_level = NONE")
        copy.execute(f"PRAGMA key = \"x'{vault.key.hex()}'\"")
        vault.db.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
    finally:
        copy.close()


def _members(home: Home) -> list[Path]:
    found = []
    for folder, dirs, names in os.walk(home.path):
        here = Path(folder)
        if here == home.path:
            dirs[:] = sorted(d for d in dirs if d not in LEFT_OUT)
            names = [n for n in names if n not in LEFT_OUT]
        else:
            dirs.sort()
        found += [here / name for name in sorted(names) if not name.startswith(".vault.db")]
    return found


def backup(vault: Vault, destination: Path) -> int:
    """Write the whole home to `destination` as one encrypted file; returns files included."""
    home = vault.home
    if destination.resolve().is_relative_to(home.path.resolve()):
        raise TwinError(f"{destination}: a backup cannot go inside the twin home it copies")
    settings = KeySettings.load(home.key_settings) if home.key_settings.is_file() else None
    header = json.dumps({"key_settings": settings.__dict__ if settings else None}).encode()
    members = _members(home)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=home.path) as scratch:
        snapshot = Path(scratch) / "vault.db"
        _snapshot(vault, snapshot)

        def write(tmp: Path) -> None:
            with tmp.open("wb") as out:
                out.write(MAGIC + header + b"\n")
                with (
                    SealedWriter(out, vault.key, LABEL) as sealed,
                    tarfile.open(fileobj=sealed, mode="w|", format=tarfile.PAX_FORMAT) as tar,
                ):
                    tar.add(snapshot, arcname="vault.db")
                    for path in members:
                        tar.add(path, arcname=path.relative_to(home.path).as_posix())

        write_file(destination, write)
    return len(members) + 1


def _read_header(stream: IO[bytes], path: Path) -> KeySettings | None:
    if stream.read(len(MAGIC)) != MAGIC:
        raise TwinError(f"{path}: not a twin backup")
    line = stream.readline(1 << 16)
    try:
        data = json.loads(line)["key_settings"]
        return KeySettings(**data) if data else None
    except (ValueError, KeyError, TypeError):
        raise TwinError(f"{path}: the backup's header is damaged") from None


def is_empty(home: Home) -> bool:
    return not home.path.exists() or not any(home.path.iterdir())


def restore(path: Path, home: Home, secret: Secret, *, overwrite: bool = False) -> int:
    """Put the home saved in backup `path` into `home`; returns the files restored.

    Refuses a home that holds anything unless `overwrite`. Everything is unpacked beside the
    home and swapped in only once the whole backup has been read and checked.
    """
    if not path.is_file():
        raise TwinError(f"{path}: no such backup file")
    if not is_empty(home) and not overwrite:
        raise TwinError(
            f"{home.path} is not empty: restoring would replace what is there; add --yes to "
            "replace it, or restore into an empty --home"
        )
    home.path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.path.name}.restore-", dir=home.path.parent))
    try:
        with path.open("rb") as stream:
            settings = _read_header(stream, path)
            if secret.key is not None:
                key = secret.key
            elif settings is not None and secret.passphrase is not None:
                key = settings.derive(secret.passphrase)
            else:
                raise TwinError(f"{path}: made with a key file; restore with --key-file")
            count = 0
            with tarfile.open(
                fileobj=SealedReader(stream, key, LABEL, str(path)), mode="r|"
            ) as tar:
                for member in tar:
                    if not (member.isfile() or member.isdir()):
                        continue
                    tar.extract(member, staging, filter="data")
                    count += member.isfile()
        (staging / "vault.db").chmod(0o600)
        Vault.open(Home(staging), Secret(key=key)).close()  # the right key, a readable vault
        staging.chmod(0o700)
        if home.path.exists():
            old = home.path.with_name(home.path.name + ".before-restore")
            shutil.rmtree(old, ignore_errors=True)
            home.path.rename(old)
            staging.rename(home.path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(home.path)
    except tarfile.TarError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise TwinError(f"{path}: the backup is damaged ({error})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count
