"""The WhatsApp importer: every export layout we know, read into exact records."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from twin.errors import BadInput
from twin.importers import whatsapp
from twin.importers.base import DateOrder, ParseOptions
from twin.importers.files import SourceFile
from twin.importers.whatsapp import _GENERIC_HEADER, WhatsAppImporter
from twin.importers.whatsapp_phrases import EDITED_MARKERS
from twin.records import Kind, Message

FIXTURES = Path(__file__).parent.parent / "fixtures" / "whatsapp"
LRM = "\u200e"

Row = tuple[str | None, datetime, Kind, str, bool]


def parse(path: Path, date_order: DateOrder | None = None) -> list[Message]:
    source = SourceFile(path)
    try:
        return list(WhatsAppImporter().parse(source, ParseOptions(date_order=date_order)))
    finally:
        source.close()


def rows(messages: list[Message]) -> list[Row]:
    return [(m.sender, m.sent_at, m.kind, m.text, m.edited) for m in messages]


def write_chat(tmp_path: Path, text: str, name: str = "chat.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def zip_of(tmp_path: Path, zip_name: str, members: dict[str, bytes]) -> Path:
    path = tmp_path / zip_name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def only(tmp_path: Path, text: str) -> Message:
    (message,) = parse(write_chat(tmp_path, text))
    return message


# Layouts


def test_android_export_gives_exact_records() -> None:
    messages = parse(FIXTURES / "WhatsApp Chat with Alice.txt")
    assert rows(messages) == [
        (
            None,
            datetime(2023, 12, 31, 21, 41),
            Kind.SYSTEM,
            "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
            "WhatsApp, can read or listen to them. Tap to learn more.",
            False,
        ),
        ("Alice", datetime(2023, 12, 31, 21, 41), Kind.TEXT, "hi", False),
        (
            "Bob",
            datetime(2023, 12, 31, 21, 42),
            Kind.TEXT,
            "hello\nthere\n\nwith a blank line",
            False,
        ),
        ("Alice", datetime(2024, 1, 1, 0, 5), Kind.MEDIA, "<Media omitted>", False),
        ("Bob", datetime(2024, 1, 1, 0, 6), Kind.DELETED, "This message was deleted", False),
        ("Alice", datetime(2024, 1, 1, 0, 7), Kind.CALL, "Missed voice call", False),
        ("Bob", datetime(2024, 1, 1, 0, 8), Kind.TEXT, "fixed typo", True),
        (
            "Alice",
            datetime(2024, 1, 1, 0, 9),
            Kind.MEDIA,
            "IMG-20240101-WA0001.jpg (file attached)\nlook at this",
            False,
        ),
    ]
    assert {m.conversation for m in messages} == {"Alice"}
    assert {m.is_group for m in messages} == {False}
    assert {(m.source, m.conversation_id, m.message_id) for m in messages} == {
        ("whatsapp", None, None)
    }


IOS_GROUP_ROWS: list[Row] = [
    (
        None,
        datetime(2023, 12, 31, 21, 41, 5),
        Kind.SYSTEM,
        "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
        "WhatsApp, can read or listen to them.",
        False,
    ),
    (None, datetime(2023, 12, 31, 21, 41, 6), Kind.SYSTEM, "Alice created group “Trip”", False),
    (None, datetime(2023, 12, 31, 21, 41, 7), Kind.SYSTEM, "Alice added Bob", False),
    ("Alice", datetime(2023, 12, 31, 21, 42), Kind.TEXT, "hi all", False),
    ("Bob", datetime(2023, 12, 31, 21, 43), Kind.MEDIA, "image omitted", False),
    (
        "Alice",
        datetime(2023, 12, 31, 21, 44),
        Kind.MEDIA,
        "<attached: 00000012-PHOTO-2023-12-31-21-44-00.jpg>",
        False,
    ),
    (
        "Bob",
        datetime(2023, 12, 31, 21, 45),
        Kind.CALL,
        "Missed voice call, Tap to call back",
        False,
    ),
    ("Alice", datetime(2023, 12, 31, 21, 46), Kind.TEXT, "see you", True),
    ("Bob", datetime(2023, 12, 31, 21, 47), Kind.DELETED, "This message was deleted.", False),
    (None, datetime(2024, 1, 1, 0, 0, 1), Kind.SYSTEM, "Bob left", False),
]


def test_ios_export_gives_exact_records() -> None:
    messages = parse(FIXTURES / "ios_group_chat.txt")
    assert rows(messages) == IOS_GROUP_ROWS


def test_ios_zip_is_read_in_place_and_titled_from_the_zip_name(tmp_path: Path) -> None:
    chat = (FIXTURES / "ios_group_chat.txt").read_bytes()
    path = zip_of(
        tmp_path,
        "WhatsApp Chat - Trip.zip",
        {"_chat.txt": chat, "00000012-PHOTO-2023-12-31-21-44-00.jpg": b"\xff\xd8"},
    )
    messages = parse(path)
    assert rows(messages) == IOS_GROUP_ROWS
    assert {m.conversation for m in messages} == {"Trip"}
    assert list(tmp_path.iterdir()) == [path]  # nothing extracted


def test_android_zip_is_titled_from_its_chat_file(tmp_path: Path) -> None:
    chat = (FIXTURES / "WhatsApp Chat with Alice.txt").read_bytes()
    path = zip_of(tmp_path, "export.zip", {"WhatsApp Chat with Alice.txt": chat})
    messages = parse(path)
    assert len(messages) == 8
    assert {m.conversation for m in messages} == {"Alice"}


def test_group_is_recognised_from_its_system_messages_alone() -> None:
    messages = parse(FIXTURES / "ios_group_chat.txt")
    assert {m.sender for m in messages} == {None, "Alice", "Bob"}
    assert {m.is_group for m in messages} == {True}


def test_more_than_two_senders_make_a_group(tmp_path: Path) -> None:
    text = "1/2/24, 10:00 - A: x\n1/2/24, 10:01 - B: y\n1/2/24, 10:02 - C: z\n"
    assert {m.is_group for m in parse(write_chat(tmp_path, text))} == {True}


def test_android_subject_with_a_colon_stays_one_system_message() -> None:
    messages = parse(FIXTURES / "android_group_subject_with_colon.txt")
    assert rows(messages) == [
        (None, datetime(2023, 12, 31, 21, 41), Kind.SYSTEM, 'Alice created group "Trip"', False),
        (
            None,
            datetime(2023, 12, 31, 21, 42),
            Kind.SYSTEM,
            'Alice changed the subject from "Trip" to "Trip: 2024"',
            False,
        ),
        ("Alice", datetime(2023, 12, 31, 21, 43), Kind.TEXT, "hi", False),
        (
            None,
            datetime(2023, 12, 31, 21, 44),
            Kind.SYSTEM,
            "Bob joined using this group's invite link",
            False,
        ),
    ]
    assert {m.is_group for m in messages} == {True}


def test_invisible_marks_are_stripped_from_header_and_sender() -> None:
    messages = parse(FIXTURES / "marks_around_names.txt")
    assert [(m.sender, m.text) for m in messages] == [("+49 151 1234567", "hi"), ("Alice", "hello")]


# Locales


def test_german_export() -> None:
    messages = parse(FIXTURES / "WhatsApp Chat mit Bernd.txt")
    assert rows(messages) == [
        ("Bernd", datetime(2023, 12, 31, 21, 41), Kind.TEXT, "Hallo", False),
        ("Du", datetime(2023, 12, 31, 21, 42), Kind.MEDIA, "<Medien ausgeschlossen>", False),
        (
            "Bernd",
            datetime(2023, 12, 31, 21, 43),
            Kind.DELETED,
            "Diese Nachricht wurde gelöscht.",
            False,
        ),
        ("Du", datetime(2023, 12, 31, 21, 44), Kind.TEXT, "bis morgen", True),
        (
            "Bernd",
            datetime(2023, 12, 31, 21, 45),
            Kind.MEDIA,
            "IMG-20231231-WA0002.jpg (Datei angehängt)",
            False,
        ),
    ]
    assert {m.conversation for m in messages} == {"Bernd"}


def test_spanish_export_with_p_m_and_no_break_spaces() -> None:
    messages = parse(FIXTURES / "Chat de WhatsApp con Carmen.txt")
    assert rows(messages) == [
        ("Carmen", datetime(2023, 12, 31, 21, 41), Kind.TEXT, "Hola", False),
        ("Yo", datetime(2023, 12, 31, 21, 42), Kind.MEDIA, "<Multimedia omitido>", False),
        ("Carmen", datetime(2023, 12, 31, 21, 43), Kind.DELETED, "Se eliminó este mensaje.", False),
        ("Yo", datetime(2023, 12, 31, 21, 44), Kind.TEXT, "nos vemos", True),
        ("Carmen", datetime(2024, 1, 1, 0, 1), Kind.TEXT, "feliz año", False),
    ]
    assert {m.conversation for m in messages} == {"Carmen"}


def test_french_export_with_a_between_date_and_time() -> None:
    messages = parse(FIXTURES / "Discussion WhatsApp avec Chloé.txt")
    assert rows(messages) == [
        ("Chloé", datetime(2023, 12, 31, 21, 41), Kind.TEXT, "Salut", False),
        ("Moi", datetime(2023, 12, 31, 21, 42), Kind.MEDIA, "<Médias omis>", False),
        (
            "Chloé",
            datetime(2023, 12, 31, 21, 43),
            Kind.DELETED,
            "Ce message a été supprimé.",
            False,
        ),
        ("Moi", datetime(2023, 12, 31, 21, 44), Kind.TEXT, "à demain", True),
        (
            "Chloé",
            datetime(2023, 12, 31, 21, 45),
            Kind.MEDIA,
            "document.pdf (fichier joint)",
            False,
        ),
    ]
    assert {m.conversation for m in messages} == {"Chloé"}


def test_portuguese_export_with_as_between_date_and_time() -> None:
    messages = parse(FIXTURES / "Conversa do WhatsApp com João.txt")
    assert rows(messages) == [
        ("João", datetime(2023, 12, 31, 21, 41), Kind.TEXT, "Olá", False),
        ("Eu", datetime(2023, 12, 31, 21, 42), Kind.MEDIA, "<Mídia oculta>", False),
        ("João", datetime(2023, 12, 31, 21, 43), Kind.DELETED, "Mensagem apagada", False),
    ]
    assert {m.conversation for m in messages} == {"João"}


def test_ios_us_export_with_narrow_no_break_space_before_pm() -> None:
    messages = parse(FIXTURES / "ios_us_narrow_space.txt")
    assert [(m.sender, m.sent_at) for m in messages] == [
        ("Alice", datetime(2023, 12, 31, 21, 41, 5)),
        ("Bob", datetime(2023, 12, 31, 23, 59, 59)),
        ("Alice", datetime(2024, 1, 1, 0, 0, 0)),
    ]


def test_year_first_dates_are_read_as_ymd() -> None:
    messages = parse(FIXTURES / "ymd_24h.txt")
    assert [m.sent_at for m in messages] == [datetime(2023, 12, 31, 21, 41), datetime(2024, 1, 1)]


@pytest.mark.parametrize(
    "header",
    [
        "31/12/2023, 21:41 - ",
        "31/12/2023, 21:41:00 - ",
        "31.12.23, 21:41 - ",
        "31-12-2023, 21:41 - ",
        "31/12/2023 21:41 - ",
        "31/12/2023, 21:41 \u2013 ",
        "31/12/2023, 21:41: ",
        "31/12/2023, 9:41 PM - ",
        "31/12/2023, 9:41 pm - ",
        "31/12/2023, 9:41 p. m. - ",
        "31/12/2023, 9:41 p.m. - ",
        "31/12/2023, 9:41\u00a0PM - ",
        "31/12/2023, 9:41\u202fPM - ",
        "31/12/2023, 9:41PM - ",
        "31/12/2023 at 9:41 PM - ",
        "31.12.23 um 21:41 - ",
        "31/12/2023 à 21:41 - ",
        "31/12/2023 às 21:41 - ",
        "31/12/23 a las 21:41 - ",
        "[31.12.23, 21:41:00] ",
        "[31/12/2023, 9:41:00 PM] ",
        "[31/12/2023 21:41] ",
        "\u200e[31.12.23, 21:41:00] ",
        "\ufeff31/12/2023, 21:41 - ",
    ],
)
def test_header_layouts_all_read_the_same(tmp_path: Path, header: str) -> None:
    message = only(tmp_path, f"{header}Alice: hi\n")
    assert (message.sender, message.sent_at, message.text) == (
        "Alice",
        datetime(2023, 12, 31, 21, 41),
        "hi",
    )


def test_twelve_am_is_midnight_and_twelve_pm_is_noon(tmp_path: Path) -> None:
    text = "31/12/23, 12:05 AM - A: x\n31/12/23, 12:05 PM - A: y\n"
    assert [m.sent_at.hour for m in parse(write_chat(tmp_path, text))] == [0, 12]


def test_multiline_message_keeps_its_newlines(tmp_path: Path) -> None:
    text = "31/12/2023, 21:41 - Alice: one\n\ntwo\n  three  \n\n31/12/2023, 21:42 - Bob: four\n"
    assert [m.text for m in parse(write_chat(tmp_path, text))] == [
        "one\n\ntwo\n  three  \n",
        "four",
    ]


def test_crlf_line_endings_are_not_kept(tmp_path: Path) -> None:
    text = "31/12/2023, 21:41 - Alice: one\r\ntwo\r\n31/12/2023, 21:42 - Bob: three\r\n"
    assert [m.text for m in parse(write_chat(tmp_path, text))] == ["one\ntwo", "three"]


@pytest.mark.parametrize("chunk", [1, 7, 64])
@pytest.mark.parametrize(
    "name",
    [
        "WhatsApp Chat with Alice.txt",
        "ios_group_chat.txt",
        "Chat de WhatsApp con Carmen.txt",
        "unsorted.txt",
        "crlf",
    ],
)
def test_reading_in_small_chunks_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, chunk: int
) -> None:
    if name == "crlf":
        text = (FIXTURES / "WhatsApp Chat with Alice.txt").read_text(encoding="utf-8")
        path = write_chat(tmp_path, text.replace("\n", "\r\n"))
    else:
        path = FIXTURES / name
    whole = parse(path)
    monkeypatch.setattr(whatsapp, "_HEAD", 200)
    monkeypatch.setattr(whatsapp, "_CHUNK", chunk)
    assert parse(path) == whole


def test_message_longer_than_a_chunk_is_kept_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_text = "\n".join(f"line {n}" for n in range(100))
    path = write_chat(tmp_path, f"31/12/2023, 21:41 - A: {long_text}\n31/12/2023, 21:42 - B: x\n")
    monkeypatch.setattr(whatsapp, "_HEAD", 10)
    monkeypatch.setattr(whatsapp, "_CHUNK", 16)
    assert [m.text for m in parse(path)] == [long_text, "x"]


def test_lines_are_numbered_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "".join(f"05/06/23, 10:{n:02} - A: x\nmore\n" for n in range(30))
    path = write_chat(tmp_path, text + "13/06/23, 10:00 - A: y\n")
    monkeypatch.setattr(whatsapp, "_HEAD", 10)
    monkeypatch.setattr(whatsapp, "_CHUNK", 16)
    with pytest.raises(BadInput) as error:
        parse(path, "mdy")
    assert error.value.line == 61


# Kinds


@pytest.mark.parametrize(
    "text",
    [
        "<Media omitted>",
        "<Medien ausgeschlossen>",
        "<Multimedia omitido>",
        "<Médias omis>",
        "<Mídia oculta>",
        "<Media weggelaten>",
        "<Media omessi>",
        "image omitted",
        "video omitted",
        "audio omitted",
        "sticker omitted",
        "GIF omitted",
        "document omitted",
        "Contact card omitted",
        f"{LRM}image omitted",
        "Report.pdf • 3 pages document omitted",
        "<attached: 00000012-PHOTO-2023-01-01-10-00-00.jpg>",
        "IMG-20230101-WA0001.jpg (file attached)",
        "IMG-20230101-WA0001.jpg (Datei angehängt)",
        "IMG-20230101-WA0001.jpg (archivo adjunto)",
        "IMG-20230101-WA0001.jpg (fichier joint)",
        "IMG-20230101-WA0001.jpg (arquivo anexado)",
        "IMG-20230101-WA0001.jpg (file attached)\nwith a caption",
    ],
)
def test_media_placeholders_are_media(tmp_path: Path, text: str) -> None:
    message = only(tmp_path, f"31/12/2023, 21:41 - Alice: {text}\n")
    assert message.kind is Kind.MEDIA
    assert message.text == text.replace(LRM, "")


@pytest.mark.parametrize(
    "text",
    [
        "This message was deleted",
        "You deleted this message",
        "Diese Nachricht wurde gelöscht.",
        "Se eliminó este mensaje.",
        "Ce message a été supprimé.",
        "Mensagem apagada",
        "Questo messaggio è stato eliminato",
        "Dit bericht is verwijderd",
    ],
)
def test_deleted_messages_are_deleted(tmp_path: Path, text: str) -> None:
    message = only(tmp_path, f"31/12/2023, 21:41 - Alice: {text}\n")
    assert (message.kind, message.sender, message.text) == (Kind.DELETED, "Alice", text)


@pytest.mark.parametrize(
    "text",
    [
        "Missed voice call",
        "Missed video call",
        "Voice call",
        "Video call",
        f"{LRM}Missed voice call, {LRM}Tap to call back",
        f"{LRM}Voice call, {LRM}12 min",
    ],
)
def test_calls_are_calls(tmp_path: Path, text: str) -> None:
    message = only(tmp_path, f"[31.12.23, 21:41:00] Alice: {text}\n")
    assert message.kind is Kind.CALL


def test_talking_about_a_video_call_is_text(tmp_path: Path) -> None:
    assert only(tmp_path, "31/12/2023, 21:41 - Alice: Video call tomorrow?\n").kind is Kind.TEXT


@pytest.mark.parametrize("marker", EDITED_MARKERS)
def test_edited_marker_is_removed_and_flagged(tmp_path: Path, marker: str) -> None:
    message = only(tmp_path, f"31/12/2023, 21:41 - Alice: see you\nsoon {marker}\n")
    assert (message.text, message.edited, message.kind) == ("see you\nsoon", True, Kind.TEXT)


@pytest.mark.parametrize(
    ("author", "text"),
    [
        ("Trip", "Messages and calls are end-to-end encrypted."),
        ("Alice", "You were added"),
        ("Trip", "Alice changed the group description"),
        ("Trip", "Alice changed this group's icon"),
        ("Trip", "Alice removed Bob"),
        ("Trip", "Bernd hat die Gruppe verlassen"),
        ("Trip", "Carmen añadió a Diego"),
        ("Trip", "Chloé a créé le groupe « Trip »"),
        ("Trip", "João criou o grupo “Trip”"),
        ("Trip", "Anna ha creato il gruppo “Trip”"),
        ("Trip", "Daan heeft groep “Trip” aangemaakt"),
        ("Bob", "Your security code with Alice changed. Tap to learn more."),
        ("Alice", "Alice changed their phone number to a new number. Tap to message or add it."),
    ],
)
def test_marked_system_lines_credited_to_an_author_are_system(
    tmp_path: Path, author: str, text: str
) -> None:
    message = only(tmp_path, f"[31.12.23, 21:41:00] {author}: {LRM}{text}\n")
    assert (message.sender, message.kind, message.text) == (None, Kind.SYSTEM, text)


def test_someone_saying_they_left_is_text(tmp_path: Path) -> None:
    message = only(tmp_path, "[31.12.23, 21:41:00] Alice: Bob left\n")
    assert (message.sender, message.kind) == ("Alice", Kind.TEXT)


# Date order


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # A first field above 12 can only be a day.
        (["01/02/23, 10:00", "13/02/23, 10:00"], [(2023, 2, 1), (2023, 2, 13)]),
        # A second field above 12 can only be a day.
        (["02/01/23, 10:00", "02/13/23, 10:00"], [(2023, 2, 1), (2023, 2, 13)]),
        # Ambiguous alone; only day-month order runs forward (1 Feb, 2 Mar, 1 Apr).
        (
            ["01/02/23, 10:00", "02/03/23, 10:00", "01/04/23, 10:00"],
            [(2023, 2, 1), (2023, 3, 2), (2023, 4, 1)],
        ),
        # Ambiguous alone; only month-day order runs forward (Jan 2, Jan 3, Feb 1).
        (
            ["01/02/23, 10:00", "01/03/23, 10:00", "02/01/23, 10:00"],
            [(2023, 1, 2), (2023, 1, 3), (2023, 2, 1)],
        ),
        # Nothing tells them apart: day first, the most common order.
        (["05/06/23, 10:00"], [(2023, 6, 5)]),
    ],
)
def test_date_order_is_inferred_from_the_whole_file(
    tmp_path: Path, lines: list[str], expected: list[tuple[int, int, int]]
) -> None:
    text = "".join(f"{line} - A: x\n" for line in lines)
    dates = sorted(
        (m.sent_at.year, m.sent_at.month, m.sent_at.day) for m in parse(write_chat(tmp_path, text))
    )
    assert dates == expected


def test_forced_date_order_wins(tmp_path: Path) -> None:
    path = write_chat(tmp_path, "05/06/23, 10:00 - A: x\n")
    assert parse(path, "mdy")[0].sent_at == datetime(2023, 5, 6, 10)
    assert parse(path, "ymd")[0].sent_at == datetime(2005, 6, 23, 10)


def test_impossible_date_under_forced_order_names_its_line(tmp_path: Path) -> None:
    path = write_chat(tmp_path, "05/06/23, 10:00 - A: x\n13/06/23, 10:00 - A: y\n")
    with pytest.raises(BadInput) as error:
        parse(path, "mdy")
    assert error.value.line == 2
    assert "13/06/23" in error.value.problem


def test_export_out_of_time_order_is_sorted_stably() -> None:
    messages = parse(FIXTURES / "unsorted.txt")
    assert [m.text for m in messages] == ["first", "second a", "second b", "third"]


# Bad input and detection


def test_empty_file_is_bad_input() -> None:
    with pytest.raises(BadInput, match="no WhatsApp message header found"):
        parse(FIXTURES / "empty.txt")


def test_file_not_starting_with_a_header_names_the_line() -> None:
    with pytest.raises(BadInput, match="no WhatsApp message header found") as error:
        parse(FIXTURES / "not_a_chat.txt")
    assert error.value.line == 2


def test_invalid_utf8_names_the_line() -> None:
    with pytest.raises(BadInput, match="UTF-8") as error:
        parse(FIXTURES / "invalid_utf8.txt")
    assert error.value.line == 2


def test_truncated_zip_is_bad_input(tmp_path: Path) -> None:
    chat = "".join(f"[31.12.23, 21:41:00] A: {n}\n" for n in range(1000)).encode()
    whole = zip_of(tmp_path, "whole.zip", {"_chat.txt": chat}).read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(BadInput, match="cut short"):
        parse(cut)


def test_zip_without_a_chat_is_bad_input(tmp_path: Path) -> None:
    path = zip_of(tmp_path, "photos.zip", {"a.jpg": b"\xff\xd8", "b.jpg": b"\xff\xd8"})
    with pytest.raises(BadInput, match="no WhatsApp chat"):
        parse(path)


@pytest.mark.parametrize(
    "name", ["WhatsApp Chat with Alice.txt", "ios_group_chat.txt", "WhatsApp Chat mit Bernd.txt"]
)
def test_exports_are_detected(name: str) -> None:
    assert WhatsAppImporter().detect(SourceFile(FIXTURES / name))


def test_zipped_export_is_detected(tmp_path: Path) -> None:
    chat = (FIXTURES / "ios_group_chat.txt").read_bytes()
    path = zip_of(tmp_path, "WhatsApp Chat - Trip.zip", {"_chat.txt": chat})
    assert WhatsAppImporter().detect(SourceFile(path))


@pytest.mark.parametrize("name", ["telegram_result.json", "not_a_chat.txt", "empty.txt"])
def test_other_files_are_not_detected(name: str) -> None:
    assert not WhatsAppImporter().detect(SourceFile(FIXTURES / name))


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("WhatsApp Chat with Alice.txt", "Alice"),
        ("WhatsApp Chat mit Bernd.txt", "Bernd"),
        ("Chat de WhatsApp con Carmen.txt", "Carmen"),
        ("WhatsApp Chat - Trip 2024.txt", "Trip 2024"),
        ("my chat.txt", "my chat"),
    ],
)
def test_conversation_title_comes_from_the_file_name(tmp_path: Path, name: str, title: str) -> None:
    path = write_chat(tmp_path, "31/12/2023, 21:41 - A: x\n", name)
    assert parse(path)[0].conversation == title


# Round trip

_TEXT = st.text(st.characters(exclude_characters="\r\u200e", exclude_categories=("Cs",)))
"""Any text except what an export can't carry: \\r ends lines, U+200E marks WhatsApp's own words."""


def _survives_export(text: str) -> bool:
    # WhatsApp trims what is sent, and a name followed by a line break is read as a message
    # whose text starts on the next line, so a text can't begin with a line break.
    if text.startswith("\n"):
        return False
    lines = text.split("\n")
    return not any(_GENERIC_HEADER.match(line) for line in lines[1:]) and not text.endswith(
        EDITED_MARKERS
    )


@pytest.mark.parametrize("header", ["12/31/23, 9:41 PM - Alice: ", "[31.12.23, 21:41:05] Alice: "])
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_TEXT, min_size=1, max_size=4))
def test_any_text_round_trips_through_an_export(
    tmp_path: Path, header: str, texts: list[str]
) -> None:
    for text in texts:
        assume(_survives_export(text))
    path = write_chat(tmp_path, "".join(f"{header}{text}\n" for text in texts))
    assert [m.text for m in parse(path)] == texts
