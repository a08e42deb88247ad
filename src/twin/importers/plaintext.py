"""Plain text notes: one note per ``.txt`` file, titled by its file name.

This is a notes importer (see `twin.importers.notes`): it yields `Note` records, not messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from twin.importers.notes import NoteFile, note_date
from twin.records import Note

SUFFIXES = (".txt", ".text")


class PlainTextNotes:
    """A text file; its name (``2024-05-02 hike.txt``) gives the title and maybe the day."""

    name: ClassVar[str] = "plaintext"
    version: ClassVar[str] = "1"

    def detect(self, name: str, head: bytes) -> bool:
        return name.lower().endswith(SUFFIXES)

    def parse(self, file: NoteFile) -> Iterator[Note]:
        text = file.text().strip()
        if not text:
            return
        yield Note(
            source=self.name,
            location=file.name,
            title=file.stem.replace("_", " ").strip(),
            text=text,
            created_at=note_date(file),
        )
