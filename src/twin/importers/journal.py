"""Journal entries from a JSON Lines file: one ``{"date", "text", "private"}`` object a line.

This is the shape `twin journal list --json` and many journaling apps' exports reduce to, and
the one twin's sample journal uses. A notes importer (see `twin.importers.notes`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

from twin.errors import BadInput
from twin.importers.notes import NoteFile, as_datetime
from twin.records import Note, NoteKind


class JournalLines:
    """A ``.jsonl`` file of dated journal entries."""

    name: ClassVar[str] = "journal"
    version: ClassVar[str] = "1"

    def detect(self, name: str, head: bytes) -> bool:
        first = head.lstrip().split(b"\n", 1)[0]
        return name.lower().endswith(".jsonl") and b'"text"' in first and b'"date"' in first

    def parse(self, file: NoteFile) -> Iterator[Note]:
        for number, line in enumerate(file.text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as error:
                raise BadInput(file.label, f"not JSON ({error.msg})", line=number) from None
            if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
                raise BadInput(file.label, "an entry needs a text", line=number)
            moment = as_datetime(entry.get("date") or entry.get("created_at"))
            if moment is None:
                raise BadInput(file.label, "an entry needs a date (ISO 8601)", line=number)
            yield Note(
                source=self.name,
                location=moment.isoformat(timespec="seconds"),
                title=f"Journal, {moment:%Y-%m-%d}",
                text=entry["text"].strip(),
                created_at=moment,
                private=entry.get("private") is True,
                kind=NoteKind.JOURNAL,
            )
