"""Google Chat and Hangouts Takeout: localised dates, deleted messages, Hangouts events."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from twin.importers import detect_importer
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.googlechat import GoogleChatImporter, parse_created_date
from twin.records import Kind, Message

TAKEOUT = Path(__file__).parent.parent / "fixtures" / "googlechat" / "Takeout"


def parse(path: Path) -> list[Message]:
    return list(GoogleChatImporter().parse(SourceFile(path), ParseOptions()))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tuesday, March 5, 2024 at 1:00:00 PM UTC", datetime(2024, 3, 5, 13, 0, tzinfo=UTC)),
        ("Tuesday, March 5, 2024 at 12:10:00 AM UTC", datetime(2024, 3, 5, 0, 10, tzinfo=UTC)),
        ("Dienstag, 5. März 2024 um 18:00:00 UTC", datetime(2024, 3, 5, 18, 0, tzinfo=UTC)),
        (
            "mardi 5 mars 2024 à 18:01:00 UTC+01:00",
            datetime(2024, 3, 5, 18, 1, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("martes, 5 de marzo de 2024, 9:15:00 p.m. UTC", datetime(2024, 3, 5, 21, 15, tzinfo=UTC)),
        ("2024-03-05T13:00:00Z", datetime(2024, 3, 5, 13, 0, tzinfo=UTC)),
    ],
)
def test_localised_created_dates(text: str, expected: datetime) -> None:
    assert parse_created_date(text) == expected


def test_google_chat_dm_and_space() -> None:
    messages = [m for m in parse(TAKEOUT) if not (m.conversation_id or "").startswith("hangouts:")]
    assert len(messages) == 6
    dm = [m for m in messages if m.conversation_id == "DM abc"]
    assert dm[0].conversation == "Ann Lee" and dm[0].is_group is False
    assert [m.from_me for m in dm] == [False, True, False, True]
    assert dm[1].edited is True and dm[1].reply_to == "t1"
    assert dm[2].kind is Kind.DELETED and dm[3].kind is Kind.MEDIA
    space = [m for m in messages if m.conversation_id == "Space AAAA"]
    assert space[0].conversation == "Climbing" and space[0].is_group is True


def test_hangouts_events() -> None:
    events = [m for m in parse(TAKEOUT) if (m.conversation_id or "").startswith("hangouts:")]
    text, photo, call, rename = events
    assert text.text == "see http://example.com\nok?" and text.sender == "Ann Lee"
    assert text.sent_at == datetime(2014, 9, 4, 17, 0, tzinfo=UTC)
    assert photo.kind is Kind.MEDIA and photo.from_me is True
    assert call.kind is Kind.CALL and call.text == "Call (95 s)"
    assert rename.kind is Kind.SYSTEM and rename.sender is None
    assert text.conversation == "Ann Lee"


def test_zip_is_detected(tmp_path: Path) -> None:
    archive = tmp_path / "takeout-20240310T000000Z-001.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(TAKEOUT.rglob("*.json")):
            out.write(path, "Takeout/" + path.relative_to(TAKEOUT).as_posix())
    assert detect_importer(SourceFile(archive)).name == "googlechat"
    assert len(parse(archive)) == 10
