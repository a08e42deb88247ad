"""Signal chats from signal-export (``sigexport``) and from decrypted Signal Desktop databases.

A decrypted ``db.sqlite`` is read by `twin.importers.signal_desktop`; the rest of this module
reads signal-export's output.

``sigexport DEST`` writes one folder per chat, ``DEST/<chat name>/``, holding ``chat.md``,
``data.json`` (one JSON object per line) and ``media/``. Point twin at ``DEST``, at one chat's
folder, or at one of the two files. Where a chat has both, ``data.json`` is read (it is the
structured one) and ``chat.md`` is left alone, so nothing is counted twice.

``chat.md``, one message per block, blank lines between::

    [2024-01-01 10:00:00] Me: How is everyone?
    [2024-01-01 10:01:00] Maya:

    > How is everyone?

    Fine!
    (- Me: 👍 -)

(older versions: ``[2019-05-29, 15:04] Me: …``). ``data.json``, one object per line::

    {"date": "2024-01-01T10:00:00", "sender": "Me", "body": "How is everyone?  ",
     "quote": "", "sticker": "", "reactions": [["Maya", "👍"]],
     "attachments": [{"name": "…", "path": "media/…"}], "deleted": false}

Rules:

* ``Me`` is the user (``from_me``); the chat is named after its folder; a chat with more than
  one other sender is a group.
* Times are the exporting machine's wall clock (signal-export writes no offset), kept naive.
* The quoted message a reply shows (``> …``) and the reaction line (``(- … -)``) are not the
  sender's words and are removed; attachment links and stickers with no words around them make
  the message ``media``; ``(This message was deleted)`` is ``deleted``; signal-export's call
  lines (``Incoming voice call (accepted, 1m 5s)``) are calls.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, ClassVar

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.signal_desktop import looks_like_signal_db, read_signal_db
from twin.records import Kind, Message

ME = "Me"
_MARKDOWN = "chat.md"
_JSON = "data.json"
_HEADER = re.compile(
    r"^\[(\d{4}-\d{2}-\d{2}),? (\d{1,2}:\d{2}(?::\d{2})?)\] ([^\n]*?): ?(.*)$", re.MULTILINE
)
_QUOTE = re.compile(r"\A\s*\n((?:> ?.*\n?)+)\n?")
_REACTIONS = re.compile(r"\n?\(- .* -\)\s*\Z")
_STICKER = re.compile(r"\n?\(\( (.*) \)\)\s*\Z")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:\.{1,2}/)?(?:media|exported_stickers)/[^)\n]*\)\s*")
_CALL = re.compile(r"(?:Incoming|Outgoing|Missed) (?:voice |video )?call(?: \(.*\))?")
_DELETED = "(This message was deleted)"
_HEAD_BYTES = 4096


class SignalImporter:
    """signal-export's per-chat ``chat.md`` and ``data.json``, one chat or the whole export."""

    name: ClassVar[str] = "signal"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """Whether this is a signal-export chat file, chat folder or export folder."""
        try:
            if source.is_zip or source.is_dir:
                return bool(_chat_files(source))
            if looks_like_signal_db(source.path):
                return True
            return _kind_of(source.path.name, source.head(_HEAD_BYTES)) is not None
        except (BadInput, OSError):
            return False

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield every chat's messages, chat by chat, in file order."""
        if not (source.is_zip or source.is_dir) and looks_like_signal_db(source.path):
            yield from read_signal_db(source.path)
            return
        if source.is_zip or source.is_dir:
            files: list[tuple[str | None, str, str]] = list(_chat_files(source))
            if not files:
                raise BadInput(source.path, "holds no signal-export chat (chat.md or data.json)")
        else:
            kind = _kind_of(source.path.name, source.head(_HEAD_BYTES))
            if kind is None:
                raise BadInput(source.path, "not a signal-export chat (chat.md or data.json)")
            files = [(None, kind, source.path.parent.name or source.path.stem)]
        for member, kind, chat in files:
            with source.open(member) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict")
                try:
                    if kind == _JSON:
                        rows = list(_json_rows(text, source.label(member)))
                    else:
                        rows = list(_markdown_rows(text.read()))
                except UnicodeDecodeError as error:
                    raise BadInput(
                        source.label(member), f"not valid UTF-8 ({error.reason})"
                    ) from None
            others = {sender for _, sender, *_ in rows if sender != ME}
            for moment, sender, kind_of, words in rows:
                yield Message(
                    source="signal",
                    conversation=chat,
                    sender=sender,
                    sent_at=moment,
                    kind=kind_of,
                    text=words,
                    from_me=sender == ME,
                    is_group=len(others) > 1,
                )


