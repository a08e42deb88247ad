"""Telegram files from older or third-party exporters: no ids, only ``date_unixtime``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.lenient import reading
from twin.importers.telegram import TelegramImporter
from twin.records import Kind
from twin.vault import Vault
from twin.vault.collect import import_file

FIXTURE = Path(__file__).parent.parent / "fixtures" / "telegram" / "no_ids_unixtime_only.json"


def test_messages_without_ids_and_with_only_unixtime_are_read() -> None:
    source = SourceFile(FIXTURE)
    assert TelegramImporter().detect(source)
    with reading() as report:
        messages = list(TelegramImporter().parse(source, ParseOptions()))
    assert [(m.sender, m.sent_at, m.kind, m.text, m.message_id) for m in messages] == [
        ("Maya Rivera", datetime(2023, 1, 1, tzinfo=UTC), Kind.TEXT, "happy new year", None),
        ("Sam", datetime(2023, 1, 1, 0, 1, tzinfo=UTC), Kind.TEXT, "you too !!", None),
        ("Sam", datetime(2023, 1, 1, 0, 1, tzinfo=UTC), Kind.TEXT, "you too !!", None),
        ("Maya Rivera", datetime(2023, 1, 1, 0, 2, tzinfo=UTC), Kind.MEDIA, "<photo>", None),
    ]
    assert report.interpreted["message with no id: identity from its content and time"] == 4
    assert report.interpreted["message with no date skipped"] == 1


def test_reimporting_a_file_without_ids_adds_nothing(vault: Vault) -> None:
    first = import_file(vault, FIXTURE, me="Sam")
    again = import_file(vault, FIXTURE, me="Sam")
    assert first.added == 4  # the repeated message is kept: the same words twice in a minute
    assert again.added == 0
    assert again.already_there == 4
