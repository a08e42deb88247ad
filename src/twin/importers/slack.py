"""Slack workspace exports: the ``.zip`` an admin downloads (or the folder it unpacks to).

Layout: ``users.json`` (everyone, by ``id``), ``channels.json`` (public channels),
``groups.json`` (private channels), ``dms.json`` and ``mpims.json`` (direct and group direct
messages, by ``id`` with ``members``), and one folder per conversation holding one file per
day, ``2024-03-01.json``, each a JSON array of message objects. Public and private channel
folders are named by the channel's ``name``, direct-message folders by its ``id``.

The rules this importer follows:

* ``ts`` (seconds since 1970, UTC, with microseconds) is the message's id in its channel and
  its time; a reply carries its thread's root ``ts`` as ``thread_ts``, kept as ``reply_to``.
* Mentions and links are written as people read them: ``<@U123>`` as ``@Ann``, ``<#C1|general>``
  as ``#general``, ``<!here>`` as ``@here``, ``<https://x|label>`` as ``label``; ``&amp;``,
  ``&lt;`` and ``&gt;`` are unescaped.
* Subtypes: joins, leaves, topic, purpose, name, archive and pin changes are system messages;
  ``tombstone`` (a deleted thread root) is deleted; ``bot_message`` is from the bot's name;
  files with no text are media.
* Names come from ``users.json`` (``profile.real_name``, ``real_name``, ``name``), else the
  message's own ``user_profile``. A workspace export does not say who downloaded it, so which
  person is the user is left to ``--me`` or the question the import asks.
* Each day file is small; they are read one at a time.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.records import Kind, Message

_DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_SYSTEM = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "pinned_item",
        "unpinned_item",
        "channel_convert_to_private",
        "huddle_thread",
        "bot_add",
        "bot_remove",
        "reminder_add",
    }
)
_MENTION = re.compile(r"<([@#!])([^|>]+)(?:\|([^>]*))?>|<([^@#!][^|>]*)(?:\|([^>]*))?>")
_MAX_META_BYTES = 256 * 1024**2


@dataclass(frozen=True, slots=True)
class _Conversation:
    id: str
    title: str
    folder: str
    is_group: bool


def _root(source: SourceFile) -> str | None:
    """The folder inside the export holding ``users.json`` and ``channels.json``."""
    members = set(source.members())
    candidates = sorted(
        (m[: -len("users.json")] for m in members if m.rsplit("/", 1)[-1] == "users.json"),
        key=lambda prefix: prefix.count("/"),
    )
    for prefix in candidates:
        if prefix.count("/") <= 1 and f"{prefix}channels.json" in members:
            return prefix
    return None


def _load(source: SourceFile, member: str) -> Any:
    label = source.label(member)
    try:
        with source.open(member) as stream:
            data = stream.read(_MAX_META_BYTES + 1)
        if len(data) > _MAX_META_BYTES:
            raise BadInput(label, "is too large for a Slack export file")
        return json.loads(data.decode("utf-8-sig"))
    except json.JSONDecodeError as error:
        raise BadInput(label, f"invalid JSON ({error.msg}, line {error.lineno})") from None
    except UnicodeDecodeError as error:
        raise BadInput(label, f"not valid UTF-8 ({error.reason})") from None


def _name(user: dict[str, Any]) -> str:
    found = user.get("profile")
    profile: dict[str, Any] = found if isinstance(found, dict) else {}
    for value in (
        profile.get("real_name"),
        user.get("real_name"),
        profile.get("display_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return str(user.get("id") or "Unknown user")


class SlackImporter:
    """A Slack workspace export (zip or folder)."""

    name: ClassVar[str] = "slack"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """A zip or folder with ``users.json`` and ``channels.json`` side by side."""
        if not (source.is_zip or source.is_dir):
            return False
        try:
            return _root(source) is not None
        except (BadInput, OSError):
            return False

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield every message of every conversation, one day file at a time."""
        root = _root(source) if (source.is_zip or source.is_dir) else None
        if root is None:
            raise BadInput(source.path, "not a Slack export (no users.json and channels.json)")
        users_data = _load(source, f"{root}users.json")
        if not isinstance(users_data, list):
            raise BadInput(source.label(f"{root}users.json"), "is not a list of users")
        users = {u["id"]: _name(u) for u in users_data if isinstance(u, dict) and "id" in u}
        conversations = self._conversations(source, root, users)
        channel_names = {c.id: c.title.lstrip("#") for c in conversations}
        by_folder: dict[str, list[str]] = {}
        for member in source.members():
            if not member.startswith(root):
                continue
            parts = member[len(root) :].split("/")
            if len(parts) == 2 and _DAY_FILE.match(parts[1]):
                by_folder.setdefault(parts[0], []).append(member)
        for conversation in conversations:
            for member in sorted(by_folder.get(conversation.folder, [])):
                day = _load(source, member)
                if not isinstance(day, list):
                    raise BadInput(source.label(member), "is not a list of messages")
                for obj in day:
                    if isinstance(obj, dict) and obj.get("type", "message") == "message":
                        message = _message(obj, conversation, users, channel_names)
                        if message is not None:
                            yield message

    def _conversations(
        self, source: SourceFile, root: str, users: dict[str, str]
    ) -> list[_Conversation]:
        found: list[_Conversation] = []
        members = set(source.members())
        for index, kind in (
            ("channels.json", "channel"),
            ("groups.json", "channel"),
            ("mpims.json", "group"),
            ("dms.json", "dm"),
        ):
            if f"{root}{index}" not in members:
                continue
            data = _load(source, f"{root}{index}")
            if not isinstance(data, list):
                raise BadInput(source.label(f"{root}{index}"), "is not a list of conversations")
            for item in data:
                if not isinstance(item, dict) or "id" not in item:
                    continue
                people = [users.get(m, m) for m in item.get("members") or [] if isinstance(m, str)]
                name = item.get("name")
                if kind == "channel":
                    title, folder, group = f"#{name or item['id']}", str(name or item["id"]), True
                elif kind == "group":
                    title = ", ".join(people) or str(name or item["id"])
                    folder, group = str(name or item["id"]), True
                else:
                    title = ", ".join(people) or str(item["id"])
                    folder, group = str(item["id"]), False
                found.append(_Conversation(str(item["id"]), title, folder, group))
        return found


