"""The SQLCipher connection: opening with a key, twin's pragmas, scripts in transactions."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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
WAITING = "Waiting for another twin command to finish writing to the vault…"
"""Said once by every write that has waited `WAIT_NOTICE_SECONDS` for the vault's write lock."""

T = TypeVar("T")


def _busy(error: OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _waiting(db: Connection, call: Callable[[], T]) -> T:
    """`call()`; when another process holds the write lock past the notice time, say so once,
    then wait for it up to `BUSY_SECONDS` in all."""
    try:
        return call()
    except OperationalError as error:
        if not _busy(error):
            raise
    print(WAITING, file=sys.stderr, flush=True)
    started = time.monotonic()
    Connection.execute(db, f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
    try:
        return call()
    except OperationalError as error:
        if not _busy(error):
            raise
        raise TwinError(
            f"the vault stayed busy for {time.monotonic() - started:.0f} s: another twin "
            "command is still writing (an import or a build); try again when it has finished"
        ) from None
    finally:
        Connection.execute(db, f"PRAGMA busy_timeout = {int(WAIT_NOTICE_SECONDS * 1000)}")


class _WaitingConnection(Connection):
    """A connection whose every statement waits for another twin process's write, saying so.

    SQLite's own busy timeout is set to `WAIT_NOTICE_SECONDS`; a statement still locked out
    after that prints `WAITING` once and is run again with the long timeout. A statement that
    failed with "database is locked" did nothing, so running it again is safe.
    """

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return _waiting(self, lambda: Connection.execute(self, sql, parameters))

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        rows = list(parameters)  # an iterator half consumed by the first try is not replayed
        return _waiting(self, lambda: Connection.executemany(self, sql, rows))


def connect(path: Path, key: bytes) -> Connection:
    """Open (or create) the encrypted database at `path` with a raw 256-bit key.

    A wrong key is reported as a `TwinError`, never as a traceback. Writers wait for each
    other (saying so once per wait) instead of failing with "database is locked".
    """
    db: Connection = sqlcipher3.connect(
        str(path),
        isolation_level=None,
        check_same_thread=False,
        timeout=WAIT_NOTICE_SECONDS,
        factory=_WaitingConnection,
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
    _waiting(db, lambda: Connection.execute(db, "BEGIN IMMEDIATE"))
