"""The SQLCipher connection: opening with a key, twin's pragmas, scripts in transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3

from twin.errors import TwinError

if TYPE_CHECKING:
    # sqlcipher3 ships no type hints; its API is the standard library's sqlite3.
    from sqlite3 import Connection, DatabaseError, OperationalError
else:
    from sqlcipher3.dbapi2 import Connection, DatabaseError, OperationalError

__all__ = ["Connection", "DatabaseError", "connect", "execute_script", "transaction"]

BUSY_SECONDS = 120.0
"""How long a writer waits for another twin process to finish its write, rather than failing."""
WAIT_NOTICE_SECONDS = 3.0
"""After this long waiting, the waiting process says what it is waiting for."""


def connect(path: Path, key: bytes) -> Connection:
    """Open (or create) the encrypted database at `path` with a raw 256-bit key.

    A wrong key is reported as a `TwinError`, never as a traceback.
    """
    db: Connection = sqlcipher3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_SECONDS
    )
    # SQLCipher logs a failed key check on stderr; twin's own one line says it better.
    db.execute("PRAGMA cipher_log_level = NONE")
    try:
        db.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except DatabaseError:
        db.close()
        raise TwinError(
            f"{path}: wrong passphrase or key (or the file is not a twin vault)"
        ) from None
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA cache_size = -65536")  # 64 MiB: fewer pages decrypted twice on big imports
    # Deleted records are overwritten, so `twin forget` leaves nothing behind in free pages.
    db.execute("PRAGMA secure_delete = ON")
    _load_sqlite_vec(db)
    return db


def _load_sqlite_vec(db: Connection) -> None:
    """Load sqlite-vec so vector indexes live in the same encrypted file."""
    import sqlite_vec

    db.enable_load_extension(True)
    try:
        sqlite_vec.load(db)
    finally:
        db.enable_load_extension(False)


def execute_script(db: Connection, script: str) -> None:
    """Run several statements inside the current transaction.

    ``Connection.executescript`` commits first, which would break the one-transaction rule.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlcipher3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        db.execute(statement)


@contextmanager
def transaction(db: Connection) -> Iterator[Connection]:
    """One write transaction: committed if the block ends normally, rolled back otherwise.

    When another twin process is writing, this waits (saying so after a few seconds) instead
    of failing with "database is locked".
    """
    begin(db)
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def begin(db: Connection) -> None:
    """BEGIN IMMEDIATE, waiting for another writer with a message after a few seconds."""
    import sys
    import time

    try:
        db.execute(f"PRAGMA busy_timeout = {int(WAIT_NOTICE_SECONDS * 1000)}")
        db.execute("BEGIN IMMEDIATE")
        return
    except OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
    print(
        "Another twin process is writing to the vault; waiting for it to finish...",
        file=sys.stderr,
        flush=True,
    )
    started = time.monotonic()
    try:
        db.execute("BEGIN IMMEDIATE")
    except OperationalError:
        raise TwinError(
            f"the vault stayed busy for {time.monotonic() - started:.0f} s: another twin "
            "process is still writing (an import or a build); try again when it has finished"
        ) from None
