"""Meta's "Download your information" JSON, shared by the Messenger and Instagram importers.

Both apps export a conversation as ``messages/<folder>/<thread>/message_1.json``,
``message_2.json``, … (under ``your_facebook_activity/`` or ``your_instagram_activity/`` since
2024), each part holding up to 10,000 messages, newest first::

    {"participants": [{"name": "Sam"}, {"name": "Maya"}],
     "messages": [{"sender_name": "Maya", "timestamp_ms": 1672531200000, "content": "hi",
                   "photos": [{"uri": "…"}], "reactions": [{"reaction": "…", "actor": "Sam"}],
                   "is_unsent": false, "type": "Generic"}, …],
     "title": "Maya", "thread_path": "inbox/maya_1234567890", "thread_type": "Regular"}

Messenger's end-to-end encrypted chats come as a separate download in a newer layout, one file
per conversation with camelCase fields::

    {"participants": ["Sam", "Maya"], "threadName": "Maya_40",
     "messages": [{"senderName": "Maya", "timestamp": 1746073791906, "text": "…",
                   "type": "text|media|link|placeholder", "media": [{"uri": "./media/…"}],
                   "reactions": [{"actor": "Sam", "reaction": "…"}], "isUnsent": false}]}

Rules, each met in real exports:

* Meta writes UTF-8 bytes as if each were a Latin-1 character (``Ã©`` for ``é``). Every
  string is repaired with ``text.encode("latin-1").decode("utf-8")``, guarded: text that does
  not survive that round trip (already right, or plain Latin-1) is kept as it is.
* A leading BOM is dropped; parts of one thread are merged and put in time order.
* ``timestamp_ms`` (``timestamp`` in the E2EE layout) is milliseconds since the epoch, UTC.
* Unsent messages are kind ``deleted``; photos, videos, audio, GIFs, files, stickers and shared
  links without words of their own are ``media`` with a stand-in (``<photo>``); calls are
  ``call``; joins, leaves, renames and theme changes are ``system``; Meta's own "reacted … to
  your message" and "liked a message" lines are ``other``. Reactions attached to a message are
  not messages and are not kept.
* The user is the profile's name when the export holds its profile file, else the one name
  every conversation of the export shares (when exactly one does).

Parts are small (Meta caps them), so each is read whole; memory holds one thread at a time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.records import Kind, Message

INSTAGRAM_HINTS = ("your_instagram_activity", "instagram-", "original_content_owner")
"""Path parts and fields only Instagram's export has."""
MESSENGER_HINTS = ("your_facebook_activity", "facebook-", "threadname", "sendername")
"""Path parts and fields only Messenger's export has (the last two: the E2EE layout)."""

_PART = re.compile(r"message_(\d+)\.json")
_HEAD_BYTES = 8192
_CLASSIC_KEYS = (b'"sender_name"', b'"timestamp_ms"', b'"thread_path"', b'"is_still_participant"')
_E2EE_KEYS = (b'"threadName"', b'"senderName"')

_MEDIA = (
    ("photos", "<photo>"),
    ("videos", "<video>"),
    ("audio_files", "<audio>"),
    ("gifs", "<gif>"),
    ("files", "<file>"),
    ("sticker", "<sticker>"),
)
_EXTENSIONS = {
    "<photo>": (".jpg", ".jpeg", ".png", ".webp", ".heic", ".gif"),
    "<video>": (".mp4", ".mov", ".webm"),
    "<audio>": (".aac", ".m4a", ".mp3", ".ogg", ".opus", ".wav"),
}
_AUTO_MEDIA = re.compile(
    r".{0,80} (?:sent|shared) (?:an? )?(?:attachment|photo|video|audio|voice message|GIF|"
    r"sticker|link|file|\d+ photos|post|reel|story)s?\.?",
    re.IGNORECASE,
)
"""Meta's own line in place of the words of a media message (``You sent a photo.``)."""
_REACTION_LINE = re.compile(
    r"(?:.{0,80} )?(?:[Rr]eacted .{1,12} to (?:your|a) message|[Ll]iked a message)\.?"
)
_SYSTEM_LINE = re.compile(
    r".{1,80} (?:named the group|changed the group name|added .{1,200} to the group|"
    r"removed .{1,200} from the group|left the group|changed the group photo|"
    r"set the nickname|set (?:his|her|their|your) (?:own )?nickname|cleared the nickname|"
    r"changed the chat theme|changed the theme|set the quick reaction|changed the emoji|"
    r"started a video chat|joined the video chat|started a call|joined the call|"
    r"created the group|pinned a message|turned on disappearing messages|"
    r"turned off disappearing messages|is now an admin|created a poll)",
)


