"""Messenger and Instagram "Download your information" JSON, classic and end-to-end encrypted."""

from __future__ import annotations

import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers import detect_importer
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.instagram import InstagramImporter
from twin.importers.messenger import MessengerImporter
from twin.importers.meta import fix_text
from twin.records import Kind, Message
from twin.vault import Vault
from twin.vault.collect import import_file

FIXTURES = Path(__file__).parent.parent / "fixtures"
MESSENGER = FIXTURES / "messenger" / "export"
THREAD = MESSENGER / "your_facebook_activity" / "messages" / "inbox" / "mayarivera_1234567890"
E2EE = FIXTURES / "messenger" / "e2ee" / "Maya Rivera_40.json"
INSTAGRAM = FIXTURES / "instagram" / "export"


def parse(
    path: Path, importer: MessengerImporter | InstagramImporter | None = None
) -> list[Message]:
    source = SourceFile(path)
    try:
        return list((importer or MessengerImporter()).parse(source, ParseOptions()))
    finally:
        source.close()


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(1672570800 + seconds, UTC)


def test_mojibake_is_repaired_and_right_text_is_kept() -> None:
    assert fix_text("Ol\u00c3\u00a1 \u00f0\u009f\u0098\u008a") == "Olá 😊"
    assert fix_text("café") == "café"
    assert fix_text("plain") == "plain"


def test_thread_parts_are_merged_in_time_order() -> None:
    messages = parse(THREAD)
    assert [(m.sender, m.sent_at, m.kind, m.text) for m in messages] == [
        ("Sam Ferreira", at(0), Kind.TEXT, "Olá Maya! Já chegaste? 😊"),
        ("Maya Rivera", at(60), Kind.TEXT, "Sim, cheguei agora"),
        ("Maya Rivera", at(120), Kind.MEDIA, "<photo>"),
        ("Sam Ferreira", at(180), Kind.DELETED, ""),
        ("Maya Rivera", at(240), Kind.MEDIA, "<link: https://example.org/menu>"),
        ("Sam Ferreira", at(300), Kind.TEXT, "Vou ver o menu: https://example.org/menu"),
        ("Maya Rivera", at(360), Kind.MEDIA, "<sticker>"),
        ("Sam Ferreira", at(420), Kind.MEDIA, "<audio>"),
        ("Maya Rivera", at(480), Kind.OTHER, "Sam reacted ❤ to your message "),
        ("Sam Ferreira", at(540), Kind.CALL, "The video chat ended."),
        ("Maya Rivera", at(600), Kind.TEXT, "café? já, às 3"),
        ("Sam Ferreira", at(600), Kind.TEXT, "ok"),
    ]
    assert {m.conversation for m in messages} == {"Maya Rivera"}
    assert {m.conversation_id for m in messages} == {"inbox/mayarivera_1234567890"}
    assert {m.is_group for m in messages} == {False}
    assert {m.from_me for m in messages} == {None}  # one thread alone doesn't say who you are


def test_whole_export_knows_the_owner_from_the_profile() -> None:
    messages = parse(MESSENGER)
    assert {m.conversation for m in messages} == {"Maya Rivera", "The Band"}
    mine = {m.sender for m in messages if m.from_me}
    assert mine == {"Sam Ferreira"}
    band = [m for m in messages if m.conversation == "The Band"]
    assert [(m.sender, m.kind) for m in band] == [
        (None, Kind.SYSTEM),
        (None, Kind.SYSTEM),
        ("Tiago Costa", Kind.TEXT),
        ("Sam Ferreira", Kind.TEXT),
        (None, Kind.SYSTEM),
    ]
    assert {m.is_group for m in band} == {True}


def test_e2ee_layout() -> None:
    messages = parse(E2EE)
    assert [(m.sender, m.kind, m.text) for m in messages] == [
        ("Sam Ferreira", Kind.TEXT, "Chegaste bem? 🚆"),
        ("Maya Rivera", Kind.MEDIA, "<photo>"),
        ("Maya Rivera", Kind.DELETED, ""),
        ("Sam Ferreira", Kind.TEXT, "https://example.org/trains"),
        ("Maya Rivera", Kind.OTHER, ""),
    ]
    assert messages[0].sent_at == datetime(2025, 5, 1, 4, 29, 51, 906000, tzinfo=UTC)
    assert messages[0].conversation == "Maya Rivera"


def test_instagram_export() -> None:
    messages = parse(INSTAGRAM, InstagramImporter())
    assert [(m.sender, m.kind, m.text) for m in messages] == [
        ("Joana Lima", Kind.TEXT, "Viste o reel? 😂"),
        ("sam.ferreira", Kind.MEDIA, "<link: https://www.instagram.com/reel/Cabc123/>"),
        ("Joana Lima", Kind.OTHER, "Reacted 😂 to your message"),
        ("sam.ferreira", Kind.OTHER, "Liked a message"),
        ("Joana Lima", Kind.MEDIA, "<photo>"),
        ("sam.ferreira", Kind.TEXT, "Até amanhã!"),
    ]
    assert {m.source for m in messages} == {"instagram"}


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (MESSENGER, "messenger"),
        (THREAD / "message_1.json", "messenger"),
        (E2EE, "messenger"),
        (INSTAGRAM, "instagram"),
        (
            INSTAGRAM
            / "your_instagram_activity/messages/inbox/joanalima_17841400000000000"
            / "message_1.json",
            "instagram",
        ),
    ],
)
def test_detected_from_the_file_alone(path: Path, name: str) -> None:
    assert detect_importer(SourceFile(path)).name == name


def test_zipped_export_is_read_in_place(tmp_path: Path) -> None:
    archive = tmp_path / "facebook-samferreira-2024.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in MESSENGER.rglob("*.json"):
            out.write(file, file.relative_to(MESSENGER).as_posix())
    assert detect_importer(SourceFile(archive)).name == "messenger"
    assert len(parse(archive)) == len(parse(MESSENGER))


def test_reimport_adds_nothing(vault: Vault) -> None:
    first = import_file(vault, MESSENGER)
    again = import_file(vault, MESSENGER)
    assert first.added == 17
    assert again.added == 0
    assert first.me == ["Sam Ferreira"]


def test_broken_part_is_bad_input_naming_it(tmp_path: Path) -> None:
    thread = tmp_path / "inbox" / "x_1"
    shutil.copytree(THREAD, thread)
    (thread / "message_1.json").write_text('{"participants": [], "messages": [', encoding="utf-8")
    with pytest.raises(BadInput, match="truncated or invalid JSON") as error:
        parse(tmp_path)
    assert error.value.path.endswith("message_1.json")
