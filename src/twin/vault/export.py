"""Exporting the whole vault as JSON Lines, readable by anything, without twin."""

from __future__ import annotations

import json
from pathlib import Path

from twin.atomic import write_file
from twin.vault.vault import Vault

SECTIONS = {
    "import": "SELECT * FROM imports ORDER BY id",
    "rule": "SELECT * FROM rules ORDER BY id",
    "person": "SELECT * FROM people ORDER BY id",
    "alias": "SELECT * FROM aliases ORDER BY person_id, source, alias",
    "conversation": "SELECT * FROM conversations ORDER BY id",
    "message": (
        "SELECT messages.id, hex(uid) AS uid, conversations.source, "
        "conversations.title AS conversation, conversation_id, people.name AS sender, "
        "sender_id, sent_at, kind, text, "
        "source_message_id, reply_to, forwarded_from, edited, import_id "
        "FROM messages JOIN conversations ON conversations.id = conversation_id "
        "LEFT JOIN people ON people.id = sender_id ORDER BY conversation_id, sort_key, messages.id"
    ),
    "note": "SELECT id, kind, source, location, title, text, created_at, tags, links, private, "
    "import_id FROM notes ORDER BY created_at, id",
    "event": "SELECT * FROM events ORDER BY sort_key, id",
    "transcript": "SELECT * FROM voice_transcripts ORDER BY id",
    "persona": "SELECT * FROM persona ORDER BY id",
    "feedback": "SELECT * FROM feedback ORDER BY id",
    "evaluation": "SELECT * FROM evaluations ORDER BY id",
    "blind_pick": "SELECT * FROM blind_picks ORDER BY id",
    "hub_chat_turn": "SELECT * FROM hub_chat_turns ORDER BY id",
}
"""Each line is one record: ``{"type": …, …its fields}``; bytes are written as hex."""


def export_vault(vault: Vault, path: Path) -> dict[str, int]:
    """Write every record to `path` (unencrypted, owner-only permissions); return counts by type."""
    counts: dict[str, int] = {}

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8") as stream:
            for kind, sql in SECTIONS.items():
                counts[kind] = 0
                for row in vault.rows(sql):
                    fields = {k: v.hex() if isinstance(v, bytes) else v for k, v in row.items()}
                    stream.write(json.dumps({"type": kind, **fields}, ensure_ascii=False) + "\n")
                    counts[kind] += 1

    write_file(path, write)  # a temporary file is created readable by its owner only
    return counts
