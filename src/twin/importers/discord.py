"""DiscordChatExporter's JSON export: one channel, DM or group DM per file.

DiscordChatExporter (Tyrrrz) writes, in this order::

    {"guild": {"id": "…", "name": "Direct Messages" | "<server>", "iconUrl": "…"},
     "channel": {"id": "…", "type": "GuildTextChat" | "DirectTextChat" | "DirectGroupTextChat"
                 | "GuildPublicThread" | …, "category": "…", "name": "…", "topic": …},
     "dateRange": {…}, "exportedAt": "…",
     "messages": [{"id": "…", "type": "Default" | "Reply" | "Call" | "RecipientAdd" | …,
                   "timestamp": "2023-01-01T10:00:00.123+01:00", "timestampEdited": null,
                   "callEndedTimestamp": null, "content": "…",
                   "author": {"id": "…", "name": "…", "discriminator": "0000",
                              "nickname": "…", "isBot": false, …},
                   "attachments": [{"fileName": "…", …}], "embeds": […], "stickers": […],
                   "reference": {"messageId": "…", "channelId": "…"}, …}],
     "messageCount": 1234}

A big channel runs to hundreds of megabytes, so messages are streamed one at a time with
`ijson`. Rules:

* The sender is the author's server nickname where there is one, else their name; the author's
  id is kept, so a renamed person stays one person.
* Timestamps keep the offset DiscordChatExporter wrote.
* ``Default`` and ``Reply`` messages (and slash-command and thread-starter ones) are text, or
  media when they carry only attachments, stickers or embeds; ``Call`` is a call (with its
  length when it ended); every other type (joins, pins, renames, boosts…) is system.
* A reply points at the message it answers (``reference.messageId``); an edit is flagged.
* Direct messages are one-to-one; group DMs, server channels and threads are groups.
* The export does not say which author is the user: `twin import --me` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

import ijson
from ijson.common import ObjectBuilder

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.jsonstream import XEscapeRepair, fast_ijson
from twin.records import Kind, Message

_ORDINARY = frozenset(
    {"Default", "Reply", "ChatInputCommand", "ContextMenuCommand", "ThreadStarterMessage"}
)
_ONE_TO_ONE = frozenset({"DirectTextChat"})
_TARGETS = frozenset({"guild", "channel", "messages.item"})
_HEAD_BYTES = 4096


class DiscordImporter:
    """DiscordChatExporter JSON: server channels, threads, DMs and group DMs."""

    name: ClassVar[str] = "discord"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """Whether the file opens like a DiscordChatExporter JSON export."""
        if source.is_zip or source.is_dir:
            return False
        try:
            head = source.head(_HEAD_BYTES)
        except (BadInput, OSError):
            return False
        stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        return (
            stripped.startswith(b"{")
            and b'"guild"' in head
            and b'"channel"' in head
            and (b'"exportedAt"' in head or b'"messages"' in head)
        )

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield the channel's messages in file order, streaming."""
        label = source.label()
        try:
            yield from _Reader(source, label).messages()
        except ijson.JSONError as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else "cut short"
            raise BadInput(label, f"truncated or invalid JSON ({reason})") from None
        except UnicodeDecodeError as error:
            raise BadInput(label, f"not valid UTF-8 ({error.reason})") from None


