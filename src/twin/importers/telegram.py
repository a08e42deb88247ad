"""Telegram Desktop JSON exports (``result.json``): one chat, or the whole account.

The file is streamed with `ijson`, one message at a time, so a multi-gigabyte export imports in
bounded memory. Two layouts exist:

* a single chat: ``{"name", "type", "id", "messages": [...]}``;
* the whole account: ``{"personal_information": {"user_id", ...}, "chats": {"list": [chat, ...]},
  "left_chats": {"list": [chat, ...]}, ...}`` where each chat looks like a single-chat export.

Telegram writes a chat's ``name``, ``type`` and ``id`` before its ``messages``, and
``personal_information`` before ``chats``. Should a file put them after, one extra streaming pass
reads those few fields first, so records never carry a wrong chat; memory stays bounded either way.

Lenient with real files (each case counted in `twin.importers.lenient` for the import report):

* Older and third-party exporters write messages with no ``id`` and only ``date_unixtime``
  (no ``date``): they are read, and such a message's identity comes from its content and time
  (the vault's content id), so importing the file again still adds nothing.
* A ``date`` that can't be read falls back to ``date_unixtime`` where there is one.
* A message with an id but no date at all can't be placed in time: it is skipped, and
  counted. One with neither is not a Telegram message: the file is refused.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import IO, Any, ClassVar

import ijson

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.jsonstream import XEscapeRepair, fast_ijson
from twin.importers.lenient import current
from twin.records import Kind, Message

EXPORT_NAME = "result.json"
"""The file name Telegram Desktop gives its JSON export."""
DELETED_ACCOUNT = "Deleted Account"
"""How Telegram names an author whose account no longer exists."""
_BUFFER = 1 << 16
"""Bytes read per step; ijson's C backend holds one step's events at once (~15x its size)."""
_DETECT_BYTES = 16 * 1024
_MAX_OFFSET = timedelta(hours=14)
_QUARTER_HOUR = 15 * 60

GROUP_TYPES = frozenset(
    {
        "private_group",
        "private_supergroup",
        "public_supergroup",
        "private_channel",
        "public_channel",
    }
)
ONE_TO_ONE_TYPES = frozenset({"personal_chat", "bot_chat", "saved_messages"})

# Where chats sit in the document: "" is the single-chat export's top level.
_CHAT_PREFIXES = ("", "chats.list.item", "left_chats.list.item")
_MESSAGE_PREFIXES = {f"{chat}.messages.item".lstrip("."): chat for chat in _CHAT_PREFIXES}
_MESSAGES_ARRAYS = {f"{chat}.messages".lstrip("."): chat for chat in _CHAT_PREFIXES}
_HEADER_FIELDS = {
    f"{chat}.{name}".lstrip("."): (chat, name)
    for chat in _CHAT_PREFIXES
    for name in ("name", "type", "id")
}
_LIST_CHATS = frozenset(_CHAT_PREFIXES[1:])
_SCALARS = frozenset({"string", "number", "boolean", "null"})
_USER_ID = "personal_information.user_id"
_ACCOUNT_KEYS = frozenset({"personal_information", "chats", "left_chats"})

_MEDIA_PLACEHOLDERS = {
    "sticker": "<sticker>",
    "voice_message": "<voice message>",
    "video_file": "<video>",
    "animation": "<animation>",
    "audio_file": "<audio>",
    "video_message": "<video message>",
}


@dataclass(slots=True)
class _Chat:
    """What a chat says about itself before (normally) its messages."""

    name: Any = None
    type: Any = None
    id: Any = None
    seen: set[str] = field(default_factory=set)

    def learn(self, name: str, value: Any) -> None:
        setattr(self, name, value)
        self.seen.add(name)

    @property
    def complete(self) -> bool:
        return "type" in self.seen and "id" in self.seen

    @property
    def title(self) -> str:
        if isinstance(self.name, str) and self.name:
            return self.name
        if self.type == "saved_messages":
            return "Saved Messages"
        if self.type == "personal_chat":
            return DELETED_ACCOUNT
        return f"Telegram chat {self.id}" if self.id is not None else "Telegram chat"

    @property
    def is_group(self) -> bool | None:
        if self.type in GROUP_TYPES:
            return True
        if self.type in ONE_TO_ONE_TYPES:
            return False
        return None


@dataclass(slots=True)
class _Layout:
    """Chat headers and the account owner, read in a separate pass for out-of-order files."""

    user_id: Any = None
    chats: dict[tuple[str, int], _Chat] = field(default_factory=dict)


class TelegramImporter:
    """Telegram Desktop's "Export chat history" / "Export Telegram data" in JSON format."""

    name: ClassVar[str] = "telegram"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """Whether this opens like a Telegram chat or account export (or a folder/zip of one)."""
        members = _export_members(source)
        if (source.is_zip or source.is_dir) and not members:
            return False
        try:
            head = source.head(_DETECT_BYTES, members[0] if members else None)
        except (BadInput, OSError):
            return False
        return _looks_like_telegram(head)

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield every message in file order, streaming; `BadInput` on a broken or foreign file."""
        if source.is_zip or source.is_dir:
            members: list[str | None] = list(_export_members(source))
            if not members:
                raise BadInput(source.path, f"holds no {EXPORT_NAME} (a Telegram JSON export)")
        else:
            members = [None]
        for member in members:
            yield from _Reader(source, member).messages()


def _export_members(source: SourceFile) -> list[str]:
    """The ``result.json`` files inside a folder or zip, shallowest first."""
    found = [m for m in source.members() if m.rsplit("/", 1)[-1] == EXPORT_NAME]
    return sorted(found, key=lambda m: (m.count("/"), m))


def _looks_like_telegram(head: bytes) -> bool:
    """Whether the first bytes of a file open a Telegram export's top-level object."""
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not stripped.startswith(b"{"):
        return False
    keys: set[str] = set()
    about = ""
    try:
        for prefix, event, value in fast_ijson().parse(XEscapeRepair(io.BytesIO(stripped))):
            if prefix == "" and event == "map_key":
                keys.add(value)
            elif prefix == "about" and event == "string":
                about = value
    except (ijson.JSONError, UnicodeDecodeError, ValueError):
        pass  # the head is cut mid-document; the keys seen so far decide
    if keys & _ACCOUNT_KEYS:
        return True
    if "messages" in keys and keys & {"name", "type", "id"}:
        return True
    return "telegram" in about.lower()


