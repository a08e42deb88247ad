"""The record type for notes and journal entries: text the user wrote for themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class NoteKind(StrEnum):
    """Whether the text was written in twin's journal or imported from a notes app."""

    JOURNAL = "journal"
    NOTE = "note"


@dataclass(slots=True)
class Note:
    """One note or journal entry, as an importer or `twin journal add` gives it."""

    source: str
    """``journal`` or the notes importer's name, e.g. ``markdown``."""
    location: str
    """Where it lives in its source: a path inside the imported folder, or a tiddler title."""
    title: str
    text: str
    """The body, in Markdown where the source has structure (headings become ``#`` lines)."""
    created_at: datetime
    tags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    """Titles of other notes this one links to (wiki links)."""
    private: bool = False
    """Private entries can ground replies but are never quoted at length."""
    kind: NoteKind = NoteKind.NOTE
