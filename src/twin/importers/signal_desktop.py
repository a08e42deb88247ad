"""A Signal Desktop database the user has decrypted (``db.sqlite`` exported to plain SQLite).

Signal Desktop keeps everything in one SQLCipher database; once decrypted (for instance with
``sqlcipher`` and ``sqlcipher_export``) it is plain SQLite with, among others::

    conversations(id, type 'private' | 'group', name, profileName, profileFullName, e164,
                  serviceId or uuid, json, …)
    messages(id, conversationId, type 'incoming' | 'outgoing' | 'call-history' | …, body,
             sent_at (ms), source (e164), sourceServiceId or sourceUuid, hasAttachments,
             isErased, json, …)

The file is read as every app database is (`files.read_only_database`): never written, never
copied to disk, a ``-wal`` log's committed pages laid in, in memory.
Rules: ``outgoing`` messages are the user's (sender ``Me``); an incoming one's sender is the
private conversation of its author's service id or number; erased and deleted-for-everyone
messages are ``deleted``; ``call-history`` rows are calls; other row types (group changes,
key changes, timers) are system; a message without words but with attachments is media; one
with an edit history is flagged edited. Times are milliseconds since the epoch, in UTC.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twin.errors import BadInput
from twin.importers.files import read_only_database
from twin.records import Kind, Message

SQLITE_MAGIC = b"SQLite format 3\x00"
ME = "Me"


def looks_like_signal_db(path: Path) -> bool:
    """Whether the file is SQLite with Signal Desktop's messages and conversations tables."""
    try:
        with path.open("rb") as stream:
            if stream.read(16) != SQLITE_MAGIC:
                return False
        with read_only_database(path, latest=False) as db:
            return {"conversationId", "sent_at"} <= _columns(db, "messages") and bool(
                _columns(db, "conversations")
            )
    except (OSError, sqlite3.Error, BadInput):
        return False


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}  # a literal name


def read_signal_db(path: Path) -> Iterator[Message]:
    """Every message in a decrypted Signal Desktop database, conversation by conversation."""
    try:
        with read_only_database(path) as db:
            try:
                yield from _messages(db)
            except sqlite3.DatabaseError as error:
                raise BadInput(path, f"not a readable Signal Desktop database ({error})") from None
    except sqlite3.Error as error:
        raise BadInput(path, f"not a readable SQLite database ({error})") from None


def _pick(columns: set[str], *names: str) -> str:
    """The first of `names` the table has, as SQL; NULL when it has none."""
    return next((name for name in names if name in columns), "NULL")


def _messages(db: sqlite3.Connection) -> Iterator[Message]:
    people: dict[str, str] = {}
    titles: dict[str, tuple[str, bool]] = {}
    ccols = _columns(db, "conversations")
    service = _pick(ccols, "serviceId", "uuid")
    query = (
        f"SELECT id, type, {_pick(ccols, 'name')}, {_pick(ccols, 'profileFullName')}, "
        f"{_pick(ccols, 'profileName')}, {_pick(ccols, 'e164')}, {service}, "
        f"{_pick(ccols, 'groupId')} FROM conversations"
    )
    for cid, kind, name, full, profile, e164, service_id, group in db.execute(query):
        label = name or full or profile or e164 or group or str(cid)
        titles[str(cid)] = (str(label), kind == "group")
        for key in (service_id, e164):
            if key:
                people[str(key)] = str(label)
    mcols = _columns(db, "messages")
    query = (
        f"SELECT id, conversationId, type, body, sent_at, {_pick(mcols, 'source')}, "
        f"{_pick(mcols, 'sourceServiceId', 'sourceUuid')}, {_pick(mcols, 'hasAttachments')}, "
        f"{_pick(mcols, 'isErased')}, {_pick(mcols, 'json')} FROM messages "
        "ORDER BY conversationId, sent_at, rowid"
    )
    for mid, cid, kind, body, sent_at, source, source_id, attachments, erased, raw in db.execute(
        query
    ):
        if sent_at is None:
            continue
        title, is_group = titles.get(str(cid), (str(cid), False))
        extra = _json(raw)
        outgoing = kind == "outgoing"
        sender: str | None = ME if outgoing else people.get(str(source_id or source or ""))
        if sender is None:  # an author with no conversation of their own
            sender = str(source or source_id or "Unknown") if is_group else title
        text = body or ""
        record_kind = Kind.TEXT
        if erased or extra.get("deletedForEveryoneTimestamp"):
            record_kind, text = Kind.DELETED, ""
        elif kind == "call-history":
            record_kind, text = Kind.CALL, text or "Call"
        elif kind not in ("incoming", "outgoing"):
            record_kind, sender, text = Kind.SYSTEM, None, text or str(kind).replace("-", " ")
        elif not text.strip():
            record_kind = Kind.MEDIA if attachments or extra.get("attachments") else Kind.OTHER
            text = "<attachment>" if record_kind is Kind.MEDIA else ""
        yield Message(
            source="signal",
            conversation=title,
            conversation_id=str(cid),
            sender=sender,
            sent_at=datetime.fromtimestamp(int(sent_at) / 1000, UTC),
            kind=record_kind,
            text=text,
            message_id=str(mid),
            edited=bool(extra.get("editHistory")),
            from_me=outgoing if sender is not None else None,
            is_group=is_group,
        )


def _json(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, str):
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
