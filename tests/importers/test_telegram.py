"""The Telegram Desktop JSON importer: both export layouts, every message variant, bad input."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import tracemalloc
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.jsonstream import XEscapeRepair
from twin.importers.telegram import TelegramImporter
from twin.records import Kind, Message

FIXTURES = Path(__file__).parent.parent / "fixtures" / "telegram"
PLUS_ONE = timezone(timedelta(hours=1))
INDIA = timezone(timedelta(hours=5, minutes=30))
BASE = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def parse(path: Path | str) -> list[Message]:
    return list(TelegramImporter().parse(SourceFile(path), ParseOptions()))


def at(minute: int, zone: timezone = PLUS_ONE) -> datetime:
    """The fixtures' message ``minute``: 2024-03-01 10:00 UTC plus that many minutes."""
    return (BASE + timedelta(minutes=minute)).astimezone(zone)


def alice(minute: int, kind: Kind, text: str, **fields: object) -> Message:
    """A message from Alice in the single-chat fixture."""
    values: dict[str, object] = {
        "source": "telegram",
        "conversation": "Alice",
        "conversation_id": "200",
        "sender": "Alice",
        "sender_id": "user200",
        "message_id": str(minute),
        "sent_at": at(minute),
        "kind": kind,
        "text": text,
        "from_me": None,
        "is_group": False,
    }
    values.update(fields)
    return Message(**values)  # type: ignore[arg-type]


def write_chat(path: Path, messages: list[dict[str, object]], **chat: object) -> Path:
    document = {"name": "Pat", "type": "personal_chat", "id": 7, **chat, "messages": messages}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


# --- single-chat export ------------------------------------------------------------------------


def test_single_chat_export_yields_every_message_exactly() -> None:
    assert parse(FIXTURES / "single_chat.json") == [
        alice(1, Kind.TEXT, "Hi there"),
        alice(2, Kind.TEXT, "Look at https://example.org!"),
        alice(3, Kind.TEXT, "Fixed typo", reply_to="1", edited=True),
        alice(4, Kind.TEXT, "Forwarded words", forwarded_from="Bob"),
        alice(5, Kind.MEDIA, "Sunset"),
        alice(6, Kind.MEDIA, "<sticker>"),
        alice(7, Kind.CALL, "Call (42 s)"),
        alice(8, Kind.CALL, "Missed call"),
        alice(9, Kind.TEXT, "I am gone", sender="Deleted Account", sender_id="user999"),
        alice(10, Kind.TEXT, "Only a date", sent_at=datetime(2024, 3, 1, 11, 10)),
        alice(11, Kind.TEXT, "Only a timestamp", sent_at=at(11, UTC)),
        alice(12, Kind.MEDIA, "<location>"),
        alice(13, Kind.MEDIA, "<contact>"),
        alice(14, Kind.MEDIA, "<poll: Pizza?>"),
        alice(15, Kind.MEDIA, "The notes"),
        alice(16, Kind.MEDIA, "<voice message>"),
        alice(17, Kind.TEXT, "From India", sent_at=at(17, INDIA)),
        alice(18, Kind.TEXT, "No from at all", sender="Deleted Account", sender_id="user998"),
    ]


def test_offset_of_exporting_machine_is_kept_in_the_iso_string() -> None:
    first = parse(FIXTURES / "single_chat.json")[0]
    assert first.preview()["sent_at"] == "2024-03-01T11:01:00+01:00"


def test_offset_is_rounded_to_a_quarter_hour(tmp_path: Path) -> None:
    # 10:00:00Z shown as 12:00:07 local: a clock skew of seconds must not make a +02:00:07 zone.
    path = write_chat(
        tmp_path / "result.json",
        [{"id": 1, "type": "message", "date": "2024-03-01T12:00:07",
          "date_unixtime": "1709287200", "from": "Pat", "from_id": "user7", "text": "hi"}],
    )  # fmt: skip
    (message,) = parse(path)
    assert message.sent_at.isoformat() == "2024-03-01T12:00:00+02:00"


def test_implausible_offset_falls_back_to_utc(tmp_path: Path) -> None:
    path = write_chat(
        tmp_path / "result.json",
        [{"id": 1, "type": "message", "date": "2024-03-03T10:00:00",
          "date_unixtime": "1709287200", "from": "Pat", "from_id": "user7", "text": "hi"}],
    )  # fmt: skip
    (message,) = parse(path)
    assert message.sent_at == BASE
    assert message.sent_at.utcoffset() == timedelta(0)


