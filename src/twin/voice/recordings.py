"""Voice files and recordings into the vault: `twin voice import`, `twin journal record`, and
the hub's upload (`transcribe_upload`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from twin.errors import BadInput, TwinError
from twin.memory.embeddings import Embeds, default_embedder
from twin.records import NoteKind
from twin.vault.vault import Vault
from twin.voice.audio import AUDIO_SUFFIXES, MAX_AUDIO_BYTES, decode
from twin.voice.store import (
    VoiceEntry,
    audio_sha256,
    new_import,
    note_for_audio,
    store_voice_note,
)
from twin.voice.transcribe import Progress, transcribe


@dataclass
class VoiceImport:
    """What one `twin voice import` did."""

    import_id: int | None = None
    added: list[VoiceEntry] = field(default_factory=list)
    already_there: int = 0


def _read(path: Path) -> bytes:
    if path.stat().st_size > MAX_AUDIO_BYTES:
        raise BadInput(path, f"larger than {MAX_AUDIO_BYTES // 1024**2} MiB")
    return path.read_bytes()


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not found:
        raise TwinError(f"{path}: no audio files ({', '.join(sorted(AUDIO_SUFFIXES))})")
    return found


def import_voice(
    vault: Vault,
    path: Path,
    *,
    embedder: Embeds | None = None,
    model: str | Path | None = None,
    private: bool = False,
    keep_audio: bool = False,
    progress: Callable[[Path], Progress | None] | None = None,
) -> VoiceImport:
    """Transcribe a voice file, or every audio file under a folder, into notes.

    Every file is decoded and transcribed before anything is written, so a file that is not
    audio leaves the vault as it was. The same audio imported again adds nothing.
    """
    embedder = embedder or default_embedder()
    summary = VoiceImport()
    pending = []
    for file in _files(path):
        data = _read(file)
        digest = audio_sha256(data)
        if note_for_audio(vault, digest) is not None:
            summary.already_there += 1
            continue
        samples = decode(data, str(file))
        transcript = transcribe(samples, model, progress(file) if progress else None)
        created = datetime.fromtimestamp(file.stat().st_mtime).astimezone()
        pending.append((file, data, digest, transcript, created))
    if not pending:
        return summary
    folder_digest = audio_sha256(b"".join(p[2].encode() for p in pending))
    with vault.transaction():
        summary.import_id = new_import(vault, path, folder_digest, private)
        for file, data, digest, transcript, created in pending:
            origin = str(file.resolve())
            note_id = store_voice_note(
                vault,
                transcript,
                embedder,
                origin=origin,
                digest=digest,
                created_at=created,
                private=private,
                import_id=summary.import_id,
                audio=data if keep_audio else None,
            )
            summary.added.append(VoiceEntry(note_id, transcript, True))
        vault.db.execute(
            "UPDATE imports SET added = ?, already_there = ? WHERE id = ?",
            (len(summary.added), summary.already_there, summary.import_id),
        )
    return summary


def record_journal_entry(
    vault: Vault,
    data: bytes,
    label: str,
    *,
    private: bool = False,
    embedder: Embeds | None = None,
    model: str | Path | None = None,
    keep_audio: bool = False,
    when: datetime | None = None,
    progress: Progress | None = None,
    provenance: Callable[[], int] | None = None,
) -> VoiceEntry:
    """A spoken journal entry: transcribe the recording and keep it with its private mark.

    `provenance`, when given, is called inside the write transaction and returns the import the
    entry belongs to (a paired device's pushes), so the entry and its origin land together.
    """
    digest = audio_sha256(data)
    known = note_for_audio(vault, digest)
    samples = decode(data, label)
    transcript = transcribe(samples, model, progress)
    if known is not None:
        return VoiceEntry(known, transcript, False)
    embedder = embedder or default_embedder()
    with vault.transaction():
        note_id = store_voice_note(
            vault,
            transcript,
            embedder,
            origin=label,
            digest=digest,
            created_at=when or datetime.now().astimezone(),
            kind=NoteKind.JOURNAL,
            private=private,
            import_id=provenance() if provenance is not None else None,
            audio=data if keep_audio else None,
        )
    return VoiceEntry(note_id, transcript, True)


def transcribe_upload(
    vault: Vault,
    data: bytes,
    filename: str,
    private: bool,
    *,
    embedder: Embeds | None = None,
    model: str | Path | None = None,
    provenance: Callable[[], int] | None = None,
) -> VoiceEntry:
    """The hub's Journal recording (webm/ogg from MediaRecorder) or a paired device's upload:
    transcribed and kept as a journal entry; `BadInput` (one line) if it isn't audio."""
    name = Path(filename).name or "recording"
    if len(data) > MAX_AUDIO_BYTES:
        raise BadInput(name, f"larger than {MAX_AUDIO_BYTES // 1024**2} MiB")
    if not data:
        raise BadInput(name, "is empty: nothing was recorded")
    return record_journal_entry(
        vault, data, f"upload:{name}", private=private, embedder=embedder, model=model,
        provenance=provenance,
    )  # fmt: skip