class _Reader:
    """One streaming pass over one ``result.json``."""

    def __init__(self, source: SourceFile, member: str | None) -> None:
        self.source = source
        self.member = member
        self.label = source.label(member)
        self.layout: _Layout | None = None
        self.tz_cache: dict[int, timezone] = {}
        self.report = current()

    def _events(self, stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
        events: Iterator[tuple[str, Any]] = fast_ijson().basic_parse(
            XEscapeRepair(stream, _BUFFER), buf_size=_BUFFER
        )
        return events

    def messages(self) -> Iterator[Message]:
        try:
            with self.source.open(self.member) as stream:
                yield from self._walk(self._events(stream))
        except ijson.JSONError as error:
            raise BadInput(self.label, f"truncated or invalid JSON ({_reason(error)})") from None
        except UnicodeDecodeError as error:
            raise BadInput(self.label, f"not valid UTF-8 ({error.reason})") from None

    def _walk(self, events: Iterator[tuple[str, Any]]) -> Iterator[Message]:
        """Follow the document's shape, building and converting one message object at a time."""
        first = next(events, None)
        if first is None or first[0] != "start_map":
            raise BadInput(self.label, "not a Telegram export (expected a JSON object)")
        user_id: Any = None
        account = False
        found_messages = False
        chats: dict[str, _Chat] = {"": _Chat()}
        counts: dict[str, int] = dict.fromkeys(_CHAT_PREFIXES, -1)
        counts[""] = 0
        # Prefix of each open container and whether it is an array, as ijson spells prefixes.
        path: list[str] = [""]
        arrays: list[bool] = [False]
        key = ""
        for event, value in events:
            if event == "map_key":
                key = value
                continue
            if event == "end_map" or event == "end_array":
                path.pop()
                arrays.pop()
                continue
            parent = path[-1]
            if arrays[-1]:
                here = f"{parent}.item" if parent else "item"
            else:
                here = f"{parent}.{key}" if parent else key
            if event == "start_map":
                chat_prefix = _MESSAGE_PREFIXES.get(here)
                if chat_prefix is not None:
                    obj = _build_object(events)
                    message = self._message(obj, chats[chat_prefix], user_id, account)
                    if message is not None:
                        yield message
                    continue
                if here in _LIST_CHATS:
                    counts[here] += 1
                    chats[here] = _Chat()
                elif here in _ACCOUNT_KEYS:
                    found_messages = True  # an account export, perhaps with no chats chosen
                path.append(here)
                arrays.append(False)
            elif event == "start_array":
                chat_prefix = _MESSAGES_ARRAYS.get(here)
                if chat_prefix is not None:
                    found_messages = True
                    account = account or chat_prefix != ""
                    chat = chats[chat_prefix]
                    if not chat.complete or (account and user_id is None):
                        layout = self._layout()
                        if account and user_id is None:
                            user_id = layout.user_id
                        if not chat.complete:
                            known = layout.chats.get((chat_prefix, counts[chat_prefix]))
                            if known is not None:
                                chats[chat_prefix] = chat = known
                path.append(here)
                arrays.append(True)
            else:
                if here == _USER_ID:
                    user_id = value
                    account = True
                elif here in _HEADER_FIELDS:
                    chat_prefix, name = _HEADER_FIELDS[here]
                    chats[chat_prefix].learn(name, value)
                elif here == "messages" and not found_messages:
                    raise BadInput(self.label, "not a Telegram export (messages is not a list)")
        if not found_messages:
            raise BadInput(self.label, "not a Telegram export (no messages or chats found)")

    def _layout(self) -> _Layout:
        """Chat headers and the owner's id from a second pass, for files that give them late."""
        if self.layout is not None:
            return self.layout
        layout = _Layout()
        counts = dict.fromkeys(_CHAT_PREFIXES, -1)
        counts[""] = 0
        with self.source.open(self.member) as stream:
            for prefix, event, value in fast_ijson().parse(XEscapeRepair(stream), buf_size=_BUFFER):
                if event == "start_map" and prefix in _LIST_CHATS:
                    counts[prefix] += 1
                elif prefix == _USER_ID:
                    layout.user_id = value
                elif prefix in _HEADER_FIELDS and event in _SCALARS:
                    chat_prefix, name = _HEADER_FIELDS[prefix]
                    spot = (chat_prefix, counts[chat_prefix])
                    layout.chats.setdefault(spot, _Chat()).learn(name, value)
        self.layout = layout
        return layout

    def _message(
        self, obj: dict[str, Any], chat: _Chat, user_id: Any, account: bool
    ) -> Message | None:
        """One Telegram message object as a record; None for one that has no date at all."""
        if "date" not in obj and "date_unixtime" not in obj:
            if obj.get("id") is None:
                raise BadInput(self.label, "not a Telegram export (a message has no id or date)")
            self.report.note("message with no date skipped")
            return None
        if obj.get("id") is None:
            self.report.note("message with no id: identity from its content and time")
        me = f"user{user_id}" if user_id is not None else None

        def written_by_me(author_id: str | None) -> bool | None:
            if chat.type == "saved_messages":
                return True
            if account and me is not None:
                return author_id == me
            return None

        text = _text(obj.get("text"), obj.get("text_entities"))
        sender: str | None
        sender_id: str | None
        if obj.get("type") == "service":
            kind, text = _service(obj, text)
            if kind is Kind.CALL:
                sender = _name(obj.get("actor"))
                sender_id = _str_or_none(obj.get("actor_id"))
                from_me = written_by_me(sender_id)
            else:
                sender = sender_id = None
                from_me = None
        else:
            sender = _name(obj.get("from"))
            sender_id = _str_or_none(obj.get("from_id"))
            from_me = written_by_me(sender_id)
            media = _media_placeholder(obj)
            if media is not None:
                kind = Kind.MEDIA
                text = text or media
            else:
                kind = Kind.TEXT if text else Kind.OTHER
        forwarded: str | None = None
        if "forwarded_from" in obj:
            forwarded = _name(obj["forwarded_from"])
        reply = obj.get("reply_to_message_id")
        return Message(
            source="telegram",
            conversation=chat.title,
            conversation_id=_str_or_none(chat.id),
            sender=sender,
            sender_id=sender_id,
            message_id=str(obj["id"]) if obj.get("id") is not None else None,
            sent_at=self._sent_at(obj),
            kind=kind,
            text=text,
            reply_to=str(reply) if reply is not None else None,
            edited="edited" in obj or "edited_unixtime" in obj,
            forwarded_from=forwarded,
            from_me=from_me,
            is_group=chat.is_group,
            attachment=obj["file"] if isinstance(obj.get("file"), str) else None,
        )

    def _sent_at(self, obj: dict[str, Any]) -> datetime:
        """The instant in the exporting machine's offset when both forms allow working it out."""
        wall: datetime | None = None
        which = f"message {obj['id']}" if obj.get("id") is not None else "a message"
        stamp = obj.get("date_unixtime")
        if isinstance(obj.get("date"), str):
            try:
                wall = datetime.fromisoformat(obj["date"])
            except ValueError:
                if stamp is None:
                    raise BadInput(
                        self.label, f"{which} has an unreadable date {obj['date']!r}"
                    ) from None
                self.report.note("unreadable date read from date_unixtime", example=obj["date"])
        if stamp is None:
            if wall is None:
                raise BadInput(self.label, f"{which} has no date")
            return wall
        try:
            instant = datetime.fromtimestamp(int(stamp), UTC)
        except (ValueError, OverflowError, OSError):
            if wall is not None:
                return wall
            raise BadInput(
                self.label, f"{which} has an unreadable date_unixtime {stamp!r}"
            ) from None
        if wall is None or wall.tzinfo is not None:
            return instant
        seconds = (wall - instant.replace(tzinfo=None)).total_seconds()
        quarters = round(seconds / _QUARTER_HOUR)
        if abs(quarters * _QUARTER_HOUR) > _MAX_OFFSET.total_seconds():
            return instant
        zone = self.tz_cache.get(quarters)
        if zone is None:
            zone = self.tz_cache[quarters] = timezone(timedelta(seconds=quarters * _QUARTER_HOUR))
        return instant.astimezone(zone)


def _build_object(events: Iterator[tuple[str, Any]]) -> dict[str, Any]:
    """The JSON object whose ``start_map`` was just read, built from the following events."""
    root: dict[str, Any] = {}
    stack: list[Any] = [root]
    key = ""
    for event, value in events:
        if event == "map_key":
            key = value
        elif event == "end_map" or event == "end_array":
            stack.pop()
            if not stack:
                return root
        elif event == "start_map" or event == "start_array":
            child: Any = {} if event == "start_map" else []
            top = stack[-1]
            if type(top) is list:
                top.append(child)
            else:
                top[key] = child
            stack.append(child)
        else:
            top = stack[-1]
            if type(top) is list:
                top.append(value)
            else:
                top[key] = value
    raise ijson.IncompleteJSONError("file ends inside a message")


def _text(text: Any, entities: Any) -> str:
    """A message's text from ``text`` (a string or a list of parts), else ``text_entities``."""
    parts = text if text is not None else entities
    if parts is None:
        return ""
    if isinstance(parts, str):
        return parts
    if isinstance(parts, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in parts
            if isinstance(part, str | dict)
        )
    return str(parts)


def _name(value: Any) -> str:
    """A display name; Telegram writes null (or nothing) for a deleted account."""
    return value if isinstance(value, str) and value else DELETED_ACCOUNT


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _names(values: Any) -> str:
    if not isinstance(values, list):
        return ""
    return ", ".join(_name(v) for v in values)


def _service(obj: dict[str, Any], text: str) -> tuple[Kind, str]:
    """The kind and a readable line for a service message (joins, pins, calls, ...)."""
    action = obj.get("action")
    actor = _name(obj.get("actor"))
    title = obj.get("title")
    duration = obj.get("duration_seconds", obj.get("duration"))
    if action == "phone_call":
        reason = obj.get("discard_reason")
        if duration is not None:
            return Kind.CALL, f"Call ({duration} s)"
        if reason == "missed":
            return Kind.CALL, "Missed call"
        if reason == "busy":
            return Kind.CALL, "Declined call"
        return Kind.CALL, "Call"
    if action == "group_call":
        if duration is not None:
            return Kind.CALL, f"Group call ({duration} s)"
        return Kind.CALL, "Group call"
    members = _names(obj.get("members"))
    lines = {
        "create_group": f"{actor} created group {title}",
        "create_channel": f"{actor} created channel {title}",
        "invite_members": f"{actor} invited {members}",
        "remove_members": (f"{actor} left" if members == actor else f"{actor} removed {members}"),
        "join_group_by_link": f"{actor} joined the group via invite link",
        "join_group_by_request": f"{actor} joined the group",
        "pin_message": f"{actor} pinned a message",
        "edit_group_title": f"{actor} changed the group name to {title}",
        "edit_group_photo": f"{actor} changed the group photo",
        "delete_group_photo": f"{actor} removed the group photo",
        "migrate_to_supergroup": f"{actor} upgraded the group to a supergroup",
        "migrate_from_group": f"{actor} upgraded group {title} to a supergroup",
        "clear_history": "History cleared",
    }
    line = lines.get(action) if isinstance(action, str) else None
    if line is None:
        what = action.replace("_", " ") if isinstance(action, str) else "did something"
        line = f"{actor}: {what}"
    if text and action not in ("create_group", "create_channel", "edit_group_title"):
        line = f"{line}: {text}"
    return Kind.SYSTEM, line


def _media_placeholder(obj: dict[str, Any]) -> str | None:
    """A short stand-in for a message's media, or None when it has none."""
    media_type = obj.get("media_type")
    if isinstance(media_type, str):
        return _MEDIA_PLACEHOLDERS.get(media_type, f"<{media_type.replace('_', ' ')}>")
    if "photo" in obj:
        return "<photo>"
    if "file" in obj:
        return "<file>"
    if "location_information" in obj:
        return "<location>"
    if "contact_information" in obj:
        return "<contact>"
    poll = obj.get("poll")
    if isinstance(poll, dict):
        return f"<poll: {poll.get('question', '')}>"
    if poll is not None:
        return "<poll>"
    return None


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
