"""Voice notes inside chat exports: a WhatsApp zip's ``PTT-….opus`` next to its
``<attached: …>`` or ``(file attached)`` line, a Telegram folder's ``voice_messages/``.

Runs after the import, over the messages it stored (or an earlier import stored). A Telegram
export is not parsed again: one pass over its JSON picks out the voice messages' chat ids,
message ids and file paths (`telegram_notes`). Other exports are parsed again, and each media
message whose text names an audio file the export holds is found in the vault. The transcript
becomes that message's text, flagged as transcribed; only audio still to transcribe is read,
in place (never extracted), and copied into the vault only with `keep_audio`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from twin.errors import BadInput, TwinError
from twin.importers.base import Importer, ParseOptions
from twin.importers.files import SourceFile
from twin.records import Kind, Message
from twin.vault.collect import open_source, sort_key
from twin.vault.vault import Vault
from twin.voice.audio import AUDIO_SUFFIXES, MAX_AUDIO_BYTES, decode
from twin.voice.store import audio_sha256, store_message_transcript
from twin.voice.telegram_notes import MissingIds, voice_files, voice_member
from twin.voice.transcribe import Progress, transcribe

_FILE_NAME = re.compile(r"[^\s<>:/\\\u200e\u200f]+\.[A-Za-z0-9]{2,5}")


@dataclass
class VoiceNotesSummary:
    """What transcribing one export's voice notes did."""

    transcribed: int = 0
    already: int = 0
    missing: int = 0
    """Voice notes the export names but doesn't hold (exported without media)."""
    failed: list[str] = field(default_factory=list)
    """One line for each audio file that could not be read."""


def referenced_audio(message: Message, members: dict[str, str]) -> str | None:
    """The export member holding this message's voice note, if its text names one it holds."""
    if message.kind is not Kind.MEDIA:
        return None
    first = message.text.partition("\n")[0]
    for name in _FILE_NAME.findall(first):
        if PurePosixPath(name).suffix.lower() in AUDIO_SUFFIXES and name in members:
            return members[name]
    return None


def _members(names: list[str]) -> dict[str, str]:
    """Audio members by their file name (WhatsApp names a file, not its folder)."""
    return {
        PurePosixPath(name).name: name
        for name in names
        if PurePosixPath(name).suffix.lower() in AUDIO_SUFFIXES
    }


def _message_id(vault: Vault, message: Message) -> tuple[int, bool] | None:
    """The stored message (id, already transcribed), matched by conversation, moment and text."""
    key = message.conversation_id or message.conversation
    moment = message.sent_at.isoformat()
    for row in vault.db.execute(
        "SELECT m.id, m.text, m.transcribed, v.original_text FROM messages m "
        "JOIN conversations c ON c.id = m.conversation_id "
        "LEFT JOIN voice_transcripts v ON v.message_id = m.id "
        "WHERE c.source = ? AND c.external_id = ? AND m.sort_key = ?",
        (message.source, key, sort_key(message.sent_at, moment)),
    ):
        if message.message_id is not None:
            if _same_source_id(vault, row[0], message.message_id):
                return int(row[0]), bool(row[2])
        elif message.text in (row[1], row[3]):
            return int(row[0]), bool(row[2])
    return None


