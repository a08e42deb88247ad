"""Keeping transcripts in the vault: voice notes and journal recordings as notes, voice
messages of chat exports as the text of their message, each with where the audio came from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from twin.errors import TwinError
from twin.memory.embeddings import Embeds
from twin.memory.index import index_notes
from twin.memory.store import content_sha256
from twin.records import Note, NoteKind
from twin.vault.vault import Vault
from twin.voice.transcribe import Transcript


@dataclass
class VoiceEntry:
    """A recording kept as a note or journal entry."""

    note_id: int
    transcript: Transcript
    added: bool
    """False when the same audio was already in the vault (nothing written)."""


def audio_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def note_for_audio(vault: Vault, digest: str) -> int | None:
    """The note already transcribed from this very audio, if any."""
    row = vault.db.execute(
        "SELECT note_id FROM voice_transcripts WHERE audio_sha256 = ? AND note_id IS NOT NULL",
        (digest,),
    ).fetchone()
    return None if row is None else int(row[0])


def _transcript_row(transcript: Transcript) -> tuple[object, ...]:
    return (
        transcript.language,
        transcript.confidence,
        transcript.duration,
        json.dumps([asdict(s) for s in transcript.segments], ensure_ascii=False),
        transcript.model,
        _now(),
    )


def store_voice_note(
    vault: Vault,
    transcript: Transcript,
    embedder: Embeds,
    *,
    origin: str,
    digest: str,
    created_at: datetime,
    kind: NoteKind = NoteKind.NOTE,
    private: bool = False,
    import_id: int | None = None,
    audio: bytes | None = None,
) -> int:
    """Write one transcript as a note (or journal entry) and index it; inside a transaction."""
    if not transcript.text.strip():
        raise TwinError(f"{origin}: no speech heard in the recording")
    note = Note(
        source="voice" if kind is NoteKind.NOTE else "journal",
        location=origin if kind is NoteKind.NOTE else created_at.isoformat(timespec="seconds"),
        title=(
            f"Voice note {Path(origin).name}"
            if kind is NoteKind.NOTE
            else f"Journal, {created_at:%Y-%m-%d} (spoken)"
        ),
        text=transcript.text,
        created_at=created_at,
        private=private,
        kind=kind,
    )
    cursor = vault.db.execute(
        "INSERT INTO notes (uid, kind, source, location, title, text, created_at, private, "
        "content_sha256, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            f"voice:{digest}",
            note.kind.value,
            note.source,
            note.location,
            note.title,
            note.text,
            note.created_at.isoformat(),
            int(private),
            content_sha256(note),
            import_id,
        ),
    )
    note_id = cursor.lastrowid
    assert note_id is not None
    vault.db.execute(
        "INSERT INTO voice_transcripts (note_id, origin, audio_sha256, language, confidence, "
        "duration, segments, model, created_at, audio) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (note_id, origin, digest, *_transcript_row(transcript), audio),
    )
    index_notes(vault, embedder, [note_id])
    return note_id


def store_message_transcript(
    vault: Vault,
    message_id: int,
    transcript: Transcript,
    *,
    origin: str,
    digest: str,
    audio: bytes | None = None,
) -> None:
    """Make the transcript the text of a voice message, flagged as transcribed; in a transaction."""
    old = vault.db.execute(
        "SELECT text, kind FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    if old is None:
        raise TwinError(f"there is no message {message_id}")
    vault.db.execute(
        "INSERT INTO voice_transcripts (message_id, origin, audio_sha256, original_text, "
        "original_kind, language, confidence, duration, segments, model, created_at, audio) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (message_id, origin, digest, old[0], old[1], *_transcript_row(transcript), audio),
    )
    vault.db.execute(
        "UPDATE messages SET text = ?, kind = 'text', transcribed = 1 WHERE id = ?",
        (transcript.text, message_id),
    )


def new_import(vault: Vault, path: Path, digest: str, private: bool) -> int:
    """An import record for a voice file or folder: its provenance."""
    cursor = vault.db.execute(
        "INSERT INTO imports (source, importer_version, file_name, file_sha256, imported_at, "
        "rules) VALUES ('voice', '1', ?, ?, ?, ?)",
        (str(path.resolve()), digest, _now(), json.dumps({"private": private})),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid
