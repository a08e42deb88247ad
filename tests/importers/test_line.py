"""LINE's chat history text export, in English and Japanese."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from twin.importers import detect_importer
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.lenient import reading
from twin.importers.line import LineImporter
from twin.records import Kind, Message
from twin.vault import Vault
from twin.vault.collect import import_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "line"
ENGLISH = FIXTURES / "[LINE] Chat with Maya Rivera.txt"
JAPANESE = FIXTURES / "[LINE] バンド.txt"
US_DATES = FIXTURES / "english_us_dates.txt"


def parse(path: Path) -> list[Message]:
    source = SourceFile(path)
    try:
        return list(LineImporter().parse(source, ParseOptions()))
    finally:
        source.close()


def test_english_one_to_one_export() -> None:
    messages = parse(ENGLISH)
    assert [(m.sent_at, m.sender, m.kind, m.text) for m in messages] == [
        (datetime(2024, 1, 5, 9, 0), "Maya Rivera", Kind.TEXT, "Good morning!"),
        (datetime(2024, 1, 5, 9, 1), "Sam", Kind.TEXT, "Two lines,\nlike this"),
        (datetime(2024, 1, 5, 9, 2), "Maya Rivera", Kind.MEDIA, "[Sticker]"),
        (datetime(2024, 1, 5, 9, 3), "Maya Rivera", Kind.MEDIA, "[Photo]"),
        (datetime(2024, 1, 5, 11, 15), "Sam", Kind.CALL, "☎ Call time 0:32"),
        (datetime(2024, 1, 5, 11, 20), "Maya Rivera", Kind.CALL, "☎ Missed call"),
        (datetime(2024, 1, 6, 8, 0), "Sam", Kind.DELETED, ""),
        (datetime(2024, 1, 6, 8, 5), "Maya Rivera", Kind.TEXT, "see you at 10"),
    ]
    assert {m.conversation for m in messages} == {"Maya Rivera"}
    assert {m.is_group for m in messages} == {False}


def test_japanese_group_export_with_afternoon_times() -> None:
    messages = parse(JAPANESE)
    assert [(m.sent_at, m.sender, m.kind, m.text) for m in messages] == [
        (datetime(2024, 2, 1, 20, 0), None, Kind.SYSTEM, "Tiagoがグループに参加しました。"),
        (datetime(2024, 2, 1, 20, 1), "Tiago", Kind.TEXT, "練習は何時\uff1f"),
        (datetime(2024, 2, 1, 20, 2), "Sam", Kind.TEXT, "9時から\n2024/2/1 のスタジオで"),
        (datetime(2024, 2, 1, 0, 10), "Sam", Kind.MEDIA, "[スタンプ]"),
    ]
    assert {m.conversation for m in messages} == {"バンド"}
    assert {m.is_group for m in messages} == {True}


def test_us_dates_am_pm_and_unquoted_further_lines() -> None:
    with reading() as report:
        messages = parse(US_DATES)
    assert [(m.sent_at, m.text) for m in messages] == [
        (datetime(2014, 8, 14, 9, 0), "hi"),
        (datetime(2014, 8, 14, 12, 30), "lunch?\nsecond line without quotes"),
    ]
    assert report.kept_as_text == 1


@pytest.mark.parametrize("path", [ENGLISH, JAPANESE, US_DATES])
def test_detected_from_the_file_alone(path: Path) -> None:
    assert detect_importer(SourceFile(path)).name == "line"


def test_reimport_adds_nothing(vault: Vault) -> None:
    first = import_file(vault, ENGLISH, me="Sam")
    again = import_file(vault, ENGLISH, me="Sam")
    assert (first.added, again.added) == (8, 0)
