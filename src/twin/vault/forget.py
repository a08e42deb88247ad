"""Forgetting: deleting records and everything derived from them, for good."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from twin.errors import TwinError
from twin.plugins import call
from twin.vault.vault import Vault


@dataclass
class Forgotten:
    """What one `forget` removed."""

    messages: int = 0
    notes: int = 0
    """Notes and journal entries."""
    conversations: int = 0
    people: int = 0
    imports: int = 0
    derived: list[str] = field(default_factory=list)
    """Human descriptions of derived data removed (datasets, recall entries…)."""
    conversation_ids: set[int] = field(default_factory=set)
    note_ids: set[int] = field(default_factory=set)

    def total(self) -> int:
        return self.messages + self.notes + self.conversations + self.people + self.imports


def forget_derived(vault: Vault, gone: Forgotten) -> None:
    """Let every plugin delete what it derived from the records going (``forget_derived``)."""
    call("forget_derived", vault=vault, gone=gone)


def _match(value: str) -> str:
    return value.strip().casefold()


def forget(
    vault: Vault,
    *,
    contact: str | None = None,
    conversation: str | None = None,
    source: str | None = None,
    import_id: int | None = None,
    before: date | None = None,
) -> Forgotten:
    """Delete what matches any of the given criteria, then everything left without a purpose.

    - `contact`: messages the person sent, one-to-one chats with them, and the person;
    - `conversation`: a conversation by title or source id;
    - `source`: everything from that source (chats or notes), including its import records;
    - `import_id`: the messages or notes that import brought in, and its record;
    - `before`: messages sent, and notes and journal entries written, before that day.
    """
    if not any((contact, conversation, source, import_id is not None, before)):
        raise TwinError(
            "say what to forget: --contact, --conversation, --source, --import or --before"
        )
    db = vault.db
    gone = Forgotten()
    with vault.transaction():
        messages_before = _count(vault, "messages")
        notes_before = _count(vault, "notes")
        doomed_conversations: set[int] = set()
        if contact:
            people = [
                person
                for (person,) in db.execute(
                    "SELECT id FROM people WHERE lower(name) = ? UNION "
                    "SELECT person_id FROM aliases WHERE lower(alias) = ?",
                    (_match(contact), _match(contact)),
                )
            ]
            if not people:
                raise TwinError(f"no contact named {contact!r}; `twin stats` lists people")
            marks = ",".join("?" * len(people))
            gone.conversation_ids |= _ids(
                vault,
                f"SELECT DISTINCT conversation_id FROM messages WHERE sender_id IN ({marks})",
                people,
            )
            doomed_conversations |= _ids(
                vault,
                "SELECT id FROM conversations WHERE coalesce(is_group, 0) = 0 AND lower(title) = ?",
                [_match(contact)],
            )
            db.execute(f"DELETE FROM messages WHERE sender_id IN ({marks})", people)
            db.execute(f"DELETE FROM people WHERE id IN ({marks})", people)
            gone.people += len(people)
        if conversation:
            found = _ids(
                vault,
                "SELECT id FROM conversations WHERE lower(title) = ? OR lower(external_id) = ?",
                [_match(conversation), _match(conversation)],
            )
            if not found:
                raise TwinError(f"no conversation {conversation!r}; `twin stats` lists them")
            doomed_conversations |= found
        if source:
            doomed_conversations |= _ids(
                vault, "SELECT id FROM conversations WHERE source = ?", [source]
            )
        if import_id is not None:
            if not db.execute("SELECT 1 FROM imports WHERE id = ?", (import_id,)).fetchone():
                raise TwinError(f"there is no import {import_id}; `twin sources` lists them")
            gone.conversation_ids |= _ids(
                vault,
                "SELECT DISTINCT conversation_id FROM messages WHERE import_id = ?",
                [import_id],
            )
            db.execute("DELETE FROM messages WHERE import_id = ?", (import_id,))
            gone.note_ids |= _ids(vault, "SELECT id FROM notes WHERE import_id = ?", [import_id])
            db.execute("DELETE FROM notes WHERE import_id = ?", (import_id,))
            db.execute("DELETE FROM imports WHERE id = ?", (import_id,))
            gone.imports += 1
        if before:
            gone.conversation_ids |= _ids(
                vault,
                "SELECT DISTINCT conversation_id FROM messages WHERE sort_key < ?",
                [before.isoformat()],
            )
            db.execute("DELETE FROM messages WHERE sort_key < ?", (before.isoformat(),))
            gone.note_ids |= _ids(
                vault, "SELECT id FROM notes WHERE created_at < ?", [before.isoformat()]
            )
            db.execute("DELETE FROM notes WHERE created_at < ?", (before.isoformat(),))
        for conversation_id in doomed_conversations:
            db.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
        gone.conversation_ids |= doomed_conversations
        if source:
            gone.note_ids |= _ids(vault, "SELECT id FROM notes WHERE source = ?", [source])
            db.execute("DELETE FROM notes WHERE source = ?", (source,))
            gone.imports += db.execute("DELETE FROM imports WHERE source = ?", (source,)).rowcount
            db.execute("DELETE FROM aliases WHERE source = ?", (source,))
        gone.messages = messages_before - _count(vault, "messages")
        gone.notes = notes_before - _count(vault, "notes")
        gone.conversations = db.execute(
            "DELETE FROM conversations WHERE id NOT IN (SELECT conversation_id FROM messages)"
        ).rowcount
        gone.people += db.execute(
            "DELETE FROM people WHERE is_me = 0 AND id NOT IN "
            "(SELECT sender_id FROM messages WHERE sender_id IS NOT NULL)"
        ).rowcount
        if contact or conversation or source:
            # An import record names its file, which may name the person: drop emptied ones.
            gone.imports += db.execute(
                "DELETE FROM imports WHERE id NOT IN (SELECT import_id FROM messages) "
                "AND id NOT IN (SELECT import_id FROM notes WHERE import_id IS NOT NULL) "
                "AND id NOT IN (SELECT import_id FROM events)"  # activity imports hold no messages
            ).rowcount
        forget_derived(vault, gone)
        # Merge the keyword index so no segment keeps the forgotten words.
        db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
    vault.checkpoint()
    return gone


def _count(vault: Vault, table: str) -> int:
    count: int = vault.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return count


def _ids(vault: Vault, sql: str, params: list[object]) -> set[int]:
    return {row[0] for row in vault.db.execute(sql, params)}
