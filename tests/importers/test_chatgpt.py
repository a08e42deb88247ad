"""ChatGPT's conversations.json: the kept branch only, the user's prompts as their words."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers import detect_importer
from twin.importers.base import ParseOptions
from twin.importers.chatgpt import ChatGPTImporter
from twin.importers.files import SourceFile
from twin.records import Kind, Message
from twin.vault import Vault
from twin.vault.collect import import_file

FIXTURE = Path(__file__).parent.parent / "fixtures" / "chatgpt" / "conversations.json"


def parse(path: Path) -> list[Message]:
    source = SourceFile(path)
    try:
        return list(ChatGPTImporter().parse(source, ParseOptions()))
    finally:
        source.close()


def test_current_branch_is_followed_and_hidden_nodes_skipped() -> None:
    messages = parse(FIXTURE)
    lisbon = [m for m in messages if m.conversation == "Lisbon weekend"]
    assert [(m.sender, m.kind, m.text, m.from_me) for m in lisbon] == [
        ("You", Kind.TEXT, "Plan a weekend in Lisbon for two", True),
        ("ChatGPT", Kind.TEXT, "Day one: Belém and pastéis", False),  # the regenerated answer
        ("You", Kind.TEXT, "Can you read this ticket?", True),
        ("ChatGPT", Kind.TEXT, "It is a train ticket to Sintra.", False),
        ("You", Kind.MEDIA, "<image>", True),
    ]
    assert lisbon[0].sent_at == datetime(2023, 11, 9, 21, 20, 1, 500000, tzinfo=UTC)
    assert lisbon[1].reply_to == lisbon[0].message_id == "m-u1"
    assert {m.conversation_id for m in lisbon} == {"6f0c9a1e-1111-4a2b-9c3d-000000000001"}
    assert {m.is_group for m in messages} == {False}


def test_a_message_without_a_time_takes_the_one_before() -> None:
    rhymes = [m for m in parse(FIXTURE) if m.conversation == "Rhymes"]
    assert [m.sent_at for m in rhymes] == [datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)] * 2


def test_detected_alone_and_in_its_zip(tmp_path: Path) -> None:
    assert detect_importer(SourceFile(FIXTURE)).name == "chatgpt"
    archive = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(FIXTURE, "conversations.json")
        out.writestr("user.json", '{"id": "user-1"}')
    assert detect_importer(SourceFile(archive)).name == "chatgpt"
    assert len(parse(archive)) == 7


def test_reimport_adds_nothing(vault: Vault) -> None:
    first = import_file(vault, FIXTURE)
    again = import_file(vault, FIXTURE)
    assert (first.added, again.added) == (7, 0)
    assert first.me == ["You"]


def test_truncated_file_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    path.write_bytes(FIXTURE.read_bytes()[:-200])
    with pytest.raises(BadInput, match="truncated or invalid JSON"):
        parse(path)
