"""The built-in sample data: present, well formed, consistent, and read by the real importers."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from twin import samples
from twin.importers.base import ParseOptions
from twin.records import Kind, Message
from twin.vault.collect import preview

MAYA = samples.SAMPLES / "whatsapp" / "WhatsApp Chat with Maya Rivera.txt"
CLUB = samples.SAMPLES / "whatsapp" / "WhatsApp Chat with Running Club.txt"

# Android, US English: "9/1/25, 8:14 PM - ", with U+202F (narrow no-break space) before AM/PM.
HEADER = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}), (\d{1,2}):(\d{2})\u202f([AP]M) - ")
PHONE = re.compile(r"\+351 9\d{2} \d{3} \d{3}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
WIKI_LINK = re.compile(r"\[\[([^\]|#]+)")

SUMMER_TIME_ENDS = datetime(2025, 10, 26, 1, 0, tzinfo=UTC)
"""Lisbon leaves summer time (UTC+1) for UTC on this instant, inside the samples' weeks."""


def lisbon_offset(instant: datetime) -> timedelta:
    """Lisbon's offset from UTC at an instant between September and November 2025."""
    return timedelta(hours=1) if instant < SUMMER_TIME_ENDS else timedelta(0)


def whatsapp_moment(header: re.Match[str]) -> datetime:
    month, day, year, hour, minute, half = header.groups()
    hour_24 = int(hour) % 12 + (12 if half == "PM" else 0)
    return datetime(2000 + int(year), int(month), int(day), hour_24, int(minute))


def whatsapp_headers(path: Path) -> tuple[list[re.Match[str]], list[str]]:
    """The header of every message line, and the continuation lines of multi-line messages."""
    headers: list[re.Match[str]] = []
    continuations: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = HEADER.match(line)
        if match:
            headers.append(match)
        else:
            continuations.append(line)
    return headers, continuations


def telegram_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(samples.telegram_export().read_text(encoding="utf-8"))
    return document


def parsed(path: Path) -> list[Message]:
    return list(preview(path, None, ParseOptions()))


def test_helpers_point_at_files_that_exist() -> None:
    assert [p.name for p in samples.whatsapp_exports()] == [MAYA.name, CLUB.name]
    assert samples.telegram_export().is_file()
    assert samples.journal_file().is_file()
    assert samples.notes_folder().is_dir()
    assert (samples.SAMPLES / "README.md").is_file()


@pytest.mark.parametrize("path", [MAYA, CLUB], ids=["maya", "club"])
def test_whatsapp_samples_are_android_us_exports_in_time_order(path: Path) -> None:
    headers, continuations = whatsapp_headers(path)
    assert path.read_text(encoding="utf-8").splitlines()[0].startswith(headers[0].group(0))
    moments = [whatsapp_moment(header) for header in headers]  # raises on an impossible date
    assert moments == sorted(moments)
    assert datetime(2025, 8, 31) <= moments[0] and moments[-1] < datetime(2025, 11, 10)
    assert len({moment.date() for moment in moments}) >= 25, "many separate days of chat"
    if path == MAYA:
        assert len(continuations) == 10, "only the one multi-line recipe message continues"
    else:
        assert continuations == []


def test_maya_chat_holds_every_kind_of_line_importers_meet() -> None:
    lines = MAYA.read_text(encoding="utf-8").splitlines()
    bodies = [line[header.end() :] for line in lines if (header := HEADER.match(line))]
    assert len(bodies) == 504
    assert bodies[0].startswith("Messages and calls are end-to-end encrypted.")
    assert bodies.count("Maya Rivera: This message was deleted") == 1
    assert bodies.count("Maya Rivera: Missed voice call") == 1
    assert sum(body.endswith("<Media omitted>") for body in bodies) == 7
    assert sum(body.endswith(" <This message was edited>") for body in bodies) == 1
    senders = Counter(body.split(": ", 1)[0] for body in bodies[1:])
    assert senders == {"Sam Rivera": 261, "Maya Rivera": 242}


def test_running_club_has_group_lines_and_details_for_redaction_to_find() -> None:
    text = CLUB.read_text(encoding="utf-8")
    headers, _ = whatsapp_headers(CLUB)
    assert len(headers) == 228
    assert ' - Inês Costa created group "Running Club"\n' in text
    assert " - Inês Costa added you\n" in text
    others = [line for line in text.splitlines() if " - Sam Rivera: " not in line]
    assert len([line for line in others if PHONE.search(line)]) == 2
    assert len([line for line in others if EMAIL.search(line)]) == 4
    assert "+351 912 345 678" in text and "tiago.ferreira@example.com" in text