def test_saved_messages_are_all_from_me_in_a_single_chat_export(tmp_path: Path) -> None:
    path = write_chat(
        tmp_path / "result.json",
        [{"id": 1, "type": "message", "date_unixtime": "1709287200",
          "from": "Me", "from_id": "user1", "text": "note"}],
        type="saved_messages",
        name=None,
        id=1,
    )  # fmt: skip
    (message,) = parse(path)
    assert (message.conversation, message.from_me, message.is_group) == (
        "Saved Messages",
        True,
        False,
    )


@pytest.mark.parametrize(
    ("chat_type", "is_group"),
    [
        ("personal_chat", False),
        ("bot_chat", False),
        ("private_group", True),
        ("private_supergroup", True),
        ("public_supergroup", True),
        ("private_channel", True),
        ("public_channel", True),
        ("some_future_type", None),
    ],
)
def test_chat_type_says_whether_it_is_a_group(
    tmp_path: Path, chat_type: str, is_group: bool | None
) -> None:
    path = write_chat(
        tmp_path / "result.json",
        [{"id": 1, "type": "message", "date_unixtime": "1709287200", "text": "x"}],
        type=chat_type,
    )
    assert parse(path)[0].is_group is is_group


def test_text_prefers_text_but_falls_back_to_text_entities(tmp_path: Path) -> None:
    path = write_chat(
        tmp_path / "result.json",
        [{"id": 1, "type": "message", "date_unixtime": "1709287200", "from": "Pat",
          "text_entities": [{"type": "plain", "text": "a "}, {"type": "code", "text": "b()"}]}],
    )  # fmt: skip
    assert parse(path)[0].text == "a b()"


def test_media_kinds_get_placeholders_without_a_caption(tmp_path: Path) -> None:
    media = [
        {"photo": "(File not included. Change data exporting settings to download.)"},
        {"file": "x.mp4", "media_type": "video_file"},
        {"file": "x.gif.mp4", "media_type": "animation"},
        {"file": "x.mp3", "media_type": "audio_file"},
        {"file": "x.mp4", "media_type": "video_message"},
        {"file": "x.bin"},
    ]
    messages = [
        {"id": i, "type": "message", "date_unixtime": "1709287200", "from": "Pat", "text": "", **m}
        for i, m in enumerate(media)
    ]
    parsed = parse(write_chat(tmp_path / "result.json", messages))
    assert [(m.kind, m.text) for m in parsed] == [
        (Kind.MEDIA, "<photo>"),
        (Kind.MEDIA, "<video>"),
        (Kind.MEDIA, "<animation>"),
        (Kind.MEDIA, "<audio>"),
        (Kind.MEDIA, "<video message>"),
        (Kind.MEDIA, "<file>"),
    ]


def test_service_messages_read_as_sentences(tmp_path: Path) -> None:
    def service(action: str, **fields: object) -> dict[str, object]:
        return {"id": 1, "type": "service", "date_unixtime": "1709287200", "actor": "Ann",
                "actor_id": "user5", "action": action, "text": "", **fields}  # fmt: skip

    messages = [
        service("create_group", title="Trip", members=["Bob"]),
        service("invite_members", members=["Bob", None]),
        service("remove_members", members=["Bob"]),
        service("remove_members", members=["Ann"]),
        service("join_group_by_link", inviter="Bob"),
        service("pin_message", message_id=3),
        service("edit_group_title", title="Trip 2"),
        service("migrate_from_group", title="Trip"),
        service("set_messages_ttl", period=86400),
        service("create_group", title="Gone", actor=None),
    ]
    parsed = parse(write_chat(tmp_path / "result.json", messages, type="private_group"))
    assert {(m.kind, m.sender, m.sender_id, m.from_me) for m in parsed} == {
        (Kind.SYSTEM, None, None, None)
    }
    assert [m.text for m in parsed] == [
        "Ann created group Trip",
        "Ann invited Bob, Deleted Account",
        "Ann removed Bob",
        "Ann left",
        "Ann joined the group via invite link",
        "Ann pinned a message",
        "Ann changed the group name to Trip 2",
        "Ann upgraded group Trip to a supergroup",
        "Ann: set messages ttl",
        "Deleted Account created group Gone",
    ]


