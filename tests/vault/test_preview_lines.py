"""`twin preview` writes each record's public shape, one JSON object a line, for every source."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.vault.helpers import ANN
from twin.importers.base import ParseOptions
from twin.vault.collect import preview, write_preview

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize(
    "path",
    [
        ANN,
        FIXTURES / "whatsapp" / "WhatsApp Chat with Alice.txt",
        FIXTURES / "telegram" / "account.json",
        FIXTURES / "telegram" / "escapes.json",
        FIXTURES / "discord" / "Direct Messages - maya.r [930000000000000001].json",
        FIXTURES / "activity" / "aw-buckets-export.json",
        FIXTURES / "chatgpt" / "conversations.json",  # times with microseconds, in UTC
        FIXTURES / "sms" / "sms-20240302101500.xml",
    ],
    ids=lambda path: path.name,
)
def test_each_line_is_the_records_preview_shape(path: Path) -> None:
    out = io.BytesIO()
    count = write_preview(path, None, ParseOptions(), out)
    lines = out.getvalue().decode("utf-8").splitlines()
    expected = [record.preview() for record in preview(path, None, ParseOptions())]
    assert count == len(lines) == len(expected) > 0
    assert [json.loads(line) for line in lines] == expected
    # Keys in the documented order.
    keys = [list(json.loads(line)) for line in lines]
    assert keys == [list(shape) for shape in expected]


def test_text_is_written_as_utf8_not_escaped(tmp_path: Path) -> None:
    chat = tmp_path / "WhatsApp Chat with Inês.txt"
    chat.write_text(
        "15/01/2024, 09:00 - Inês: olá 👋 até já\n15/01/2024, 09:01 - Sam: ok\n",
        encoding="utf-8",
    )
    out = io.BytesIO()
    write_preview(chat, None, ParseOptions(), out)
    first = out.getvalue().splitlines()[0].decode("utf-8")
    assert "olá 👋 até já" in first and "\\u" not in first
