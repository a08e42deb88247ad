"""What `twin forget` would delete, counted without deleting anything (for --dry-run and asking).

`doomed` is the one definition of what the criteria select: `twin.vault.forget.forget` deletes
through it, so the counts here are what `forget` then removes (a test checks it, per criterion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from twin.errors import TwinError
from twin.vault.vault import Vault


@dataclass
class ForgetPreview:
    """The records a `forget` with the same criteria would remove."""

    messages: int = 0
    mine: int = 0
    """Of those messages, how many you sent."""
    conversations: int = 0
    notes: int = 0
    """Notes and journal entries."""
    conversation_ids: set[int] = field(default_factory=set)
    """Conversations touched: a dataset or run built from one of them goes too."""
    note_ids: set[int] = field(default_factory=set)


@dataclass
class Doomed:
    """What forget criteria select, as SQL: `forget` deletes by it and the preview counts by it,
    so what the preview says and what goes can never differ."""

    messages: str
    """A condition on a message row ``m`` (NULL, like false, where no criterion holds)."""
    message_params: list[object]
    notes: str
    """A condition on a note row ``n``."""
    note_params: list[object]
    people: list[int] = field(default_factory=list)
    """The contact's person ids (their aliases included): `forget` removes the people too."""

    @property
    def message_ids(self) -> tuple[str, list[object]]:
        """SQL selecting the doomed messages' ids, and its parameters."""
        return f"SELECT m.id FROM messages m WHERE {self.messages}", self.message_params

    @property
    def note_ids(self) -> tuple[str, list[object]]:
        """SQL selecting the doomed notes' ids, and its parameters."""
        return f"SELECT n.id FROM notes n WHERE {self.notes}", self.note_params


def _match(value: str) -> str:
    return value.strip().casefold()


def doomed(
    vault: Vault,
    *,
    contact: str | None = None,
    conversation: str | None = None,
    source: str | None = None,
    import_id: int | None = None,
    before: date | None = None,
) -> Doomed:
    """The messages and notes that match any of the criteria (see `forget`); changes nothing.

    A contact, conversation or import that does not exist is an error naming it.
    """
    if not any((contact, conversation, source, import_id is not None, before)):
        raise TwinError(
            "say what to forget: --contact, --conversation, --source, --import or --before"
        )
    db = vault.db
    going: list[str] = []  # SQL conditions on a message row `m`, any of which dooms it
    params: list[object] = []
    note_going: list[str] = []  # and on a note row `n`
    note_params: list[object] = []
    people: list[int] = []
    if contact:
        people = [
            row[0]
            for row in db.execute(
                "SELECT id FROM people WHERE lower(name) = ? UNION "
                "SELECT person_id FROM aliases WHERE lower(alias) = ?",
                (_match(contact), _match(contact)),
            )
        ]
        if not people:
            raise TwinError(f"no contact named {contact!r}; `twin stats` lists people")
        going.append(f"m.sender_id IN ({','.join('?' * len(people))})")
        params += people
        going.append(
            "m.conversation_id IN (SELECT id FROM conversations "
            "WHERE coalesce(is_group, 0) = 0 AND lower(title) = ?)"
        )
        params.append(_match(contact))
    if conversation:
        sql = "SELECT id FROM conversations WHERE lower(title) = ? OR lower(external_id) = ?"
        if not db.execute(sql, (_match(conversation), _match(conversation))).fetchone():
            raise TwinError(f"no conversation {conversation!r}; `twin stats` lists them")
        going.append(f"m.conversation_id IN ({sql})")
        params += [_match(conversation), _match(conversation)]
    if source:
        going.append("m.conversation_id IN (SELECT id FROM conversations WHERE source = ?)")
        params.append(source)
        note_going.append("n.source = ?")
        note_params.append(source)
    if import_id is not None:
        if not db.execute("SELECT 1 FROM imports WHERE id = ?", (import_id,)).fetchone():
            raise TwinError(f"there is no import {import_id}; `twin sources` lists them")
        going.append("m.import_id = ?")
        params.append(import_id)
        note_going.append("n.import_id = ?")
        note_params.append(import_id)
    if before:
        going.append("m.sort_key < ?")
        params.append(before.isoformat())
        note_going.append("n.created_at < ?")
        note_params.append(before.isoformat())
    return Doomed(
        messages=" OR ".join(f"({condition})" for condition in going) or "0",
        message_params=params,
        notes=" OR ".join(f"({condition})" for condition in note_going) or "0",
        note_params=note_params,
        people=people,
    )


def touched_conversations(vault: Vault, going: Doomed) -> set[int]:
    """The conversations some doomed message is in: a dataset or run built from one goes too."""
    sql, params = going.message_ids
    return {
        row[0]
        for row in vault.db.execute(
            f"SELECT DISTINCT conversation_id FROM messages WHERE id IN ({sql})", params
        )
    }


def preview_forget(
    vault: Vault,
    *,
    contact: str | None = None,
    conversation: str | None = None,
    source: str | None = None,
    import_id: int | None = None,
    before: date | None = None,
) -> ForgetPreview:
    """Count what `forget(vault, …)` with these criteria would delete; change nothing."""
    going = doomed(
        vault,
        contact=contact,
        conversation=conversation,
        source=source,
        import_id=import_id,
        before=before,
    )
    db = vault.db
    found = ForgetPreview()
    found.messages, found.mine = db.execute(
        f"SELECT count(*), coalesce(sum(coalesce(p.is_me, 0)), 0) FROM messages m "
        f"LEFT JOIN people p ON p.id = m.sender_id WHERE {going.messages}",
        going.message_params,
    ).fetchone()
    found.conversation_ids = touched_conversations(vault, going)
    # `forget` drops every conversation left without messages (as it does an empty one).
    found.conversations = db.execute(
        f"SELECT count(*) FROM conversations c WHERE NOT EXISTS "
        f"(SELECT 1 FROM messages m WHERE m.conversation_id = c.id "
        f"AND NOT coalesce({going.messages}, 0))",
        going.message_params,
    ).fetchone()[0]
    sql, params = going.note_ids
    found.note_ids = {row[0] for row in db.execute(sql, params)}
    found.notes = len(found.note_ids)
    return found