def test_calls_say_how_long_or_why_not(tmp_path: Path) -> None:
    def call(**fields: object) -> dict[str, object]:
        return {"id": 1, "type": "service", "date_unixtime": "1709287200", "actor": "Ann",
                "actor_id": "user5", "action": "phone_call", "text": "", **fields}  # fmt: skip

    messages = [
        call(duration_seconds=5, discard_reason="hangup"),
        call(discard_reason="missed"),
        call(discard_reason="busy"),
        call(),
        call(action="group_call"),
    ]
    parsed = parse(write_chat(tmp_path / "result.json", messages))
    assert [(m.kind, m.sender, m.sender_id, m.text) for m in parsed] == [
        (Kind.CALL, "Ann", "user5", "Call (5 s)"),
        (Kind.CALL, "Ann", "user5", "Missed call"),
        (Kind.CALL, "Ann", "user5", "Declined call"),
        (Kind.CALL, "Ann", "user5", "Call"),
        (Kind.CALL, "Ann", "user5", "Group call"),
    ]


def test_forward_from_a_deleted_account_is_named_so(tmp_path: Path) -> None:
    path = write_chat(
        tmp_path / "result.json",
        [{"id": 1, "type": "message", "date_unixtime": "1709287200", "from": "Pat",
          "forwarded_from": None, "text": "fw"}],
    )  # fmt: skip
    assert parse(path)[0].forwarded_from == "Deleted Account"


def test_edited_unixtime_alone_marks_a_message_edited(tmp_path: Path) -> None:
    path = write_chat(
        tmp_path / "result.json",
        [{"id": 1, "type": "message", "date_unixtime": "1709287200", "from": "Pat",
          "edited_unixtime": "1709287300", "text": "fixed"}],
    )  # fmt: skip
    assert parse(path)[0].edited is True


# --- full-account export -----------------------------------------------------------------------


def test_account_export_reads_chats_and_left_chats_and_knows_who_i_am() -> None:
    def message(minute: int, kind: Kind, text: str, **fields: object) -> Message:
        values: dict[str, object] = {
            "source": "telegram",
            "message_id": str(minute),
            "sent_at": at(minute),
            "kind": kind,
            "text": text,
        }
        values.update(fields)
        return Message(**values)  # type: ignore[arg-type]

    chat_alice = {"conversation": "Alice", "conversation_id": "200", "is_group": False}
    trip = {"conversation": "Trip", "conversation_id": "300", "is_group": True}
    me = {"sender": "Me Myself", "sender_id": "user100", "from_me": True}
    her = {"sender": "Alice", "sender_id": "user200", "from_me": False}
    system = {"sender": None, "sender_id": None, "from_me": None}
    assert parse(FIXTURES / "account.json") == [
        message(1, Kind.TEXT, "Hello Alice", **chat_alice, **me),
        message(2, Kind.TEXT, "Hi back", **chat_alice, **her),
        message(10, Kind.SYSTEM, "Me Myself created group Trip", **trip, **system),
        message(11, Kind.SYSTEM, "Me Myself invited Bob, Deleted Account", **trip, **system),
        message(12, Kind.TEXT, "Where do we go?", **trip, **her),
        message(13, Kind.SYSTEM, "Alice pinned a message", **trip, **system),
        message(14, Kind.CALL, "Group call (300 s)", **trip, **her),
        message(15, Kind.TEXT, "The sea", reply_to="12", **trip, **me),
        message(
            20,
            Kind.TEXT,
            "note to self",
            conversation="Saved Messages",
            conversation_id="100",
            is_group=False,
            **me,
        ),
        message(
            30,
            Kind.TEXT,
            "Bye",
            conversation="Old Club",
            conversation_id="400",
            is_group=True,
            sender="Dave",
            sender_id="user400",
            from_me=False,
        ),
    ]


def test_chat_fields_and_owner_given_after_the_messages_are_still_used() -> None:
    (message,) = parse(FIXTURES / "late_headers.json")
    assert (message.conversation, message.conversation_id, message.is_group, message.from_me) == (
        "Alice",
        "200",
        False,
        True,
    )


