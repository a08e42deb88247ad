"""Slack workspace exports: channels, DMs, group DMs, mentions, subtypes, threads, files."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.slack import SlackImporter
from twin.records import Kind, Message

EXPORT = Path(__file__).parent.parent / "fixtures" / "slack" / "export"


def parse(path: Path) -> list[Message]:
    return list(SlackImporter().parse(SourceFile(path), ParseOptions()))


def zipped(tmp_path: Path) -> Path:
    archive = tmp_path / "Acme Slack export Mar 1 2024 - Mar 3 2024.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(EXPORT.rglob("*.json")):
            out.write(path, path.relative_to(EXPORT).as_posix())
    return archive


def test_every_conversation_and_message() -> None:
    messages = parse(EXPORT)
    assert len(messages) == 10
    titles = {m.conversation for m in messages}
    assert titles == {"#general", "Ann Lee, Sam Rivera", "Ann Lee, Sam Rivera, bo.park"}
    dm = [m for m in messages if m.conversation_id == "D01AS"]
    assert [m.sender for m in dm] == ["Ann Lee", "Sam Rivera"] and dm[0].is_group is False


def test_mentions_links_and_entities_read_as_people_read_them() -> None:
    welcome = parse(EXPORT)[1]
    assert welcome.text == "Welcome @Sam Rivera! See #general & the handbook @here"


def test_subtypes_are_system_deleted_bot_and_media() -> None:
    general = [m for m in parse(EXPORT) if m.conversation_id == "C01GEN"]
    join, _, _, bot, photo, tombstone, topic = general
    assert join.kind is Kind.SYSTEM and join.sender is None
    assert join.text == "@Sam Rivera has joined the channel"
    assert topic.kind is Kind.SYSTEM
    assert bot.sender == "CI Bot" and bot.kind is Kind.TEXT
    assert photo.kind is Kind.MEDIA and "IMG_1234.jpg" in photo.text
    assert photo.sender == "bo.park"  # deleted user: the name they last displayed
    assert tombstone.kind is Kind.DELETED


def test_threads_timestamps_and_edits() -> None:
    _, root, reply, *_ = parse(EXPORT)
    assert root.message_id == "1709287260.000200" and root.reply_to is None
    assert reply.reply_to == root.message_id and reply.edited is True
    assert root.sent_at == datetime(2024, 3, 1, 10, 1, 0, 200, tzinfo=UTC)


def test_zip_reads_the_same_and_is_detected(tmp_path: Path) -> None:
    archive = zipped(tmp_path)
    assert SlackImporter().detect(SourceFile(archive))
    assert SlackImporter().detect(SourceFile(EXPORT))
    assert parse(archive) == parse(EXPORT)
    assert not SlackImporter().detect(SourceFile(EXPORT / "users.json"))


def test_broken_day_file_names_the_member(tmp_path: Path) -> None:
    archive = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(EXPORT / "users.json", "users.json")
        out.write(EXPORT / "channels.json", "channels.json")
        out.writestr("general/2024-03-01.json", '[{"type": "message", "ts": ')
    with pytest.raises(BadInput, match=r"general/2024-03-01\.json: invalid JSON"):
        parse(archive)
