"""Forgetting: deleting records and everything derived from them, for good."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from twin.plugins import call
from twin.vault.forget_preview import doomed, touched_conversations
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
    going = doomed(
        vault,
        contact=contact,
        conversation=conversation,
        source=source,
        import_id=import_id,
        before=before,
    )
    db = vault.db
    gone = Forgotten()
    with vault.transaction():
        messages_before = _count(vault, "messages")
        notes_before = _count(vault, "notes")
        gone.conversation_ids = touched_conversations(vault, going)
        messages_sql, message_params = going.message_ids
        notes_sql, note_params = going.note_ids
        gone.note_ids = {row[0] for row in db.execute(notes_sql, note_params)}
        db.execute(f"DELETE FROM messages WHERE id IN ({messages_sql})", message_params)
        db.execute(f"DELETE FROM notes WHERE id IN ({notes_sql})", note_params)
        if going.people:
            marks = ",".join("?" * len(going.people))
            db.execute(f"DELETE FROM people WHERE id IN ({marks})", going.people)
            gone.people += len(going.people)
        if import_id is not None:
            db.execute("DELETE FROM imports WHERE id = ?", (import_id,))
            gone.imports += 1
        if source:
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
