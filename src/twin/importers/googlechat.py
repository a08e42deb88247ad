"""Google Chat and classic Hangouts from Google Takeout (the zip, or the folder it unpacks to).

Google Chat: ``Google Chat/Groups/<DM or Space id>/messages.json`` (``{"messages": [...]}``)
beside ``group_info.json`` (``name``, ``members``), and ``Google Chat/Users/User <id>/
user_info.json`` naming the exporting user (``user.email``). Each message has ``creator``
(``name``, ``email``), ``created_date``, ``text``, ``message_id``, ``topic_id`` and perhaps
``attached_files``, ``updated_date`` (edited) or ``message_state: "DELETED"``.

``created_date`` is a string in the export's language: ``Tuesday, March 5, 2024 at 1:00:00 PM
UTC``, ``Dienstag, 5. März 2024 um 13:00:00 UTC``, ``mardi 5 mars 2024 à 13:00:00 UTC``. It is
read from its parts: the four-digit year, the month by name in the languages below (or as a
number), the day, the clock time with an AM/PM marker when there is one, and the zone (UTC/GMT
with an offset; other abbreviations are taken as UTC, which Takeout uses).

Hangouts: ``Hangouts/Hangouts.json`` (``{"conversations": [...]}``, older exports
``{"conversation_state": [...]}``). Participants come from ``participant_data``; the exporting
user from ``self_conversation_state.self_read_state.participant_id``; events carry a
microsecond ``timestamp``. Every event type is read: ``REGULAR_CHAT_MESSAGE`` segments
(``TEXT``, ``LINK``, ``LINE_BREAK``) and attachments as text or media, ``HANGOUT_EVENT`` as a
call, membership changes and renames as system lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import ijson

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.jsonstream import XEscapeRepair, fast_ijson
from twin.records import Kind, Message

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january janvier januar enero janeiro gennaio januari jan janv ene",
            "february février fevrier februar febrero fevereiro febbraio februari feb févr fév",
            "march mars märz maerz marzo março marco maart mar mär",
            "april avril abril aprile apr avr abr",
            "may mai mayo maio maggio mei",
            "june juin juni junio junho giugno jun",
            "july juillet juli julio julho luglio jul juil",
            "august août aout agosto augustus aug ago",
            "september septembre septiembre setembro settembre sep sept set",
            "october octobre oktober octubre outubro ottobre oct okt",
            "november novembre noviembre novembro nov",
            "december décembre decembre dezember diciembre dezembro dicembre dec déc dez dic",
        ),
        start=1,
    )
    for name in names.split()
}
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*([AaPp]\.?\s?[Mm]\.?)?")
_ZONE = re.compile(r"(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d{2}))?")
_CHAT_GROUPS = "Google Chat/Groups/"


def parse_created_date(text: str) -> datetime:
    """A Takeout ``created_date`` in any of its languages, as an aware datetime."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    clock = _TIME.search(text)
    year = re.search(r"(?<!\d)(\d{4})(?!\d)", text)
    if clock is None or year is None:
        raise ValueError(text)
    before = text[: clock.start()]
    words = re.findall(r"[^\W\d_]+", before.lower())
    month = next((_MONTHS[w.rstrip(".")] for w in words if w.rstrip(".") in _MONTHS), None)
    numbers = [int(n) for n in re.findall(r"(?<!\d)(\d{1,2})(?!\d)", before)]
    if month is None:
        if len(numbers) < 2:
            raise ValueError(text)
        day, month = numbers[0], numbers[1]
    elif not numbers:
        raise ValueError(text)
    else:
        day = numbers[0]
    hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
    marker = (clock[4] or "").lower().replace(".", "").replace(" ", "")
    if marker == "pm" and hour < 12:
        hour += 12
    elif marker == "am" and hour == 12:
        hour = 0
    zone: timezone = UTC
    offset = _ZONE.search(text[clock.end() :])
    if offset is not None:
        sign = -1 if offset[1] == "-" else 1
        zone = timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3] or 0)))
    return datetime(int(year[1]), month, day, hour, minute, second, tzinfo=zone)


def _load(source: SourceFile, member: str) -> Any:
    try:
        with source.open(member) as stream:
            return json.loads(stream.read().decode("utf-8-sig"))
    except json.JSONDecodeError as error:
        raise BadInput(source.label(member), f"invalid JSON ({error.msg})") from None
    except UnicodeDecodeError as error:
        raise BadInput(source.label(member), f"not valid UTF-8 ({error.reason})") from None


