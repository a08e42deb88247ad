"""`twin preview --stats` and `twin import` say what was read leniently."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from twin.home import Home

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_preview_stats_counts_messages_and_lenient_lines(twin: Callable[..., Result]) -> None:
    result = twin("preview", "--stats", str(FIXTURES / "whatsapp" / "lenient_midnight_00_es.txt"))
    assert "4 messages (4 text) in 1 conversation, from 2 senders (whatsapp)" in result.output
    assert "Read leniently:" in result.output
    assert "2 lines: hour 00 in a 12-hour clock" in result.output
    assert "“00:08 a. m.”" in result.output


def test_preview_stats_of_a_regular_file_reports_nothing_lenient(
    twin: Callable[..., Result],
) -> None:
    result = twin("preview", "--stats", str(FIXTURES / "whatsapp" / "WhatsApp Chat with Alice.txt"))
    assert "messages" in result.output
    assert "Read leniently" not in result.output or "kept as text" in result.output


def test_import_reports_lines_kept_as_text(
    twin: Callable[..., Result], vault_home: Home
) -> None:
    result = twin(
        "import", "--me", "Ana", str(FIXTURES / "whatsapp" / "lenient_leading_lines.txt")
    )
    assert "3 new" in result.output
    assert "1 line: before the first message header, skipped" in result.output
    assert "1 line kept as text of the message before" in result.output