def fix_text(text: Any) -> str:
    """Undo Meta's Latin-1 mojibake, keeping text that is already right as it is."""
    if not isinstance(text, str):
        return ""
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


@dataclass
class _Thread:
    """One conversation: its parts (by part number) or its single E2EE file."""

    key: str
    parts: list[tuple[int, str | None]] = field(default_factory=list)


class MetaImporter:
    """Shared reader; `MessengerImporter` and `InstagramImporter` say which app they are."""

    name = "meta"
    version = "1"
    platform_words: tuple[str, ...] = ()
    """Words in a path or media address that mark an export of this app."""
    other_words: tuple[str, ...] = ()
    """Words that mark the other app's export (detection leaves those to it)."""
    default_platform = False
    """Whether a file with no hint either way is this app's (Messenger's)."""

    def detect(self, source: SourceFile) -> bool:
        """Whether this is a Meta messages JSON (or a folder or zip of them) from this app."""
        try:
            if source.is_zip or source.is_dir:
                threads = _threads(source)
                if not threads:
                    return False
                first = threads[0].parts[0][1]
                return self._is_mine(source.label(first), source.head(_HEAD_BYTES, first))
            head = source.head(_HEAD_BYTES)
        except (BadInput, OSError):
            return False
        return _looks_like_meta(head) and self._is_mine(str(source.path), head)

    def _is_mine(self, where: str, head: bytes) -> bool:
        hint = (where + " " + head.decode("utf-8", errors="ignore")).lower()
        mine = any(word in hint for word in self.platform_words)
        theirs = any(word in hint for word in self.other_words)
        return mine if mine != theirs else self.default_platform

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield every message, thread by thread, each thread in time order."""
        if source.is_zip or source.is_dir:
            threads = _threads(source)
            if not threads:
                raise BadInput(source.path, f"holds no {self.name} messages (message_1.json)")
        else:
            threads = [_Thread(str(source.path), [(1, None)])]
        loaded = [
            (thread, [_load(source, member) for _, member in thread.parts]) for thread in threads
        ]
        me = _profile_name(source) or _shared_name([docs for _, docs in loaded])
        for thread, docs in loaded:
            yield from self._thread(source, thread, docs, me)

    def _thread(
        self, source: SourceFile, thread: _Thread, docs: list[dict[str, Any]], me: str | None
    ) -> Iterator[Message]:
        first = docs[0]
        e2ee = "threadName" in first or any("senderName" in m for m in _messages(first)[:1])
        participants = _participants(first)
        if e2ee:
            title = re.sub(r"_\d+$", "", fix_text(first.get("threadName"))) or ", ".join(
                participants
            )
            conversation_id = fix_text(first.get("threadName")) or thread.key
        else:
            title = fix_text(first.get("title")) or ", ".join(participants)
            conversation_id = fix_text(first.get("thread_path")) or thread.key
        thread_type = first.get("thread_type")
        is_group = (
            thread_type == "RegularGroup"
            if thread_type in ("Regular", "RegularGroup")
            else len(participants) > 2
        )
        rows: list[Message] = []
        for doc in docs:
            for raw in reversed(_messages(doc)):  # newest first in the file
                if not isinstance(raw, dict):
                    continue
                message = (_e2ee_message if e2ee else _classic_message)(raw, source.label())
                if message is None:
                    continue
                message.source = self.name
                message.conversation = title
                message.conversation_id = conversation_id
                message.is_group = is_group
                if me is not None and message.sender is not None:
                    message.from_me = message.sender == me
                rows.append(message)
        rows.sort(key=lambda m: m.sent_at)  # parts and messages are newest first
        yield from rows


def _looks_like_meta(head: bytes) -> bool:
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not stripped.startswith(b"{") or b'"participants"' not in head:
        return False
    return any(key in head for key in _CLASSIC_KEYS + _E2EE_KEYS)


def _threads(source: SourceFile) -> list[_Thread]:
    """Every thread in a folder or zip: classic parts grouped by folder, E2EE files alone."""
    by_folder: dict[str, _Thread] = {}
    loose: list[_Thread] = []
    for member in source.members():
        path = PurePosixPath(member)
        if path.suffix.lower() != ".json" or member.startswith("__MACOSX/"):
            continue
        part = _PART.fullmatch(path.name)
        if part is not None:
            folder = str(path.parent)
            thread = by_folder.setdefault(folder, _Thread(folder))
            thread.parts.append((int(part.group(1)), member))
        elif "/media/" not in f"/{member}":
            try:
                head = source.head(_HEAD_BYTES, member)
            except (BadInput, OSError):
                continue
            if _looks_like_meta(head) and any(key in head for key in _E2EE_KEYS):
                loose.append(_Thread(member, [(1, member)]))
    for thread in by_folder.values():
        thread.parts.sort(reverse=True)  # message_N (oldest) first
    return sorted(by_folder.values(), key=lambda t: t.key) + loose


def _load(source: SourceFile, member: str | None) -> dict[str, Any]:
    label = source.label(member)
    with source.open(member) as stream:
        raw = stream.read()
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise BadInput(label, f"not valid UTF-8 ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise BadInput(
            label, f"truncated or invalid JSON ({error.msg}, line {error.lineno})"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        raise BadInput(label, "not a Meta messages file (no messages list)")
    return doc


def _messages(doc: dict[str, Any]) -> list[Any]:
    messages = doc.get("messages")
    return messages if isinstance(messages, list) else []


def _participants(doc: dict[str, Any]) -> list[str]:
    found = []
    for person in doc.get("participants") or []:
        name = person.get("name") if isinstance(person, dict) else person
        if isinstance(name, str) and name:
            found.append(fix_text(name))
    return found


def _shared_name(threads: list[list[dict[str, Any]]]) -> str | None:
    """The one participant every conversation has, when there are two or more and one is shared."""
    if len(threads) < 2:
        return None
    shared: set[str] | None = None
    for docs in threads:
        names = set(_participants(docs[0]))
        shared = names if shared is None else shared & names
    return next(iter(shared)) if shared is not None and len(shared) == 1 else None


def _profile_name(source: SourceFile) -> str | None:
    """The account owner's name from the export's profile file, where it holds one."""
    if not (source.is_zip or source.is_dir):
        return None
    for member in source.members():
        name = PurePosixPath(member).name
        if name not in ("profile_information.json", "personal_information.json"):
            continue
        try:
            doc = _load_any(source, member)
        except (BadInput, OSError, ValueError):
            continue
        profile = doc.get("profile_v2") or doc.get("profile") if isinstance(doc, dict) else None
        if isinstance(profile, dict):
            full = profile.get("name", {})
            if isinstance(full, dict) and isinstance(full.get("full_name"), str):
                return fix_text(full["full_name"])
        users = doc.get("profile_user") if isinstance(doc, dict) else None
        if isinstance(users, list) and users and isinstance(users[0], dict):
            data = users[0].get("string_map_data", {})
            for key in ("Name", "Username"):
                value = data.get(key, {}).get("value") if isinstance(data, dict) else None
                if isinstance(value, str) and value:
                    return fix_text(value)
    return None


def _load_any(source: SourceFile, member: str) -> Any:
    with source.open(member) as stream:
        return json.loads(stream.read().decode("utf-8-sig"))


def _moment(value: Any, label: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise BadInput(label, f"a message has an unreadable timestamp {value!r}") from None


def _blank(sender: str | None, moment: datetime, kind: Kind, text: str) -> Message:
    """A record whose conversation fields the importer fills in."""
    return Message("", "", sender, moment, kind, text)


def _classic_message(raw: dict[str, Any], label: str) -> Message | None:
    if "timestamp_ms" not in raw:
        return None
    moment = _moment(raw["timestamp_ms"], label)
    sender = fix_text(raw.get("sender_name")) or None
    content = fix_text(raw.get("content"))
    kind_of = raw.get("type")
    if raw.get("is_unsent") or raw.get("is_unsent_image_by_messenger_kid_parent"):
        return _blank(sender, moment, Kind.DELETED, "")
    if kind_of == "Call" or "call_duration" in raw:
        seconds = raw.get("call_duration")
        text = f"Call ({seconds} s)" if isinstance(seconds, int) and seconds else "Missed call"
        return _blank(sender, moment, Kind.CALL, content or text)
    if kind_of in ("Subscribe", "Unsubscribe") or (content and _SYSTEM_LINE.match(content)):
        return _blank(None, moment, Kind.SYSTEM, content or f"{sender} {str(kind_of).lower()}d")
    if content and _REACTION_LINE.fullmatch(content.strip()):
        return _blank(sender, moment, Kind.OTHER, content)
    own_words = content if content and not _AUTO_MEDIA.fullmatch(content) else ""
    for key, stand_in in _MEDIA:
        if raw.get(key):
            return _blank(
                sender, moment, Kind.TEXT if own_words else Kind.MEDIA, own_words or stand_in
            )
    share = raw.get("share")
    if isinstance(share, dict):
        link = fix_text(share.get("link"))
        if own_words and own_words != link:
            return _blank(sender, moment, Kind.TEXT, own_words)
        return _blank(sender, moment, Kind.MEDIA, f"<link: {link}>" if link else "<share>")
    if not content:
        return _blank(sender, moment, Kind.OTHER, "")
    return _blank(sender, moment, Kind.TEXT if own_words else Kind.MEDIA, content)


def _e2ee_message(raw: dict[str, Any], label: str) -> Message | None:
    if "timestamp" not in raw:
        return None
    moment = _moment(raw["timestamp"], label)
    sender = fix_text(raw.get("senderName")) or None
    text = fix_text(raw.get("text"))
    if raw.get("isUnsent"):
        return _blank(sender, moment, Kind.DELETED, "")
    kind_of = raw.get("type")
    media = [m for m in raw.get("media") or [] if isinstance(m, dict)]
    if kind_of == "placeholder":  # a message the export could not include
        return _blank(sender, moment, Kind.OTHER, text)
    if kind_of == "media" or (media and not text):
        if text and not _AUTO_MEDIA.fullmatch(text):
            return _blank(sender, moment, Kind.TEXT, text)
        return _blank(sender, moment, Kind.MEDIA, _stand_in(media))
    if text and _REACTION_LINE.fullmatch(text.strip()):
        return _blank(sender, moment, Kind.OTHER, text)
    if text and _SYSTEM_LINE.match(text):
        return _blank(None, moment, Kind.SYSTEM, text)
    return _blank(sender, moment, Kind.TEXT if text else Kind.OTHER, text)


def _stand_in(media: list[dict[str, Any]]) -> str:
    """``<photo>``, ``<video>``, ``<audio>`` or ``<file>`` from the first media address."""
    uri = str(media[0].get("uri", "")).lower() if media else ""
    for stand_in, extensions in _EXTENSIONS.items():
        if uri.endswith(extensions):
            return stand_in
    return "<file>"