def _same_source_id(vault: Vault, message_id: int, source_id: str) -> bool:
    row = vault.db.execute(
        "SELECT source_message_id FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    return row is not None and row[0] == source_id


def _voice_notes(
    vault: Vault, path: Path, source: str | None, options: ParseOptions
) -> Iterator[tuple[int, bool, str, Callable[[], bytes]]]:
    """Every voice note of the export that the vault holds: the stored message's id, whether
    it is transcribed already, the audio's label, and how to read the audio (only if needed)."""
    file, importer = open_source(path, source)
    try:
        if importer.name == "telegram":
            try:
                found = list(_telegram_notes(vault, file))
            except MissingIds:
                found = list(_parsed_notes(vault, file, importer, options))
        else:
            found = list(_parsed_notes(vault, file, importer, options))
        for message_id, done, member in found:
            yield message_id, done, file.label(member), partial(_audio, file, member)
    finally:
        file.close()


def _audio(file: SourceFile, member: str) -> bytes:
    with file.open(member) as stream:
        data = stream.read(MAX_AUDIO_BYTES + 1)
    if len(data) > MAX_AUDIO_BYTES:
        raise BadInput(file.label(member), "voice note larger than 512 MiB")
    return data


def _telegram_notes(vault: Vault, file: SourceFile) -> Iterator[tuple[int, bool, str]]:
    """Telegram: voice messages found by chat and message id, the export not parsed again."""
    stored: dict[str, dict[str, tuple[int, bool]]] = {}
    for voice in voice_files(file):
        if voice.chat_id not in stored:  # one read of each chat's media messages
            stored[voice.chat_id] = {
                str(row[0]): (int(row[1]), bool(row[2]))
                for row in vault.db.execute(
                    "SELECT m.source_message_id, m.id, m.transcribed FROM messages m "
                    "JOIN conversations c ON c.id = m.conversation_id "
                    "WHERE c.source = 'telegram' AND c.external_id = ? "
                    "AND (m.kind = 'media' OR m.transcribed = 1)",
                    (voice.chat_id,),
                )
            }
        found = stored[voice.chat_id].get(voice.message_id)
        if found is not None:  # else left out by the rules, or not imported
            yield found[0], found[1], voice.member


def _parsed_notes(
    vault: Vault, file: SourceFile, importer: Importer, options: ParseOptions
) -> Iterator[tuple[int, bool, str]]:
    """Any other export (a WhatsApp chat names its voice notes in its text): parsed again."""
    names = file.members()
    members, known = _members(names), set(names)
    roots = sorted({PurePosixPath(m).parent for m in names if m.endswith("result.json")})
    for message in importer.parse(file, options):
        if not isinstance(message, Message):
            continue
        member = referenced_audio(message, members)
        attachment = getattr(message, "attachment", None)
        if member is None and attachment:
            member = voice_member(roots or [PurePosixPath(".")], attachment, known)
        if member is None:
            continue
        found = _message_id(vault, message)
        if found is not None:
            yield found[0], found[1], member


def transcribe_export(
    vault: Vault,
    path: Path,
    *,
    source: str | None = None,
    options: ParseOptions | None = None,
    model: str | Path | None = None,
    keep_audio: bool = False,
    progress: Callable[[str], Progress | None] | None = None,
) -> VoiceNotesSummary:
    """Transcribe the voice notes of an export already imported; each lands in its own
    transaction, so an interrupted run keeps what it did and a rerun does the rest."""
    summary = VoiceNotesSummary()
    for message_id, done, label, read in _voice_notes(
        vault, path, source, options or ParseOptions()
    ):
        if done:
            summary.already += 1
            continue
        data = read()
        try:
            samples = decode(data, label)
        except BadInput as error:
            summary.failed.append(str(error))
            continue
        transcript = transcribe(samples, model, progress(label) if progress else None)
        if not transcript.text:
            summary.failed.append(f"{label}: no speech heard")
            continue
        with vault.transaction():
            store_message_transcript(
                vault,
                message_id,
                transcript,
                origin=f"{path.resolve()}:{PurePosixPath(label).name}",
                digest=audio_sha256(data),
                audio=data if keep_audio else None,
            )
        summary.transcribed += 1
    return summary


def transcribe_conversation(
    vault: Vault,
    conversation: str,
    *,
    export: Path | None = None,
    model: str | Path | None = None,
    keep_audio: bool = False,
    progress: Callable[[str], Progress | None] | None = None,
) -> VoiceNotesSummary:
    """Transcribe a conversation's voice notes later, from the exports it was imported from
    (as `twin sources` records them) or from `export` when the file has moved."""
    rows = list(
        vault.db.execute(
            "SELECT DISTINCT i.file_name, i.source FROM imports i "
            "JOIN messages m ON m.import_id = i.id "
            "JOIN conversations c ON c.id = m.conversation_id "
            "WHERE lower(c.title) = lower(?) OR c.external_id = ? OR CAST(c.id AS TEXT) = ?",
            (conversation, conversation, conversation),
        )
    )
    if not rows:
        raise TwinError(f"no conversation matches {conversation!r}; `twin stats` lists them")
    total = VoiceNotesSummary()
    paths = [(export, None)] if export is not None else [(Path(r[0]), r[1]) for r in rows]
    for path, source in paths:
        if not path.exists():
            raise TwinError(f"{path}: the export is no longer there; give it with --from PATH")
        done = transcribe_export(
            vault, path, source=source, model=model, keep_audio=keep_audio, progress=progress
        )
        total.transcribed += done.transcribed
        total.already += done.already
        total.failed += done.failed
    return total
