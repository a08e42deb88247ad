"""The voice messages of a Telegram export, found without parsing the export again.

Transcribing needs, for each voice message, only three things: its chat's id, its message id
and the file path Telegram wrote (``voice_messages/audio_1@….ogg``). One streaming pass over
``result.json`` picks those fields out of the JSON events (no message is built, no text or date
read); an export that holds no audio under ``voice_messages/`` is not read at all. Messages
without ids (some older exporters) can't be found this way: the caller parses those exports
whole instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import ijson

from twin.errors import BadInput
from twin.importers.files import SourceFile
from twin.importers.jsonstream import XEscapeRepair, fast_ijson
from twin.voice.audio import AUDIO_SUFFIXES

EXPORT_NAME = "result.json"
VOICE_FOLDERS = ("voice_messages", "round_video_messages")
"""Where Telegram Desktop puts voice messages and round video messages."""
SUFFIXES = AUDIO_SUFFIXES | {".mp4"}
"""Round video messages are MP4: their sound is transcribed like a voice message's."""
_CHATS = ("", "chats.list.item", "left_chats.list.item")
_CHAT_ID = {f"{chat}.id".lstrip("."): chat for chat in _CHATS}
_MESSAGE = {f"{chat}.messages.item".lstrip("."): chat for chat in _CHATS}
_BUFFER = 1 << 16


@dataclass(frozen=True)
class VoiceFile:
    """A voice message as the export names it, and the member that holds its audio."""

    chat_id: str
    message_id: str
    member: str


@dataclass
class _Pending:
    chat: tuple[str, int]
    message_id: Any = None
    file: Any = None
    fields: set[str] = field(default_factory=set)


class MissingIds(Exception):
    """A voice message or its chat has no id: the export must be parsed whole."""


def has_voice_files(names: list[str]) -> bool:
    """Whether any audio file sits in a Telegram voice folder of the export."""
    return any(_in_voice_folder(name) for name in names)


def _in_voice_folder(name: str) -> bool:
    path = PurePosixPath(name)
    return path.suffix.lower() in SUFFIXES and any(p in VOICE_FOLDERS for p in path.parts)


def voice_files(source: SourceFile) -> Iterator[VoiceFile]:
    """Each voice message of every ``result.json`` in the folder or zip whose audio it holds;
    `MissingIds` when one can't be named by chat and message id."""
    names = source.members()
    if not has_voice_files(names):
        return
    known = set(names)
    exports = sorted(
        (n for n in names if PurePosixPath(n).name == EXPORT_NAME), key=lambda n: (n.count("/"), n)
    )
    for export in exports:
        root = PurePosixPath(export).parent
        for chat_id, message_id, attachment in _scan(source, export):
            member = voice_member([root], attachment, known)
            if member is not None:
                yield VoiceFile(chat_id, message_id, member)


def voice_member(roots: list[PurePosixPath], attachment: str, known: set[str]) -> str | None:
    """The member an attachment path names (relative to an export's folder among `roots`), if
    it is a voice file inside the export; never a path that leaves it."""
    relative = PurePosixPath(attachment)
    if relative.is_absolute() or ".." in relative.parts or not _in_voice_folder(attachment):
        return None
    for root in roots:
        candidate = str(root / relative) if str(root) != "." else str(relative)
        if candidate in known:
            return candidate
    return None


def _scan(source: SourceFile, export: str) -> Iterator[tuple[str, str, str]]:
    """(chat id, message id, file) for each message with a file in a voice folder."""
    chat_id = _single_chat_id(source, export)
    if chat_id is None:
        yield from _scan_events(source, export)
        return
    try:
        found = _voice_items(source, export, repair=False)
    except ijson.JSONError:  # perhaps \xNN escapes, which some exporters write: repaired
        found = None
    if found is None:
        try:
            found = _voice_items(source, export, repair=True)
        except ijson.JSONError as error:
            raise BadInput(source.label(export), f"truncated or invalid JSON ({error})") from None
    for message_id, file in found:
        if message_id is None:
            raise MissingIds(source.label(export))
        yield str(chat_id), str(message_id), file


def _single_chat_id(source: SourceFile, export: str) -> Any:
    """The chat id of a one-chat export, read from its header; None for an account export or
    a file that names its chat after its messages."""
    chat_id: Any = None
    try:
        with source.open(export) as stream:
            for prefix, event, value in fast_ijson().parse(XEscapeRepair(stream, 4096)):
                if prefix == "" and event == "map_key":
                    if value in ("personal_information", "chats", "left_chats"):
                        return None
                    if value == "messages":
                        return chat_id
                elif prefix == "id" and event in ("number", "string"):
                    chat_id = value
    except (ijson.JSONError, UnicodeDecodeError):
        return None  # the full pass says what is wrong with the file
    return None


def _voice_items(source: SourceFile, export: str, repair: bool) -> list[tuple[Any, str]]:
    """(message id, file) of a one-chat export's voice messages: ijson's C backend builds each
    message, Python only looks at its ``file``."""
    found: list[tuple[Any, str]] = []
    try:
        with source.open(export) as stream:
            reader = XEscapeRepair(stream, _BUFFER) if repair else stream
            for item in fast_ijson().items(reader, "messages.item", buf_size=_BUFFER):
                file = item.get("file") if isinstance(item, dict) else None
                if isinstance(file, str) and _in_voice_folder(file):
                    found.append((item.get("id"), file))
    except UnicodeDecodeError as error:
        raise BadInput(source.label(export), f"not valid UTF-8 ({error.reason})") from None
    return found


def _scan_events(source: SourceFile, export: str) -> Iterator[tuple[str, str, str]]:
    """An account export (many chats): the fields picked out of the JSON events."""
    label = source.label(export)
    chat_ids: dict[tuple[str, int], Any] = {}
    counts = dict.fromkeys(_CHATS, -1)
    counts[""] = 0
    found: list[_Pending] = []
    current: _Pending | None = None
    here = ""
    try:
        with source.open(export) as stream:
            events = fast_ijson().parse(XEscapeRepair(stream, _BUFFER), buf_size=_BUFFER)
            for prefix, event, value in events:
                if current is not None:
                    if prefix == here and event == "end_map":
                        if isinstance(current.file, str) and _in_voice_folder(current.file):
                            found.append(current)
                        current = None
                    elif prefix == f"{here}.id" and "id" not in current.fields:
                        current.message_id = value
                        current.fields.add("id")
                    elif prefix == f"{here}.file" and event == "string":
                        current.file = value
                    continue
                if event == "start_map":
                    if prefix in _MESSAGE:
                        chat = _MESSAGE[prefix]
                        here, current = prefix, _Pending((chat, counts[chat]))
                    elif prefix in counts and prefix:
                        counts[prefix] += 1
                elif prefix in _CHAT_ID and event in ("number", "string"):
                    chat = _CHAT_ID[prefix]
                    chat_ids[(chat, counts[chat])] = value
    except ijson.JSONError as error:
        raise BadInput(label, f"truncated or invalid JSON ({error})") from None
    except UnicodeDecodeError as error:
        raise BadInput(label, f"not valid UTF-8 ({error.reason})") from None
    for pending in found:
        chat_id = chat_ids.get(pending.chat)
        if chat_id is None or pending.message_id is None:
            raise MissingIds(label)
        yield str(chat_id), str(pending.message_id), str(pending.file)
