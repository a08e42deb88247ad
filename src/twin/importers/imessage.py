"""iMessage and SMS from a Mac: the Messages app's ``chat.db`` (``~/Library/Messages/chat.db``).

The rules this importer follows:

* The database is never written and never copied to disk (`files.read_only_database`): the
  file is read immutable, or, while Messages runs and its ``-wal`` log holds the newest
  messages, the file and the log's committed pages are read into memory. Detection opens the
  file itself read-only and immutable, which writes nothing, not even a journal.
* Messages are ``message`` rows joined to their chat through ``chat_message_join`` and to the
  other party through ``handle`` (a phone number or email address). ``is_from_me`` says which
  are the user's; the database holds no contact names, so others are named by their handle.
* ``date`` counts from the Apple epoch, 2001-01-01 UTC: in seconds before macOS 10.13, in
  nanoseconds since (any value above 10^11 is nanoseconds).
* Since macOS 13 the text is often only in ``attributedBody``, an NSAttributedString in Apple's
  typedstream format; the string is read from after its ``NSString`` class marker.
* ``date_edited`` marks an edited message; ``date_retracted`` (or an edit that left no text)
  marks an unsent one, kept as deleted. Tapback reactions (``associated_message_type`` 2000+)
  are reactions, not words, and group changes (``item_type`` other than 0) are system lines.
* A reply within a thread names its root through ``thread_originator_guid``.
* ``chat.style`` 43 is a group chat, 45 a one-to-one chat.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SQLITE_MAGIC, SourceFile, read_only_database, sqlite_file_where
from twin.records import Kind, Message

ME = "Me"
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_NANOSECONDS_ABOVE = 10**11
_TABLES = frozenset({"message", "handle", "chat", "chat_message_join"})
_GROUP_STYLE = 43
_REACTIONS = {
    2000: "Loved",
    2001: "Liked",
    2002: "Disliked",
    2003: "Laughed at",
    2004: "Emphasized",
    2005: "Questioned",
}


def apple_time(value: int | float) -> datetime:
    """A Messages timestamp (seconds or nanoseconds since 2001-01-01 UTC) as a UTC time."""
    seconds = value / 1e9 if abs(value) > _NANOSECONDS_ABOVE else float(value)
    return APPLE_EPOCH + timedelta(seconds=seconds)


def attributed_text(blob: bytes | None) -> str | None:
    """The plain string inside a typedstream NSAttributedString, or None when there is none."""
    if not blob:
        return None
    marker = blob.find(b"NSString")
    if marker < 0:
        return None
    start = blob.find(b"+", marker + 8, marker + 20)  # the C-string type tag before the text
    if start < 0:
        return None
    pos = start + 1
    if pos >= len(blob):
        return None
    size = blob[pos]
    pos += 1
    if size == 0x81:  # a 16-bit length follows (little-endian)
        size = int.from_bytes(blob[pos : pos + 2], "little")
        pos += 2
    elif size == 0x82:  # a 32-bit length follows
        size = int.from_bytes(blob[pos : pos + 4], "little")
        pos += 4
    raw = blob[pos : pos + size]
    if len(raw) < size:
        return None
    return raw.decode("utf-8", "replace")


def _tables(db: sqlite3.Connection) -> dict[str, set[str]]:
    names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {
        name: {row[1] for row in db.execute(f'PRAGMA table_info("{name}")')}
        for name in names
        if name in _TABLES
    }


class IMessageImporter:
    """The macOS Messages database, ``chat.db``."""

    name: ClassVar[str] = "imessage"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """An SQLite file with Messages' tables; opened read-only and immutable."""
        return sqlite_file_where(source, lambda db: set(_tables(db)) >= _TABLES)

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """Yield every message, as of the app's last commit; the database is never written."""
        label = source.label()
        if source.is_zip or source.is_dir or source.head(16) != SQLITE_MAGIC:
            raise BadInput(label, "not an SQLite database (expected the Messages app's chat.db)")
        with read_only_database(source.path, label) as db:
            try:
                yield from _read(db, label)
            except sqlite3.DatabaseError as error:
                raise BadInput(label, f"unreadable Messages database ({error})") from None


def _column(columns: set[str], name: str, default: str = "NULL") -> str:
    return f"m.{name}" if name in columns else f"{default} AS {name}"


def _read(db: sqlite3.Connection, label: str) -> Iterator[Message]:
    tables = _tables(db)
    missing = _TABLES - set(tables)
    if missing:
        raise BadInput(label, f"not a Messages database (no {', '.join(sorted(missing))} table)")
    columns = tables["message"]
    query = f"""
        SELECT m.ROWID, m.guid, m.text, {_column(columns, "attributedBody")}, m.date,
               m.is_from_me, h.id, {_column(columns, "date_edited", "0")},
               {_column(columns, "date_retracted", "0")},
               {_column(columns, "associated_message_type", "0")},
               {_column(columns, "item_type", "0")},
               {_column(columns, "thread_originator_guid")},
               {_column(columns, "cache_has_attachments", "0")},
               c.ROWID, c.guid, c.chat_identifier, c.display_name, c.style
        FROM message AS m
        JOIN chat_message_join AS cm ON cm.message_id = m.ROWID
        JOIN chat AS c ON c.ROWID = cm.chat_id
        LEFT JOIN handle AS h ON h.ROWID = m.handle_id
        ORDER BY c.ROWID, m.date, m.ROWID
    """
    for row in db.execute(query):
        message = _message(row)
        if message is not None:
            yield message


def _message(row: tuple[Any, ...]) -> Message | None:
    (
        rowid, guid, text, body, date, from_me, handle, edited, retracted,
        associated, item_type, thread, attachments,
        chat_rowid, chat_guid, identifier, display_name, style,
    ) = row  # fmt: skip
    words = text if isinstance(text, str) and text else attributed_text(body)
    words = (words or "").replace("\ufffc", "").strip()  # U+FFFC stands where an attachment sits
    if associated and 3000 <= associated < 4000:
        return None  # a tapback taken back: nothing was said
    if retracted or (edited and not words and not attachments):
        kind, words = Kind.DELETED, ""
    elif associated and 2000 <= associated < 3000:
        kind = Kind.OTHER
        words = f"{_REACTIONS.get(associated, 'Reacted to')} a message"
    elif item_type:
        kind = Kind.SYSTEM
        words = words or "Group changed"
    elif words:
        kind = Kind.TEXT
    elif attachments:
        kind, words = Kind.MEDIA, "<attachment>"
    else:
        kind = Kind.OTHER
    mine = bool(from_me)
    group = style == _GROUP_STYLE
    title = display_name or identifier or chat_guid or f"chat {chat_rowid}"
    return Message(
        source="imessage",
        conversation=str(title),
        conversation_id=str(chat_guid or identifier or chat_rowid),
        sender=None if kind is Kind.SYSTEM else (ME if mine else (handle or "Unknown")),
        sender_id=None if kind is Kind.SYSTEM else ("me" if mine else handle),
        message_id=str(guid or rowid),
        sent_at=apple_time(date or 0),
        kind=kind,
        text=words,
        reply_to=str(thread) if thread else None,
        edited=bool(edited) and kind is not Kind.DELETED,
        from_me=mine,
        is_group=group,
    )