def _chat_folders(members: list[str]) -> list[str]:
    return sorted(
        m[: -len("messages.json")]
        for m in members
        if m.endswith("/messages.json") and _CHAT_GROUPS in m
    )


def _hangouts(members: list[str]) -> list[str]:
    return sorted(m for m in members if m.rsplit("/", 1)[-1] == "Hangouts.json")


class GoogleChatImporter:
    """Google Chat and Hangouts, from a Takeout zip or folder."""

    name: ClassVar[str] = "googlechat"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """A Takeout with ``Google Chat/Groups/*/messages.json`` or ``Hangouts.json``."""
        if not (source.is_zip or source.is_dir):
            return False
        try:
            members = source.members()
        except (BadInput, OSError):
            return False
        return bool(_chat_folders(members) or _hangouts(members))

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield every message of every conversation."""
        if not (source.is_zip or source.is_dir):
            raise BadInput(source.path, "expected a Google Takeout zip or folder")
        members = source.members()
        folders, hangouts = _chat_folders(members), _hangouts(members)
        if not folders and not hangouts:
            raise BadInput(source.path, "holds no Google Chat or Hangouts messages")
        me = _my_email(source, members)
        for folder in folders:
            yield from _chat(source, folder, me, set(members))
        for member in hangouts:
            yield from _hangouts_file(source, member)


def _my_email(source: SourceFile, members: list[str]) -> str | None:
    for member in members:
        if member.endswith("/user_info.json") and "Google Chat/Users/" in member:
            data = _load(source, member)
            user = data.get("user") if isinstance(data, dict) else None
            email = user.get("email") if isinstance(user, dict) else None
            if isinstance(email, str):
                return email.lower()
    return None


def _chat(source: SourceFile, folder: str, me: str | None, members: set[str]) -> Iterator[Message]:
    info: dict[str, Any] = {}
    if f"{folder}group_info.json" in members:
        loaded = _load(source, f"{folder}group_info.json")
        info = loaded if isinstance(loaded, dict) else {}
    data = _load(source, f"{folder}messages.json")
    if not isinstance(data, dict) or not isinstance(data.get("messages", []), list):
        raise BadInput(source.label(f"{folder}messages.json"), "is not a Google Chat messages file")
    group_id = folder.rstrip("/").rsplit("/", 1)[-1]
    people = [m for m in info.get("members") or [] if isinstance(m, dict)]
    others = [
        str(m.get("name") or m.get("email"))
        for m in people
        if str(m.get("email") or "").lower() != me
    ]
    is_dm = group_id.startswith("DM ")
    title = str(info.get("name") or ", ".join(others) or group_id)
    label = source.label(f"{folder}messages.json")
    for obj in data.get("messages", []):
        if not isinstance(obj, dict):
            continue
        found = obj.get("creator")
        creator: dict[str, Any] = found if isinstance(found, dict) else {}
        email = str(creator.get("email") or "").lower() or None
        raw = str(obj.get("created_date") or "")
        try:
            sent_at = parse_created_date(raw)
        except ValueError:
            raise BadInput(label, f"unreadable created_date {raw!r}") from None
        text = str(obj.get("text") or "")
        files = [f for f in obj.get("attached_files") or [] if isinstance(f, dict)]
        if obj.get("message_state") == "DELETED" or obj.get("deleted_date"):
            kind, text = Kind.DELETED, ""
        elif text:
            kind = Kind.TEXT
        elif files:
            kind = Kind.MEDIA
            names = [str(f.get("original_name") or f.get("export_name")) for f in files]
            text = " ".join(f"<file: {name}>" for name in names)
        else:
            kind = Kind.OTHER
        topic = obj.get("topic_id")
        message_id = str(obj.get("message_id") or "") or None
        yield Message(
            source="googlechat",
            conversation=title,
            conversation_id=group_id,
            sender=str(creator.get("name") or email or "Unknown"),
            sender_id=email,
            message_id=message_id,
            sent_at=sent_at,
            kind=kind,
            text=text,
            reply_to=None if not topic or (message_id or "").endswith(f"/{topic}") else str(topic),
            edited=bool(obj.get("updated_date")),
            from_me=(email == me) if me and email else None,
            is_group=not is_dm,
        )


def _hangouts_file(source: SourceFile, member: str) -> Iterator[Message]:
    """Stream one conversation at a time: Hangouts.json files run to gigabytes."""
    label = source.label(member)
    for layout in ("conversations.item", "conversation_state.item"):
        found = False
        try:
            with source.open(member) as stream:
                for item in fast_ijson().items(XEscapeRepair(stream), layout):
                    found = True
                    if isinstance(item, dict):
                        yield from _hangout(item, label)
        except ijson.JSONError as error:
            raise BadInput(label, f"invalid JSON ({error})") from None
        if found:
            return


def _gaia(value: Any) -> str | None:
    if isinstance(value, dict):
        found = value.get("gaia_id") or value.get("chat_id")
        return str(found) if found else None
    return None


def _hangout(item: dict[str, Any], label: str) -> Iterator[Message]:
    state = item.get("conversation", item.get("conversation_state", {}))
    conversation = state.get("conversation", state) if isinstance(state, dict) else {}
    events = item.get("events", state.get("event", []) if isinstance(state, dict) else [])
    cid = conversation.get("id", {}).get("id") or item.get("conversation_id", {}).get("id")
    names = {
        _gaia(p.get("id")): str(p.get("fallback_name") or _gaia(p.get("id")))
        for p in conversation.get("participant_data", [])
        if isinstance(p, dict)
    }
    self_state = conversation.get("self_conversation_state", {}).get("self_read_state", {})
    me = _gaia(self_state.get("participant_id"))
    group = conversation.get("type") == "GROUP"
    others = ", ".join(n for g, n in names.items() if g != me)
    title = str(conversation.get("name") or others or cid)
    for event in events or []:
        if not isinstance(event, dict):
            continue
        sender = _gaia(event.get("sender_id"))
        try:
            sent_at = datetime.fromtimestamp(int(event["timestamp"]) / 1e6, UTC)
        except (KeyError, ValueError, TypeError):
            raise BadInput(label, "a Hangouts event has no readable timestamp") from None
        kind, text = _hangout_content(event, names)
        yield Message(
            source="googlechat",
            conversation=title,
            conversation_id=f"hangouts:{cid}",
            sender=None if kind is Kind.SYSTEM else names.get(sender, sender or "Unknown"),
            sender_id=None if kind is Kind.SYSTEM else sender,
            message_id=str(event.get("event_id") or "") or None,
            sent_at=sent_at,
            kind=kind,
            text=text,
            from_me=(sender == me) if me and sender and kind is not Kind.SYSTEM else None,
            is_group=group,
        )


def _hangout_content(event: dict[str, Any], names: dict[str | None, str]) -> tuple[Kind, str]:
    kind_of = event.get("event_type")
    if kind_of == "HANGOUT_EVENT":
        hangout = event.get("hangout_event", {})
        seconds = hangout.get("hangout_duration_secs")
        if hangout.get("event_type") == "END_HANGOUT" and seconds is not None:
            return Kind.CALL, f"Call ({seconds} s)"
        return Kind.CALL, "Call started" if hangout.get("event_type") == "START_HANGOUT" else "Call"
    if kind_of in ("ADD_USER", "REMOVE_USER"):
        change = event.get("membership_change", {})
        who = ", ".join(names.get(_gaia(p), "someone") for p in change.get("participant_id", []))
        return Kind.SYSTEM, f"{who} {'joined' if kind_of == 'ADD_USER' else 'left'}"
    if kind_of == "RENAME_CONVERSATION":
        new = event.get("conversation_rename", {}).get("new_name", "")
        return Kind.SYSTEM, f"Conversation renamed to {new}"
    content = event.get("chat_message", {}).get("message_content", {})
    parts: list[str] = []
    for segment in content.get("segment", []) or []:
        if segment.get("type") == "LINE_BREAK":
            parts.append("\n")
        else:
            parts.append(str(segment.get("text", "")))
    text = "".join(parts).strip()
    if text:
        return Kind.TEXT, text
    if content.get("attachment"):
        return Kind.MEDIA, "<attachment>"
    if kind_of and kind_of != "REGULAR_CHAT_MESSAGE":
        return Kind.SYSTEM, str(kind_of).replace("_", " ").lower()
    return Kind.OTHER, ""
