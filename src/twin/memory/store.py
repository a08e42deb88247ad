"""Keeping notes and journal entries in the vault, and taking them back out.

A note's identity is its content and its path inside the folder imported (never the folder's
own place on disk), so importing a moved folder again adds nothing. A note whose content
changed is found by its path in the same folder and updated in place, so importing an edited
folder updates the notes that changed and adds nothing else. (A note both moved and edited
is taken as a new one.) A journal entry's identity is its moment and text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from twin.errors import TwinError
from twin.importers.files import SourceFile
from twin.importers.notes import read_notes
from twin.memory.embeddings import Embeds
from twin.memory.index import IndexSummary, index_notes
from twin.records import Note, NoteKind
from twin.vault.forget import Forgotten, forget_derived
from twin.vault.vault import Vault


@dataclass
class NotesImport:
    """What one `twin notes import` did."""

    import_id: int
    path: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    """Notes read, by importer."""
    index: IndexSummary = field(default_factory=IndexSummary)


def _hash(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def content_sha256(note: Note) -> str:
    """Hash of what recall sees; an unchanged note is not touched on re-import."""
    return hashlib.sha256(f"{note.title}\x1f{note.text}\x1f{note.private}".encode()).hexdigest()


def _upsert(
    vault: Vault, note: Note, uid: str, import_id: int | None, folder: str | None = None
) -> tuple[str, int]:
    """Store one note: ``('added' | 'updated' | 'unchanged', note id)``.

    With `folder`, a note at the same path of an earlier import of that folder is this note's
    older version, and is updated.
    """
    digest = content_sha256(note)
    row = vault.db.execute("SELECT id, content_sha256 FROM notes WHERE uid = ?", (uid,)).fetchone()
    if row is None and folder is not None:
        row = vault.db.execute(
            "SELECT notes.id, content_sha256 FROM notes JOIN imports ON imports.id = import_id "
            "WHERE notes.source = ? AND location = ? AND imports.file_name = ?",
            (note.source, note.location, folder),
        ).fetchone()
    values = (
        note.title,
        note.text,
        note.created_at.isoformat(),
        json.dumps(note.tags, ensure_ascii=False),
        json.dumps(note.links, ensure_ascii=False),
        int(note.private),
        digest,
        import_id,
    )
    if row is None:
        cursor = vault.db.execute(
            "INSERT INTO notes (uid, kind, source, location, title, text, created_at, tags, "
            "links, private, content_sha256, import_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (uid, note.kind.value, note.source, note.location, *values),
        )
        assert cursor.lastrowid is not None
        return "added", cursor.lastrowid
    note_id, old = row
    if old == digest:
        return "unchanged", note_id
    vault.db.execute(
        "UPDATE notes SET title = ?, text = ?, created_at = ?, tags = ?, links = ?, private = ?, "
        "content_sha256 = ?, import_id = ?, uid = ? WHERE id = ?",
        (*values, uid, note_id),
    )
    return "updated", note_id


def import_notes(
    vault: Vault,
    path: Path,
    embedder: Embeds,
    *,
    private: bool = False,
    only: str | None = None,
) -> NotesImport:
    """Collect the notes under `path` and index them, in one transaction.

    `private` marks every note of this import private; `only` names the one importer to use.
    """
    root = str(path.resolve())
    file = SourceFile(path)
    try:
        digest = file.sha256()
    finally:
        file.close()
    with vault.transaction():
        cursor = vault.db.execute(
            "INSERT INTO imports (source, importer_version, file_name, file_sha256, imported_at, "
            "rules) VALUES ('notes', '', ?, ?, ?, ?)",
            (
                root,
                digest,
                datetime.now(UTC).isoformat(timespec="seconds"),
                json.dumps({"private": private, "only": only}, sort_keys=True),
            ),
        )
        assert cursor.lastrowid is not None
        summary = NotesImport(cursor.lastrowid, str(path))
        versions: dict[str, str] = {}
        changed: list[int] = []
        for importer, note in read_notes(path, only):
            note.private = note.private or private
            versions[importer.name] = importer.version
            summary.formats[importer.name] = summary.formats.get(importer.name, 0) + 1
            uid = _hash(note.source, note.location, content_sha256(note))
            outcome, note_id = _upsert(vault, note, uid, summary.import_id, folder=root)
            setattr(summary, outcome, getattr(summary, outcome) + 1)
            if outcome != "unchanged":
                changed.append(note_id)
        if not versions:
            raise TwinError(
                f"{path}: no notes found (Markdown .md, text .txt, TiddlyWiki .tid or .html)"
            )
        vault.db.execute(
            "UPDATE imports SET source = ?, importer_version = ?, added = ?, already_there = ? "
            "WHERE id = ?",
            (
                "+".join(sorted(versions)),
                ",".join(f"{name}={version}" for name, version in sorted(versions.items())),
                summary.added + summary.updated,
                summary.unchanged,
                summary.import_id,
            ),
        )
        summary.index = index_notes(vault, embedder, changed)
    return summary


def add_journal_entry(
    vault: Vault,
    text: str,
    embedder: Embeds | None,
    *,
    private: bool = False,
    when: datetime | None = None,
) -> int:
    """Write one journal entry, timestamped now unless `when` says otherwise; return its id.

    Without an `embedder` the entry is saved at once and indexed by the next recall, so
    writing a journal entry never waits for the embedding model to load.
    """
    text = text.strip()
    if not text:
        raise TwinError("the journal entry is empty")
    moment = when or datetime.now().astimezone()
    note = Note(
        source="journal",
        location=moment.isoformat(timespec="seconds"),
        title=f"Journal, {moment:%Y-%m-%d}",
        text=text,
        created_at=moment,
        private=private,
        kind=NoteKind.JOURNAL,
    )
    with vault.transaction():
        _, note_id = _upsert(vault, note, _hash("journal", note.location, text), None)
        if embedder is not None:
            index_notes(vault, embedder, [note_id])
    return note_id


def list_notes(
    vault: Vault, kind: NoteKind | None = None, limit: int | None = None
) -> list[dict[str, object]]:
    """Notes and entries, newest first, as dicts of their stored fields."""
    sql = (
        "SELECT id, kind, source, location, title, text, created_at, tags, private, import_id, "
        "(SELECT count(*) FROM chunks WHERE owner = 'note' AND owner_id = notes.id) AS passages "
        "FROM notes"
    )
    params: list[object] = []
    if kind is not None:
        sql += " WHERE kind = ?"
        params.append(kind.value)
    sql += " ORDER BY created_at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    rows = list(vault.rows(sql, *params))
    for row in rows:
        row["tags"] = json.loads(str(row["tags"]))
        row["private"] = bool(row["private"])
    return rows


@dataclass
class NotesForgotten:
    """What one `forget_notes` removed."""

    notes: int = 0
    passages: int = 0
    imports: int = 0
    derived: list[str] = field(default_factory=list)
    """Other things made from those notes and removed with them (datasets)."""


def forget_notes(
    vault: Vault,
    *,
    note_ids: Iterable[int] = (),
    import_id: int | None = None,
    kind: NoteKind | None = None,
) -> NotesForgotten:
    """Delete notes, their passages and vectors, and the import records left empty."""
    ids = set(note_ids)
    if not ids and import_id is None and kind is None:
        raise TwinError("say what to forget: note ids, --import or --all")
    gone = NotesForgotten()
    db = vault.db
    with vault.transaction():
        passages_before = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        for note_id in sorted(ids):
            if not db.execute("SELECT 1 FROM notes WHERE id = ?", (note_id,)).fetchone():
                raise TwinError(f"there is no note or journal entry {note_id}")
        if import_id is not None:
            row = db.execute("SELECT source FROM imports WHERE id = ?", (import_id,)).fetchone()
            if row is None:
                raise TwinError(f"there is no import {import_id}; `twin sources` lists them")
            ids |= {
                i for (i,) in db.execute("SELECT id FROM notes WHERE import_id = ?", (import_id,))
            }
        if kind is not None:
            ids |= {i for (i,) in db.execute("SELECT id FROM notes WHERE kind = ?", (kind.value,))}
        touched = {
            i
            for note_id in ids
            for (i,) in db.execute(
                "SELECT import_id FROM notes WHERE id = ? AND import_id IS NOT NULL", (note_id,)
            )
        }
        db.executemany("DELETE FROM notes WHERE id = ?", [(i,) for i in ids])
        gone.notes = len(ids)
        if import_id is not None:
            touched.add(import_id)
        for emptied in touched:
            if not db.execute("SELECT 1 FROM notes WHERE import_id = ?", (emptied,)).fetchone():
                gone.imports += db.execute(
                    "DELETE FROM imports WHERE id = ? AND id NOT IN "
                    "(SELECT import_id FROM messages)",
                    (emptied,),
                ).rowcount
        gone.passages = passages_before - db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        db.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')")
        derived = Forgotten(notes=gone.notes, note_ids=ids)
        forget_derived(vault, derived)
        gone.derived = derived.derived
    vault.checkpoint()
    return gone
