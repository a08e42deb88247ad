"""DiscordChatExporter JSON: server channels, DMs and group DMs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers import detect_importer
from twin.importers.base import ParseOptions
from twin.importers.discord import DiscordImporter
from twin.importers.files import SourceFile
from twin.records import Kind, Message
from twin.vault import Vault
from twin.vault.collect import import_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "discord"
GUILD = FIXTURES / "Band Practice - Text Channels - general [910000000000000001].json"
DM = FIXTURES / "Direct Messages - maya.r [930000000000000001].json"
GROUP_DM = FIXTURES / "Direct Messages - Group - Trip planning [940000000000000001].json"
PLUS_ONE = timezone(timedelta(hours=1))


def parse(path: Path) -> list[Message]:
    source = SourceFile(path)
    try:
        return list(DiscordImporter().parse(source, ParseOptions()))
    finally:
        source.close()


def test_guild_channel() -> None:
    messages = parse(GUILD)
    assert [(m.sender, m.kind, m.text) for m in messages] == [
        (None, Kind.SYSTEM, "maya.r: guild member join"),
        ("Sam", Kind.TEXT, "Rehearsal at 8 tonight?"),
        ("maya.r", Kind.TEXT, "@Sam yes, bring the amp"),
        ("Sam", Kind.MEDIA, "<attachment: setlist.pdf>"),
        ("maya.r", Kind.MEDIA, "<sticker: Wumpus Wave>"),
        ("Sam", Kind.MEDIA, "<embed: Venue map>"),
        (None, Kind.SYSTEM, "Pinned a message."),
        ("setlist-bot", Kind.TEXT, "Reminder: rehearsal at 20:00"),
    ]
    assert messages[1].sent_at == datetime(2023, 1, 1, 10, 1, 0, 500000, tzinfo=PLUS_ONE)
    assert messages[1].edited and not messages[2].edited
    assert messages[2].reply_to == messages[1].message_id == "1000000000000000002"
    assert messages[1].sender_id == "111111111111111111"
    assert {m.conversation for m in messages} == {"Band Practice #general"}
    assert {m.conversation_id for m in messages} == {"910000000000000001"}
    assert {m.is_group for m in messages} == {True}


def test_direct_messages_and_calls() -> None:
    call, thanks = parse(DM)
    assert (call.kind, call.text, call.sender) == (Kind.CALL, "Call (12 min)", "maya.r")
    assert call.sent_at == datetime(2023, 2, 28, 21, 0, tzinfo=UTC)
    assert thanks.text == "thanks for the call 🙂"
    assert call.conversation == "maya.r" and call.is_group is False


def test_group_dm_is_a_group() -> None:
    added, hello = parse(GROUP_DM)
    assert (added.kind, added.sender) == (Kind.SYSTEM, None)
    assert hello.is_group is True and hello.conversation == "Trip planning"
    assert hello.sent_at.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize("path", [GUILD, DM, GROUP_DM])
def test_detected_from_the_file_alone(path: Path) -> None:
    assert detect_importer(SourceFile(path)).name == "discord"


def test_reimport_adds_nothing(vault: Vault) -> None:
    first = import_file(vault, GUILD, me="Sam")
    again = import_file(vault, GUILD, me="Sam")
    assert (first.added, again.added) == (8, 0)


def test_truncated_file_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_bytes(GUILD.read_bytes()[:-300])
    with pytest.raises(BadInput, match="truncated or invalid JSON"):
        parse(path)
