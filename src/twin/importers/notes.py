"""The notes importers' interface, apart from chat importers, and the walk over a folder.

A notes importer reads one file (a Markdown note, a text file, a ``.tid`` tiddler or a whole
TiddlyWiki HTML file) and yields `Note` records; it never writes anywhere. A folder or zip is
walked by `read_notes`, which hands each file to the first importer that recognises it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import ClassVar, Protocol

from twin.errors import BadInput, TwinError
from twin.importers.files import SourceFile
from twin.plugins import collect
from twin.records import Note

MAX_NOTE_FILE_BYTES = 64 * 1024**2
"""Larger files are skipped: no note (nor a whole wiki) is that big."""
SKIPPED_PARTS = {".obsidian", ".trash", ".git", "node_modules", "__MACOSX"}
"""Folders of app settings and deleted notes, never notes themselves."""
DAY_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, slots=True)
class NoteFile:
    """One file handed to a notes importer."""

    name: str
    """Path inside the imported folder or archive ('/'-separated); the file name for a file."""
    data: bytes
    modified: datetime | None
    label: str
    """How errors name it."""

    def text(self) -> str:
        """The content as strict UTF-8, without a byte order mark."""
        try:
            text = self.data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadInput(self.label, f"not valid UTF-8 ({error.reason})") from None
        return text.removeprefix("\ufeff")

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem


class NoteImporter(Protocol):
    """A notes format, registered through the ``register_note_importers`` hook."""

    name: ClassVar[str]
    version: ClassVar[str]
    """Bumped whenever parsing changes what notes a file yields; kept with each import."""

    def detect(self, name: str, head: bytes) -> bool:
        """Whether this file is in this format, from its name and first bytes."""
        ...

    def parse(self, file: NoteFile) -> Iterator[Note]:
        """Every note the file holds; raise `BadInput` on a broken file."""
        ...


def note_importers() -> dict[str, NoteImporter]:
    """The notes importers, by name, in the order they are tried (``register_note_importers``)."""
    return collect("register_note_importers", "notes importers")


def day_from_name(name: str) -> datetime | None:
    """A ``YYYY-MM-DD`` in a file name (daily notes), as midnight of that day."""
    match = DAY_IN_NAME.search(PurePosixPath(name).name)
    if not match:
        return None
    try:
        year, month, day = (int(part) for part in match.groups())
        return datetime(year, month, day)
    except ValueError:
        return None


def as_datetime(value: object) -> datetime | None:
    """A date from front matter: a date, a datetime, or an ISO 8601 string."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return day_from_name(value)
    return None


def note_date(file: NoteFile, *candidates: object) -> datetime:
    """The first date given, else one in the file name, else the file's modification time."""
    for candidate in candidates:
        if (moment := as_datetime(candidate)) is not None:
            return moment
    return day_from_name(file.name) or file.modified or datetime.now(UTC)


def _skipped(member: str) -> bool:
    parts = PurePosixPath(member).parts
    return any(part in SKIPPED_PARTS or part.startswith(".") for part in parts)


def note_files(path: Path) -> Iterator[NoteFile]:
    """Every file under `path` (a file, folder or zip archive) that could hold notes."""
    source = SourceFile(path)
    try:
        members: list[str | None] = (
            list(source.members()) if (source.is_dir or source.is_zip) else [None]
        )
        for member in members:
            if member is not None and _skipped(member):
                continue
            where = path / member if (member is not None and source.is_dir) else path
            modified = None
            if not source.is_zip:
                stat = where.stat()
                if stat.st_size > MAX_NOTE_FILE_BYTES:
                    continue
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
            with source.open(member) as stream:
                data = stream.read(MAX_NOTE_FILE_BYTES + 1)
            if len(data) > MAX_NOTE_FILE_BYTES:
                continue
            yield NoteFile(member or path.name, data, modified, source.label(member))
    finally:
        source.close()


def read_notes(path: Path, only: str | None = None) -> Iterator[tuple[NoteImporter, Note]]:
    """Every note under `path`, with the importer that read it; files no importer knows are
    skipped. `only` restricts to one importer by name."""
    importers = note_importers()
    if only is not None:
        if only not in importers:
            raise TwinError(f"no notes importer {only!r}; known: {', '.join(importers)}")
        importers = {only: importers[only]}
    for file in note_files(path):
        head = file.data[:65536]
        for importer in importers.values():
            if importer.detect(file.name, head):
                for note in importer.parse(file):
                    yield importer, note
                break