class _Reader:
    def __init__(self, source: SourceFile, label: str) -> None:
        self.source = source
        self.label = label
        self.guild: dict[str, Any] | None = None
        self.channel: dict[str, Any] | None = None

    def _objects(self) -> Iterator[tuple[str, Any]]:
        """The guild, the channel and each message, as objects, in file order."""
        with self.source.open() as stream:
            events = fast_ijson().parse(XEscapeRepair(stream))
            builder: ObjectBuilder | None = None
            target = ""
            depth = 0
            for prefix, event, value in events:
                if builder is None:
                    if event != "start_map" or prefix not in _TARGETS:
                        continue
                    builder, target, depth = ObjectBuilder(), prefix, 0
                builder.event(event, value)
                if event in ("start_map", "start_array"):
                    depth += 1
                elif event in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 0:
                        yield target, builder.value
                        builder = None

    def messages(self) -> Iterator[Message]:
        seen_any = False
        for target, obj in self._objects():
            if target == "guild":
                self.guild = obj
            elif target == "channel":
                self.channel = obj
            else:
                if self.channel is None:
                    self._read_header()  # a file that puts its channel after its messages
                seen_any = True
                yield self._message(obj)
        if not seen_any and self.channel is None:
            raise BadInput(self.label, "not a DiscordChatExporter export (no channel or messages)")

    def _read_header(self) -> None:
        for target, obj in self._objects():
            if target == "guild":
                self.guild = obj
            elif target == "channel":
                self.channel = obj
                return
        self.channel = {}

    def _conversation(self) -> tuple[str, str | None, bool | None]:
        channel = self.channel or {}
        guild = self.guild or {}
        name = str(channel.get("name") or "Discord channel")
        kind = channel.get("type")
        if isinstance(kind, str) and kind.startswith("Direct"):
            return name, _str(channel.get("id")), kind not in _ONE_TO_ONE
        server = guild.get("name")
        title = f"{server} #{name}" if server else f"#{name}"
        return title, _str(channel.get("id")), True if kind is not None else None

    def _message(self, obj: dict[str, Any]) -> Message:
        title, conversation_id, is_group = self._conversation()
        author: dict[str, Any] = _mapping(obj.get("author"))
        sender = str(author.get("nickname") or author.get("name") or "Deleted User")
        sent_at = _moment(obj.get("timestamp"), self.label, obj.get("id"))
        content: str = obj["content"] if isinstance(obj.get("content"), str) else ""
        kind_of = obj.get("type", "Default")
        reference: dict[str, Any] = _mapping(obj.get("reference"))
        kind = Kind.TEXT
        text = content
        message_sender: str | None = sender
        if kind_of == "Call":
            kind = Kind.CALL
            ended = obj.get("callEndedTimestamp")
            text = "Call"
            if isinstance(ended, str):
                minutes = (_moment(ended, self.label, obj.get("id")) - sent_at).total_seconds() / 60
                text = f"Call ({max(minutes, 0):.0f} min)"
        elif kind_of not in _ORDINARY:
            kind = Kind.SYSTEM
            message_sender = None
            words = "".join(f" {c.lower()}" if c.isupper() else c for c in str(kind_of)).strip()
            text = content or f"{sender}: {words}"
        elif not content.strip():
            kind, text = _media(obj)
        return Message(
            source="discord",
            conversation=title,
            conversation_id=conversation_id,
            sender=message_sender,
            sender_id=_str(author.get("id")) if message_sender is not None else None,
            sent_at=sent_at,
            kind=kind,
            text=text,
            message_id=_str(obj.get("id")),
            reply_to=_str(reference.get("messageId")),
            edited=obj.get("timestampEdited") is not None,
            is_group=is_group,
        )


def _media(obj: dict[str, Any]) -> tuple[Kind, str]:
    """The kind and stand-in of a message with no words of its own."""
    for attachment in obj.get("attachments") or []:
        if isinstance(attachment, dict):
            return Kind.MEDIA, f"<attachment: {attachment.get('fileName', 'file')}>"
    for sticker in obj.get("stickers") or []:
        if isinstance(sticker, dict):
            return Kind.MEDIA, f"<sticker: {sticker.get('name', '')}>"
    for embed in obj.get("embeds") or []:
        if isinstance(embed, dict):
            what = embed.get("title") or embed.get("url") or ""
            return Kind.MEDIA, f"<embed: {what}>"
    return Kind.OTHER, ""


def _moment(value: Any, label: str, message_id: Any) -> datetime:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise BadInput(label, f"message {message_id} has an unreadable timestamp {value!r}")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
