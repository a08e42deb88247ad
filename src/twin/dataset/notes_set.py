"""Your journal and notes as plain text, for continued pre-training on what you write.

Chats teach the twin how you talk; your journal and notes are long-form text in your own
words. They go to ``notes.jsonl`` (one ``{"text": …}`` a line, the shape continued
pre-training scripts and ``datasets.load_dataset("json", …)`` take), never into the chat
examples. Entries marked private stay out, and the same redaction applies.
"""

from __future__ import annotations

import json
from typing import TextIO

from twin.dataset.redaction import Redactor
from twin.vault.vault import Vault


def write_notes_set(vault: Vault, out: TextIO, redactor: Redactor | None) -> tuple[list[int], int]:
    """Write every non-private note and journal entry, oldest first; return (ids, characters)."""
    ids: list[int] = []
    characters = 0
    rows = vault.db.execute(
        "SELECT id, kind, title, text, created_at FROM notes WHERE private = 0 "
        "ORDER BY created_at, id"
    )
    for note_id, kind, title, text, created_at in rows:
        body = text.strip()
        if kind != "journal" and title and not body.startswith("#"):
            body = f"# {title}\n\n{body}"
        if not body:
            continue
        if redactor is not None:
            body = redactor.redact(body, f"{kind} {note_id} ({str(created_at)[:10]})")
        out.write(json.dumps({"text": body}, ensure_ascii=False) + "\n")
        ids.append(int(note_id))
        characters += len(body)
    return ids, characters
