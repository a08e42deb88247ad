"""People and their aliases, and which of them is the user."""

from __future__ import annotations

from twin.errors import TwinError
from twin.vault.vault import Vault

EVERY_SOURCE = "*"


class People:
    """Finds or creates the person behind a sender, caching lookups for a whole import."""

    def __init__(self, vault: Vault) -> None:
        self.db = vault.db
        self._cache: dict[tuple[str, str], int] = {}

    def person_for(self, source: str, name: str, source_id: str | None) -> int:
        """The person id for a sender, matched by the source's id for them or else their name."""
        alias = source_id or name
        found = self._cache.get((source, alias))
        if found is not None:
            return found
        row = self.db.execute(
            "SELECT person_id FROM aliases WHERE source = ? AND alias = ?", (source, alias)
        ).fetchone()
        if row is None and source_id is None:
            row = self.db.execute(
                "SELECT person_id FROM aliases WHERE source = ? AND alias = ?",
                (EVERY_SOURCE, name),
            ).fetchone()
        if row is None:
            person = self.db.execute("INSERT INTO people (name) VALUES (?)", (name,)).lastrowid
            assert person is not None
            self.db.execute(
                "INSERT INTO aliases (person_id, source, alias) VALUES (?, ?, ?)",
                (person, source, alias),
            )
        else:
            person = int(row[0])
        self._cache[(source, alias)] = person
        return person

    def mark_me(self, person_id: int) -> None:
        self.db.execute("UPDATE people SET is_me = 1 WHERE id = ?", (person_id,))


def set_me(vault: Vault, name: str) -> int:
    """Say that `name` is the user: in every source from now on, and for senders already stored.

    Returns how many stored people it matched.
    """
    name = name.strip()
    if not name:
        raise TwinError("say which name is yours, e.g. --me 'Sam'")
    db = vault.db
    row = db.execute(
        "SELECT person_id FROM aliases WHERE source = ? AND alias = ?", (EVERY_SOURCE, name)
    ).fetchone()
    matches = [
        person
        for (person,) in db.execute(
            "SELECT DISTINCT person_id FROM aliases WHERE alias = ? AND source != ? "
            "UNION SELECT id FROM people WHERE name = ?",
            (name, EVERY_SOURCE, name),
        )
    ]
    if row is None:
        person = (
            matches[0]
            if matches
            else db.execute("INSERT INTO people (name, is_me) VALUES (?, 1)", (name,)).lastrowid
        )
        db.execute(
            "INSERT INTO aliases (person_id, source, alias) VALUES (?, ?, ?)",
            (person, EVERY_SOURCE, name),
        )
    for person in matches:
        db.execute("UPDATE people SET is_me = 1 WHERE id = ?", (person,))
    return len(matches)


def my_names(vault: Vault) -> list[str]:
    """Every name and alias known to be the user's."""
    return [
        name
        for (name,) in vault.db.execute(
            "SELECT name FROM people WHERE is_me = 1 UNION "
            "SELECT alias FROM aliases JOIN people ON people.id = person_id WHERE is_me = 1 "
            "ORDER BY 1"
        )
    ]