Row = tuple[datetime, str, Kind, str]


def _kind_of(name: str, head: bytes) -> str | None:
    """``chat.md`` or ``data.json`` when the file's name and first bytes are signal-export's."""
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    if name.lower().endswith(".md") and _HEADER.match(text.lstrip("\n")):
        return _MARKDOWN
    if name.lower().endswith(".json"):
        first = text.lstrip().split("\n", 1)[0]
        if not first.startswith("{"):  # a data.json line is one flat object
            return None
        try:
            obj = json.loads(first)
        except (ValueError, RecursionError):
            return None
        if isinstance(obj, dict) and {"date", "sender", "body"} <= obj.keys():
            return _JSON
    return None


def _chat_files(source: SourceFile) -> list[tuple[str, str, str]]:
    """(member, kind, chat name) for each chat, ``data.json`` preferred over ``chat.md``."""
    chats: dict[str, tuple[str, str]] = {}
    for member in source.members():
        path = PurePosixPath(member)
        if path.name not in (_MARKDOWN, _JSON):
            continue
        folder = str(path.parent)
        if path.name == _MARKDOWN and folder in chats:
            continue
        try:
            kind = _kind_of(path.name, source.head(_HEAD_BYTES, member))
        except (BadInput, OSError):
            continue
        if kind is not None:
            chats[folder] = (member, kind)
    names = {folder: PurePosixPath(folder).name or source.path.name for folder in chats}
    return [(member, kind, names[folder]) for folder, (member, kind) in sorted(chats.items())]


def _markdown_rows(text: str) -> Iterator[Row]:
    text = text.replace("\r\n", "\n")
    headers = list(_HEADER.finditer(text))
    for number, header in enumerate(headers):
        end = headers[number + 1].start() if number + 1 < len(headers) else len(text)
        date, clock, sender, first = header.groups()
        body = first + text[header.end() : end]
        moment = datetime.fromisoformat(
            f"{date}T{clock if clock.count(':') == 2 else clock + ':00'}"
        )
        yield (moment, sender, *_classify(body))


def _json_rows(text: io.TextIOWrapper, label: str) -> Iterator[Row]:
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            obj: Any = json.loads(line)
            moment = datetime.fromisoformat(obj["date"])
        except (ValueError, KeyError, TypeError, RecursionError):
            raise BadInput(label, "not a signal-export data.json line", line=number) from None
        sender = str(obj.get("sender") or "No-Sender")
        if obj.get("deleted"):
            yield moment, sender, Kind.DELETED, ""
            continue
        body = str(obj.get("body") or "")
        kind, words = _classify(body)
        attachments = [a for a in obj.get("attachments") or [] if isinstance(a, dict)]
        sticker = obj.get("sticker")
        if not words and attachments:
            kind, words = Kind.MEDIA, f"<attachment: {attachments[0].get('name', '')}>"
        elif not words and sticker:
            label_ = sticker.get("emoji", "") if isinstance(sticker, dict) else str(sticker)
            kind, words = Kind.MEDIA, f"<sticker: {label_}>"
        yield moment, sender, kind, words


def _classify(body: str) -> tuple[Kind, str]:
    """The kind and the sender's own words of one message body as signal-export wrote it."""
    body = _QUOTE.sub("", body, count=1)
    body = _REACTIONS.sub("", body)
    sticker = _STICKER.search(body)
    if sticker:
        body = body[: sticker.start()]
    links = _LINK.findall(body)
    words = "\n".join(line.rstrip() for line in _LINK.sub("", body).split("\n")).strip()
    if words == _DELETED:
        return Kind.DELETED, ""
    if _CALL.fullmatch(words):
        return Kind.CALL, words
    if not words and links:
        return Kind.MEDIA, f"<attachment: {links[0]}>"
    if not words and sticker:
        return Kind.MEDIA, f"<sticker: {sticker.group(1)}>"
    return (Kind.TEXT if words else Kind.OTHER), words
