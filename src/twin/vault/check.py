"""`twin check`: is the vault whole, and does everything derived from it still hold together?"""

from __future__ import annotations

from twin.errors import TwinError
from twin.vault.sealed import open_chunks, sealed_files
from twin.vault.vault import Vault


def check_vault(vault: Vault) -> list[str]:
    """Problems found in the vault itself, in plain words; an empty list means all is well."""
    db = vault.db
    problems: list[str] = []
    failed = [row[0] for row in db.execute("PRAGMA cipher_integrity_check")]
    if failed:
        problems.append(
            f"{len(failed)} pages of the vault file fail their encryption check (damaged on "
            f"disk): {failed[0]}"
        )
    result = [row[0] for row in db.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        problems.append("SQLite's integrity check: " + "; ".join(result[:5]))
    broken = db.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        problems.append(
            f"{len(broken)} records point at records that no longer exist ({', '.join(tables)})"
        )
    for table in ("messages_fts", "chunks_fts"):
        try:
            db.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
        except TwinError:
            raise
        except Exception as error:  # an FTS5 integrity failure is an SQLite error
            problems.append(f"the search index {table} does not match its records ({error})")
    orphans = db.execute(
        "SELECT count(*) FROM chunks WHERE (owner = 'note' AND owner_id NOT IN "
        "(SELECT id FROM notes)) OR (owner = 'message' AND owner_id NOT IN "
        "(SELECT id FROM messages))"
    ).fetchone()[0]
    if orphans:
        problems.append(f"{orphans} recall passages belong to notes or messages that are gone")
    vectors = db.execute(
        "SELECT count(*) FROM chunk_embeddings WHERE chunk_id NOT IN (SELECT id FROM chunks)"
    ).fetchone()[0]
    if vectors:
        problems.append(f"{vectors} stored vectors belong to passages that are gone")
    return problems


def check_sealed(vault: Vault) -> list[str]:
    """Sealed files in the home that this vault's key does not open."""
    problems = []
    for path in sealed_files(vault.home.path):
        try:
            with path.open("rb") as stream:
                for _ in open_chunks(stream, vault.key, None, str(path)):
                    pass
        except TwinError as error:
            problems.append(str(error))
    return problems