def _readable(text: str, users: dict[str, str], channels: dict[str, str]) -> str:
    """Slack's markup as people read it: mentions by name, links by their label."""

    def replace(match: re.Match[str]) -> str:
        sigil, target, label, link, link_label = match.groups()
        if sigil == "@":
            return "@" + (label or users.get(target, target))
        if sigil == "#":
            return "#" + (label or channels.get(target, target))
        if sigil == "!":
            if label:
                return label
            return "@" + target.split("^", 1)[0]
        return link_label or link

    return html.unescape(_MENTION.sub(replace, text)) if text else ""


def _message(
    obj: dict[str, Any],
    conversation: _Conversation,
    users: dict[str, str],
    channels: dict[str, str],
) -> Message | None:
    ts = obj.get("ts")
    try:
        sent_at = datetime.fromtimestamp(float(ts), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None  # not a message (a malformed row); the rest of the day still counts
    subtype = obj.get("subtype")
    text = _readable(str(obj.get("text") or ""), users, channels)
    user = obj.get("user") if isinstance(obj.get("user"), str) else None
    found = obj.get("user_profile")
    profile: dict[str, Any] = found if isinstance(found, dict) else {}
    sender: str | None = users.get(user) if user else None
    if sender is None and profile:
        sender = _name({"id": user, **profile})
    if subtype == "bot_message" or (sender is None and obj.get("username")):
        bot = obj.get("bot_profile")
        bot_name = bot.get("name") if isinstance(bot, dict) else None
        sender = str(obj.get("username") or bot_name or "bot")
        user = user or (str(obj["bot_id"]) if obj.get("bot_id") else None)
    files = [f for f in obj.get("files") or [] if isinstance(f, dict)]
    if subtype in _SYSTEM or (isinstance(subtype, str) and subtype.endswith(("_join", "_leave"))):
        kind = Kind.SYSTEM
    elif subtype == "tombstone" or obj.get("is_deleted"):
        kind = Kind.DELETED
    elif text:
        kind = Kind.TEXT
    elif files:
        kind = Kind.MEDIA
        text = " ".join(f"<{f.get('filetype') or 'file'}: {f.get('name', '')}>" for f in files)
    else:
        kind = Kind.OTHER
    thread = obj.get("thread_ts")
    return Message(
        source="slack",
        conversation=conversation.title,
        conversation_id=conversation.id,
        sender=None if kind is Kind.SYSTEM else (sender or user or "Unknown user"),
        sender_id=None if kind is Kind.SYSTEM else user,
        message_id=str(ts),
        sent_at=sent_at,
        kind=kind,
        text=text,
        reply_to=str(thread) if thread and thread != ts else None,
        edited=isinstance(obj.get("edited"), dict),
        is_group=conversation.is_group,
    )