def test_telegram_sample_has_the_desktop_export_shape() -> None:
    document = telegram_document()
    assert (document["name"], document["type"]) == ("Rui Santos", "personal_chat")
    assert isinstance(document["id"], int)
    messages = document["messages"]
    assert len(messages) == 121
    ids = [message["id"] for message in messages]
    assert ids == sorted(set(ids))
    for message in messages:
        instant = datetime.fromtimestamp(int(message["date_unixtime"]), UTC)
        wall = datetime.fromisoformat(message["date"])
        assert wall == (instant + lisbon_offset(instant)).replace(tzinfo=None)
        text = message["text"]
        joined = (
            text
            if isinstance(text, str)
            else "".join(part if isinstance(part, str) else part["text"] for part in text)
        )
        assert joined == "".join(entity["text"] for entity in message["text_entities"])

    replies = [m for m in messages if "reply_to_message_id" in m]
    assert len(replies) == 1 and replies[0]["reply_to_message_id"] in ids
    assert len([m for m in messages if "edited" in m and "edited_unixtime" in m]) == 1
    photos = [m for m in messages if "photo" in m]
    assert len(photos) == 1 and photos[0]["text"]
    assert [m["action"] for m in messages if m["type"] == "service"] == ["phone_call"]
    entity_types = {e["type"] for m in messages for e in m["text_entities"]}
    assert {"plain", "bold", "link"} <= entity_types
    assert any(isinstance(m["text"], list) for m in messages)


def test_journal_entries_are_dated_in_lisbon_time_and_some_are_private() -> None:
    lines = samples.journal_file().read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(entries) == 25
    moments = []
    for entry in entries:
        assert set(entry) == {"date", "text", "private"}
        moment = datetime.fromisoformat(entry["date"])
        assert moment.utcoffset() == lisbon_offset(moment.astimezone(UTC))
        assert isinstance(entry["private"], bool) and len(entry["text"]) > 40
        moments.append(moment)
    assert moments == sorted(moments)
    assert sum(entry["private"] for entry in entries) == 3


def test_notes_have_front_matter_and_every_wiki_link_resolves() -> None:
    notes = sorted(samples.notes_folder().glob("*.md"))
    assert len(notes) == 10
    titles = {note.stem for note in notes}
    for note in notes:
        text = note.read_text(encoding="utf-8")
        front, _, body = text.removeprefix("---\n").partition("\n---\n")
        assert text.startswith("---\n") and body, f"{note.name} has no front matter"
        assert re.search(r"^tags: \[.+\]$", front, re.M), note.name
        assert re.search(r"^date: \d{4}-\d{2}-\d{2}$", front, re.M), note.name
        assert body.lstrip().startswith("# "), f"{note.name} has no heading"
        assert set(WIKI_LINK.findall(body)) <= titles, note.name


def test_whatsapp_importer_reads_every_line_of_the_maya_chat() -> None:
    messages = parsed(MAYA)
    headers, _ = whatsapp_headers(MAYA)
    assert len(messages) == len(headers) == 504
    kinds = Counter(message.kind for message in messages)
    assert kinds == {Kind.TEXT: 494, Kind.MEDIA: 7, Kind.SYSTEM: 1, Kind.CALL: 1, Kind.DELETED: 1}
    assert sum(message.edited for message in messages) == 1
    assert {message.is_group for message in messages} == {False}
    assert any("\n" in message.text for message in messages)


def test_sam_writes_about_half_of_the_maya_chat() -> None:
    written = [message for message in parsed(MAYA) if message.kind is not Kind.SYSTEM]
    share = sum(message.sender == "Sam Rivera" for message in written) / len(written)
    assert 0.45 <= share <= 0.55


def test_whatsapp_importer_reads_every_line_of_the_running_club() -> None:
    messages = parsed(CLUB)
    assert len(messages) == 228
    assert Counter(message.kind for message in messages) == {
        Kind.TEXT: 220,
        Kind.SYSTEM: 5,
        Kind.MEDIA: 3,
    }
    assert Counter(m.sender for m in messages if m.sender) == {
        "Sam Rivera": 62,
        "Tiago Ferreira": 60,
        "Inês Costa": 58,
        "Joana Lima": 43,
    }
    assert {message.is_group for message in messages} == {True}


def test_telegram_importer_reads_every_message_of_the_rui_chat() -> None:
    messages = parsed(samples.telegram_export())
    assert len(messages) == 121
    assert Counter(message.kind for message in messages) == {
        Kind.TEXT: 118,
        Kind.MEDIA: 2,
        Kind.CALL: 1,
    }
    assert Counter(message.sender for message in messages) == {"Sam Rivera": 65, "Rui Santos": 56}
    assert [m.reply_to for m in messages if m.reply_to] == [
        m.message_id for m in messages if m.text.startswith("this bit, look at the mark")
    ]
    assert all(message.sent_at.tzinfo is not None for message in messages)
