"""The macOS Messages database: joins, is_from_me, both epochs, attributedBody, edits, unsends."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.imessage import IMessageImporter, apple_time, attributed_text
from twin.records import Kind, Message

SCRIPT = Path(__file__).parent.parent / "fixtures" / "imessage" / "chat.sql"


@pytest.fixture
def chat_db(tmp_path: Path) -> Path:
    path = tmp_path / "chat.db"
    with sqlite3.connect(path) as db:
        db.executescript(SCRIPT.read_text())
    return path


def parse(path: Path) -> list[Message]:
    return list(IMessageImporter().parse(SourceFile(path), ParseOptions()))


def by_id(messages: list[Message]) -> dict[str, Message]:
    return {m.message_id or "": m for m in messages}


def test_counts_chats_and_senders(chat_db: Path) -> None:
    messages = parse(chat_db)
    assert len(messages) == 10
    found = by_id(messages)
    assert found["A1"].sender == "+15550100199" and found["A1"].from_me is False
    assert found["A2"].sender == "Me" and found["A2"].from_me is True
    assert found["A1"].conversation == "+15550100199" and found["A1"].is_group is False
    assert found["G2"].conversation == "Climbing crew" and found["G2"].is_group is True
    assert found["G2"].sender == "bo@example.com"


def test_apple_epoch_in_nanoseconds_and_seconds(chat_db: Path) -> None:
    found = by_id(parse(chat_db))
    assert found["A1"].sent_at == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert found["O1"].sent_at == datetime(2017, 6, 1, 12, 0, tzinfo=UTC)
    assert apple_time(0) == datetime(2001, 1, 1, tzinfo=UTC)


def test_text_from_attributed_body(chat_db: Path) -> None:
    assert by_id(parse(chat_db))["A2"].text == "Yes! 🧗 at 9"
    assert attributed_text(None) is None and attributed_text(b"no marker") is None


def test_edits_unsends_reactions_media_and_group_changes(chat_db: Path) -> None:
    found = by_id(parse(chat_db))
    assert found["A3"].edited is True and found["A3"].text == "Bring the rope"
    assert found["A4"].kind is Kind.DELETED and found["A4"].text == ""
    assert found["A5"].kind is Kind.OTHER  # a tapback is not the user's words
    assert found["A6"].kind is Kind.MEDIA
    assert found["G1"].kind is Kind.SYSTEM and found["G1"].sender is None
    assert found["G3"].reply_to == "G2" and found["G3"].from_me is True


def test_the_database_is_never_written(chat_db: Path) -> None:
    before = hashlib.sha256(chat_db.read_bytes()).hexdigest()
    source = SourceFile(chat_db)
    assert IMessageImporter().detect(source)
    parse(chat_db)
    assert hashlib.sha256(chat_db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in chat_db.parent.iterdir()) == ["chat.db"]


def test_other_sqlite_and_other_files_are_not_messages(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE message (id)")
    assert not IMessageImporter().detect(SourceFile(other))
    with pytest.raises(BadInput, match="not a Messages database"):
        parse(other)
    text = tmp_path / "chat.txt"
    text.write_text("hello")
    assert not IMessageImporter().detect(SourceFile(text))
    with pytest.raises(BadInput, match="not an SQLite database"):
        parse(text)