def test_account_export_without_chats_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    document = {"about": "Telegram", "personal_information": {"user_id": 1}, "contacts": {}}
    path.write_text(json.dumps(document), encoding="utf-8")
    assert parse(path) == []


# --- escapes -----------------------------------------------------------------------------------


def test_invalid_x_escapes_are_read_as_latin1_but_escaped_backslashes_stay() -> None:
    (message,) = parse(FIXTURES / "escapes.json")
    assert message.conversation == "Café crew"
    assert message.sender == "Zoë"
    assert message.text == "café and \\x41 and \\B"


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 4, 5, 7, 64])
def test_x_escape_repair_is_the_same_whatever_the_read_boundaries(chunk_size: int) -> None:
    raw = rb'"\x41 \\x41 \\\x42 \\\\x43 a\xe9b \x4" \\ \\\\\x44 \xzz'
    repaired = _read_all(XEscapeRepair(io.BytesIO(raw), chunk_size=chunk_size), chunk_size)
    assert repaired == (rb'"\u0041 \\x41 \\\u0042 \\\\x43 a\u00e9b \x4" \\ \\\\\u0044 \xzz')


def test_x_escape_repair_drops_a_byte_order_mark() -> None:
    reader = XEscapeRepair(io.BytesIO(b'\xef\xbb\xbf{"a": 1}'))
    assert _read_all(reader, 4) == b'{"a": 1}'


def _reference_repair(raw: bytes) -> bytes:
    """The rewrite done one byte at a time, the obvious way."""
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i : i + 1] != b"\\":
            out += raw[i : i + 1]
            i += 1
        elif (
            raw[i + 1 : i + 2] == b"x"
            and len(raw[i + 2 : i + 4]) == 2
            and all(c in b"0123456789abcdefABCDEF" for c in raw[i + 2 : i + 4])
        ):
            out += b"\\u00" + raw[i + 2 : i + 4]
            i += 4
        else:
            out += raw[i : i + 2]
            i += 2
    return bytes(out)


@given(
    st.lists(st.sampled_from([b"\\", b"x", b"4", b"f", b"g", b'"', b"a", b"\\x41"]), max_size=40),
    st.integers(min_value=1, max_value=9),
)
def test_x_escape_repair_matches_a_byte_by_byte_rewrite(parts: list[bytes], size: int) -> None:
    raw = b"".join(parts)
    chunked = _read_all(XEscapeRepair(io.BytesIO(raw), chunk_size=size), size)
    assert chunked == _reference_repair(raw)


def test_x_escape_split_across_the_parsers_read_boundary(tmp_path: Path) -> None:
    # Put "\xe9" exactly across the 256 KiB buffer the importer reads with.
    prefix = b'{"name": "Pat", "type": "personal_chat", "id": 7, "messages": [{"id": 1, '
    prefix += b'"type": "message", "date_unixtime": "1709287200", "text": "'
    padding = b"a" * ((1 << 18) - len(prefix) - 2)
    path = tmp_path / "result.json"
    path.write_bytes(prefix + padding + b'\\xe9 done"}]}')
    (message,) = parse(path)
    assert message.text == "a" * len(padding) + "é done"


def _read_all(reader: XEscapeRepair, size: int) -> bytes:
    out = b""
    while chunk := reader.read(size):
        out += chunk
    return out


# --- text round trip ---------------------------------------------------------------------------


@given(st.text(), st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=50))
def test_any_text_round_trips_as_string_and_as_entities(text: str, cut1: int, cut2: int) -> None:
    a, b = sorted((min(cut1, len(text)), min(cut2, len(text))))
    entities = [text[:a], {"type": "bold", "text": text[a:b]}, text[b:]]
    document = {
        "name": "Pat",
        "type": "personal_chat",
        "id": 7,
        "messages": [
            {"id": 1, "type": "message", "date_unixtime": "1709287200", "from": "Pat", "text": t}
            for t in (text, entities)
        ],
    }
    raw = json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return  # lone surrogates cannot be written as UTF-8 by any exporter
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.json"
        path.write_bytes(raw)
        assert [m.text for m in parse(path)] == [text, text]


# --- folders, zips, detection ------------------------------------------------------------------


