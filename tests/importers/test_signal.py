"""signal-export's chat.md and data.json, one chat or the whole export folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from twin.importers import detect_importer
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.signal import SignalImporter
from twin.records import Kind, Message
from twin.vault import Vault
from twin.vault.collect import import_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "signal"
EXPORT = FIXTURES / "export"
MAYA = EXPORT / "Maya Rivera"

EXPECTED_MAYA = [
    (datetime(2024, 1, 5, 9, 0), "Me", Kind.TEXT, "Bom dia! Train at 10?", True),
    (datetime(2024, 1, 5, 9, 2, 10), "Maya Rivera", Kind.TEXT, "Yes, platform 3", False),
    (datetime(2024, 1, 5, 9, 3), "Me", Kind.MEDIA, "<attachment: IMG_0042.jpg>", True),
    (datetime(2024, 1, 5, 9, 4), "Maya Rivera", Kind.DELETED, "", False),
    (datetime(2024, 1, 5, 9, 30), "Me", Kind.CALL, "Outgoing voice call (accepted, 1m 5s)", True),
    (datetime(2024, 1, 5, 9, 31), "Maya Rivera", Kind.MEDIA, "<sticker: 🚆>", False),
]


def parse(path: Path) -> list[Message]:
    source = SourceFile(path)
    try:
        return list(SignalImporter().parse(source, ParseOptions()))
    finally:
        source.close()


def rows(messages: list[Message]) -> list[tuple[object, ...]]:
    return [(m.sent_at, m.sender, m.kind, m.text, m.from_me) for m in messages]


@pytest.mark.parametrize("name", ["chat.md", "data.json"])
def test_markdown_and_json_forms_read_the_same(name: str) -> None:
    messages = parse(MAYA / name)
    assert rows(messages) == EXPECTED_MAYA
    assert {m.conversation for m in messages} == {"Maya Rivera"}
    assert {m.is_group for m in messages} == {False}


def test_export_folder_reads_each_chat_once() -> None:
    messages = parse(EXPORT)
    assert [m.conversation for m in messages].count("Maya Rivera") == 6
    band = [m for m in messages if m.conversation == "Band"]
    assert [(m.sender, m.text) for m in band] == [
        ("Tiago", "Ensaio hoje?"),
        ("Joana", "Sim\nàs 21h"),
        ("Me", "Levo o baixo"),
    ]
    assert {m.is_group for m in band} == {True}


def test_older_markdown_layout() -> None:
    messages = parse(FIXTURES / "old" / "chat.md")
    assert rows(messages) == [
        (datetime(2019, 5, 29, 15, 4), "Me", Kind.TEXT, "How is everyone?", True),
        (datetime(2019, 5, 29, 15, 10), "Maya Rivera", Kind.TEXT, "Good, you?", False),
    ]


@pytest.mark.parametrize(
    "path", [EXPORT, MAYA, MAYA / "chat.md", MAYA / "data.json", FIXTURES / "old" / "chat.md"]
)
def test_detected_from_the_file_alone(path: Path) -> None:
    assert detect_importer(SourceFile(path)).name == "signal"


def test_reimport_adds_nothing(vault: Vault) -> None:
    first = import_file(vault, EXPORT)
    again = import_file(vault, EXPORT)
    assert (first.added, again.added) == (9, 0)
    assert first.me == ["Me"]


# A decrypted Signal Desktop database


@pytest.fixture
def desktop_db(tmp_path: Path) -> Path:
    import sqlite3

    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript((FIXTURES / "desktop.sql").read_text(encoding="utf-8"))
    return path


def test_decrypted_desktop_database(desktop_db: Path) -> None:
    from datetime import UTC

    assert detect_importer(SourceFile(desktop_db)).name == "signal"
    before = desktop_db.read_bytes()
    messages = parse(desktop_db)
    assert desktop_db.read_bytes() == before  # opened read-only
    assert [(m.conversation, m.sender, m.kind, m.text, m.from_me) for m in messages] == [
        ("The Band", None, Kind.SYSTEM, "group v2 change", None),
        ("The Band", "Tiago Costa", Kind.TEXT, "Ensaio às 8?", False),
        ("The Band", "Me", Kind.TEXT, "Sim!", True),
        ("Maya Rivera", "Maya Rivera", Kind.TEXT, "Bom dia!", False),
        ("Maya Rivera", "Me", Kind.TEXT, "Bom dia, Maya!", True),
        ("Maya Rivera", "Maya Rivera", Kind.MEDIA, "<attachment>", False),
        ("Maya Rivera", "Me", Kind.DELETED, "", True),
        ("Maya Rivera", "Maya Rivera", Kind.CALL, "Call", False),
    ]
    assert messages[4].edited and not messages[3].edited
    assert messages[3].sent_at == datetime(2024, 1, 5, 9, 0, tzinfo=UTC)
    assert {m.is_group for m in messages[:3]} == {True}


def test_desktop_database_reimport_adds_nothing(vault: Vault, desktop_db: Path) -> None:
    first = import_file(vault, desktop_db)
    again = import_file(vault, desktop_db)
    assert (first.added, again.added) == (8, 0)
