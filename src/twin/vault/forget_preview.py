"""What `twin forget` would delete, counted without deleting anything (for --dry-run and asking).

The criteria mean what they mean in `twin.vault.forget.forget`; a test checks that the counts
here equal what `forget` then removes.
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


def _match(value: str) -> str:
    return value.strip().casefold()


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
    if not any((contact, conversation, source, import_id is not None, before)):
        raise TwinError(
            "say what to forget: --contact, --conversation, --source, --import or --before"
        )
    db = vault.db
    going: list[str] = []  # SQL conditions on a message row `m`, any of which dooms it
    params: list[object] = []
    note_going: list[str] = []
    note_params: list[object] = []
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
        note_going.append("source = ?")
        note_params.append(source)
    if import_id is not None:
        if not db.execute("SELECT 1 FROM imports WHERE id = ?", (import_id,)).fetchone():
            raise TwinError(f"there is no import {import_id}; `twin sources` lists them")
        going.append("m.import_id = ?")
        params.append(import_id)
        note_going.append("import_id = ?")
        note_params.append(import_id)
    if before:
        going.append("m.sort_key < ?")
        params.append(before.isoformat())
        note_going.append("created_at < ?")
        note_params.append(before.isoformat())
    doomed = " OR ".join(f"coalesce({condition}, 0)" for condition in going) or "0"
    found = ForgetPreview()
    found.messages, found.mine = db.execute(
        f"SELECT count(*), coalesce(sum(coalesce(p.is_me, 0)), 0) FROM messages m "
        f"LEFT JOIN people p ON p.id = m.sender_id WHERE {doomed}",
        params,
    ).fetchone()
    found.conversation_ids = {
        row[0]
        for row in db.execute(
            f"SELECT DISTINCT m.conversation_id FROM messages m WHERE {doomed}", params
        )
    }
    # `forget` drops every conversation left without messages (as it does an empty one).
    found.conversations = db.execute(
        f"SELECT count(*) FROM conversations c WHERE NOT EXISTS "
        f"(SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND NOT ({doomed}))",
        params,
    ).fetchone()[0]
    if note_going:
        found.note_ids = {
            row[0]
            for row in db.execute(
                f"SELECT id FROM notes WHERE {' OR '.join(note_going)}", note_params
            )
        }
    found.notes = len(found.note_ids)
    return found