def test_folder_holding_result_json_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "ChatExport_2024-03-01"
    folder.mkdir()
    shutil.copy(FIXTURES / "single_chat.json", folder / "result.json")
    (folder / "photos").mkdir()
    (folder / "photos" / "photo_1.jpg").write_bytes(b"\xff\xd8")
    source = SourceFile(tmp_path)
    assert TelegramImporter().detect(source)
    assert parse(tmp_path) == parse(FIXTURES / "single_chat.json")


def test_zip_holding_result_json_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIXTURES / "account.json", "Telegram Desktop/DataExport/result.json")
        zf.writestr("Telegram Desktop/DataExport/export_results.html", "<html></html>")
    assert TelegramImporter().detect(SourceFile(archive))
    assert parse(archive) == parse(FIXTURES / "account.json")


def test_errors_inside_a_zip_name_the_member(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIXTURES / "truncated.json", "chat/result.json")
    with pytest.raises(BadInput) as error:
        parse(archive)
    assert error.value.path == f"{archive}:chat/result.json"


@pytest.mark.parametrize(
    ("name", "detected"),
    [
        ("single_chat.json", True),
        ("account.json", True),
        ("escapes.json", True),
        ("not_telegram.json", False),
        ("not_json.txt", False),
    ],
)
def test_detect_reads_only_the_start(name: str, detected: bool) -> None:
    assert TelegramImporter().detect(SourceFile(FIXTURES / name)) is detected


def test_detect_refuses_a_folder_without_result_json(tmp_path: Path) -> None:
    (tmp_path / "chat.txt").write_text("hello", encoding="utf-8")
    assert TelegramImporter().detect(SourceFile(tmp_path)) is False


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("truncated.json", "truncated or invalid JSON"),
        ("not_json.txt", "truncated or invalid JSON"),
        ("not_telegram.json", "not a Telegram export"),
        ("foreign_messages.json", "not a Telegram export"),
    ],
)
def test_broken_or_foreign_file_is_bad_input_naming_it(name: str, problem: str) -> None:
    with pytest.raises(BadInput) as error:
        parse(FIXTURES / name)
    assert error.value.path == str(FIXTURES / name)
    assert error.value.problem.startswith(problem)


def test_top_level_array_is_not_a_telegram_export(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(BadInput, match="not a Telegram export"):
        parse(path)


def test_invalid_utf8_is_bad_input(tmp_path: Path) -> None:
    path = write_chat(tmp_path / "result.json", [])
    path.write_bytes(path.read_bytes().replace(b"Pat", b"P\xfft"))
    with pytest.raises(BadInput):
        parse(path)


# --- memory ------------------------------------------------------------------------------------


MEMORY_CEILING = 2_000_000
"""Peak traced bytes while importing; the same for 6 MB as for 50 MB, since nothing accumulates."""


def write_large_export(path: Path, target_bytes: int, chats: int = 8) -> int:
    """A full-account export of about `target_bytes`, written a message at a time."""
    count = 0
    per_chat = target_bytes // chats
    with path.open("w", encoding="utf-8") as out:
        out.write('{"about": "Telegram", "personal_information": {"user_id": 1}, ')
        out.write('"chats": {"about": "", "list": [')
        for chat in range(chats):
            out.write(("," if chat else "") + f'{{"name": "Chat {chat}", "type": ')
            out.write(f'"private_supergroup", "id": {1000 + chat}, "messages": [')
            start = out.tell()
            while out.tell() - start < per_chat:
                count += 1
                message = {
                    "id": count,
                    "type": "message",
                    "date": "2024-03-01T11:00:00",
                    "date_unixtime": str(1709287200 + count),
                    "from": "Alice",
                    "from_id": f"user{count % 3}",
                    "text": ["Hello number ", {"type": "bold", "text": str(count)}, " and on"],
                    "text_entities": [{"type": "plain", "text": "Hello number "}],
                }
                out.write(("," if out.tell() > start else "") + json.dumps(message))
            out.write("]}")
        out.write(']}, "left_chats": {"about": "", "list": []}}')
    return count


def test_medium_export_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    written = write_large_export(path, 6_000_000)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = sum(1 for _ in TelegramImporter().parse(SourceFile(path), ParseOptions()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == written
    assert peak < min(size / 3, MEMORY_CEILING)
