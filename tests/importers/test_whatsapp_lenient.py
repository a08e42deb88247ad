"""WhatsApp files as real people have them: odd lines are read, never a reason to refuse."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.lenient import LenientReport, reading
from twin.importers.whatsapp import WhatsAppImporter
from twin.records import Kind, Message

FIXTURES = Path(__file__).parent.parent / "fixtures" / "whatsapp"


def parse(name: str | Path) -> tuple[list[Message], LenientReport]:
    source = SourceFile(FIXTURES / name)
    try:
        with reading() as report:
            messages = list(WhatsAppImporter().parse(source, ParseOptions()))
        return messages, report
    finally:
        source.close()


def test_hour_00_on_a_12_hour_clock_is_just_after_midnight() -> None:
    messages, report = parse("lenient_midnight_00_es.txt")
    assert [(m.sender, m.sent_at) for m in messages] == [
        ("Carmen", datetime(2022, 12, 31, 23, 58)),
        ("Carmen", datetime(2023, 1, 1, 0, 8)),
        ("Pablo", datetime(2023, 1, 1, 0, 9)),
        ("Pablo", datetime(2023, 1, 1, 12, 30)),
    ]
    (how,) = report.interpreted
    assert "hour 00" in how
    assert report.interpreted[how] == 2


def test_24_hour_time_with_pm_marker_keeps_its_hour() -> None:
    messages, report = parse("lenient_24h_with_pm.txt")
    assert [m.sent_at for m in messages] == [
        datetime(2022, 12, 31, 23, 58),
        datetime(2022, 12, 31, 23, 59),
        datetime(2023, 1, 1, 0, 1),
    ]
    assert report.total_interpreted == 1
    assert "marker ignored" in next(iter(report.interpreted))


def test_ios_seconds_with_hour_00() -> None:
    messages, _ = parse("lenient_ios_seconds_00.txt")
    assert [m.sent_at for m in messages] == [
        datetime(2023, 1, 1, 0, 0, 10),
        datetime(2023, 1, 1, 0, 4, 3),
        datetime(2023, 1, 1, 9, 15),
    ]


def test_bom_before_a_bracketed_german_ios_header_and_stacked_marks() -> None:
    source = SourceFile(FIXTURES / "lenient_ios_de_bom.txt")
    assert WhatsAppImporter().detect(source)
    messages, report = parse("lenient_ios_de_bom.txt")
    assert [(m.sender, m.kind, m.text) for m in messages] == [
        ("Bernd", Kind.TEXT, "Hallo Anna"),
        ("Anna", Kind.TEXT, "Hi Bernd"),
        ("Bernd", Kind.TEXT, "Kommst du?"),
        ("Anna", Kind.MEDIA, "Bild weggelassen"),
    ]
    assert messages[0].sent_at == datetime(2018, 1, 29, 12, 24, 3)
    assert report.kept_as_text == 0


def test_media_placeholders_in_any_casing_and_language() -> None:
    messages, _ = parse("lenient_media.txt")
    kinds = [m.kind for m in messages]
    assert kinds == [Kind.MEDIA] * 8 + [Kind.TEXT]
    assert messages[6].text.startswith("<attached: 00000012-PHOTO")


def test_empty_body_after_a_name_is_that_senders_message() -> None:
    messages, report = parse("lenient_empty_body.txt")
    assert [(m.sender, m.kind, m.text) for m in messages] == [
        ("Ana", Kind.TEXT, "hi"),
        ("Bo", Kind.MEDIA, ""),
        ("Ana", Kind.TEXT, "first line on its own\nsecond line"),
        ("Bo", Kind.TEXT, "ok"),
    ]
    assert report.total_interpreted == 2


def test_system_lines_credited_to_the_group_are_system() -> None:
    messages, _ = parse("WhatsApp Chat with Family.txt")
    assert [(m.sender, m.kind) for m in messages] == [
        (None, Kind.SYSTEM),
        ("Ana", Kind.TEXT),
        (None, Kind.SYSTEM),
        ("Bo", Kind.TEXT),  # a person asking about encryption is no notice
    ]


def test_german_notice_credited_to_the_contact_is_system() -> None:
    messages, _ = parse("WhatsApp Chat mit Bernd Lenient.txt")
    assert messages[0].conversation == "Bernd Lenient"
    assert [(m.sender, m.kind) for m in messages] == [
        (None, Kind.SYSTEM),
        ("Bernd Lenient", Kind.TEXT),
        ("Anna", Kind.TEXT),
    ]


def test_lines_before_the_first_header_are_skipped_and_counted() -> None:
    source = SourceFile(FIXTURES / "lenient_leading_lines.txt")
    assert WhatsAppImporter().detect(source)
    messages, report = parse("lenient_leading_lines.txt")
    assert [m.text for m in messages] == [
        "hi",
        "see below\n[05.06.23, 10:01:30] pasted from another chat",
        "ok",
    ]
    assert report.interpreted["before the first message header, skipped"] == 1
    assert report.kept_as_text == 1
    assert report.header_like_kept == 1
    assert any("kept as text of the message before" in line for line in report.lines())


def test_one_impossible_date_is_read_as_the_date_before_it() -> None:
    messages, report = parse("lenient_impossible_date.txt")
    assert [m.sent_at for m in messages] == [
        datetime(2023, 2, 28, 10, 0),
        datetime(2023, 2, 28, 10, 1),
        datetime(2023, 3, 1, 10, 2),
    ]
    assert report.total_interpreted == 1


@pytest.mark.parametrize(
    ("time", "expected"),
    [("24:00", datetime(2023, 6, 6, 0, 0)), ("10:75", datetime(2023, 6, 5, 10, 59))],
)
def test_impossible_clock_times_are_read_not_refused(
    tmp_path: Path, time: str, expected: datetime
) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(f"05/06/23, 09:00 - A: x\n05/06/23, {time} - A: y\n", encoding="utf-8")
    messages, report = parse(path)
    assert messages[-1].sent_at == expected
    assert report.total_interpreted == 1


def test_a_file_with_few_headers_among_many_lines_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    lines = [f"line {n} of my notes" for n in range(40)]
    lines[20] = "05/06/23, 10:00 - A: a date in my notes"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert not WhatsAppImporter().detect(SourceFile(path))
    with pytest.raises(BadInput, match="no WhatsApp message header found"):
        parse(path)


def test_reading_without_a_report_listening_still_works() -> None:
    source = SourceFile(FIXTURES / "lenient_midnight_00_es.txt")
    assert len(list(WhatsAppImporter().parse(source, ParseOptions()))) == 4
