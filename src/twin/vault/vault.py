"""The vault: one encrypted SQLite file in the twin home holding every record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from types import TracebackType

from twin.errors import TwinError
from twin.home import Home
from twin.vault.db import Connection, connect, transaction
from twin.vault.key import Secret
from twin.vault.rekey import finish_interrupted_rekey
from twin.vault.schema import migrate
from twin.vault.sealed import Sealer


class Vault(AbstractContextManager["Vault"]):
    """An open, unlocked vault. Use as a context manager so it is always closed."""

    def __init__(self, home: Home, db: Connection, key: bytes) -> None:
        self.home = home
        self.db = db
        self.key = key
        """The raw vault key, kept in memory only, for the keys of sealed files."""

    @property
    def sealer(self) -> Sealer:
        """Seals and opens the files derived from this vault (datasets, runs)."""
        return Sealer(self.key)

    @classmethod
    def create(cls, home: Home, secret: Secret) -> Vault:
        """Create a new empty vault; refuses to touch an existing one."""
        home.ensure()
        if home.vault.exists():
            raise TwinError(f"{home.vault}: a vault already exists here")
        key = secret.vault_key(home.key_settings, creating=True)
        vault = cls(home, connect(home.vault, key), key)
        home.vault.chmod(0o600)
        migrate(vault.db)
        return vault

    @classmethod
    def open(cls, home: Home, secret: Secret) -> Vault:
        """Unlock the existing vault and bring its schema up to date."""
        if not home.vault.exists():
            raise TwinError(f"no vault at {home.vault}; run `twin init` first")
        finish_interrupted_rekey(home)
        key = secret.vault_key(home.key_settings)
        vault = cls(home, connect(home.vault, key), key)
        migrate(vault.db)
        return vault

    def transaction(self) -> AbstractContextManager[Connection]:
        """One write transaction; everything in it lands together or not at all."""
        return transaction(self.db)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file and truncate it."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def counts(self) -> dict[str, int]:
        """How many of each kind of record the vault holds."""
        tables = {
            "messages": "messages",
            "notes": "notes",
            "conversations": "conversations",
            "people": "people",
            "imports": "imports",
            "rules": "rules",
        }
        return {
            name: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for name, table in tables.items()
        }

    def rows(self, sql: str, *params: object) -> Iterator[dict[str, object]]:
        """Query rows as dicts keyed by column name."""
        cursor = self.db.execute(sql, params)
        names = [column[0] for column in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))

    def close(self) -> None:
        self.db.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
