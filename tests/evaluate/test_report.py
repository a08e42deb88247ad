"""The HTML report: one valid document with every plot embedded, figures only."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

from twin.evaluate.report import compare_rows, write_report
from twin.evaluate.results import EvalResult, ModelFigures

VOID = {"meta", "img", "br", "hr", "link", "input"}


class Checker(HTMLParser):
    """Fails on a closing tag that doesn't match the open one; collects image sources."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs)["src"] or "")
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()


def result() -> EvalResult:
    profile = {"words": 4.0, "characters": 20.0, "lowercase": 0.9, "punctuation": 0.2}
    twin = ModelFigures(
        "twin", perplexity=12.5, style_distance=0.2, style_profile=profile, judged_as_you=0.6,
        facts_correct=0.5, facts_asked=4, abstained=1.0, unanswerable_asked=2, held_back=0.25,
        replies=10, facts_by_topic={"Pets": [2, 2], "journal": [0, 2]},
        style_by_topic={"with Ana on WhatsApp": {"replies": 4.0, "style_distance": 0.2}},
    )  # fmt: skip
    base = ModelFigures("base", perplexity=40.0, style_distance=0.5, judged_as_you=0.1, replies=10)
    return EvalResult(
        "20250101-000000-abcd", "chats", "2025-01-01T00:00:00+00:00", True, ceiling=0.8,
        reference_distance=0.1, person_profile=profile, twin=twin, base=base, held_out=4,
    )  # fmt: skip


def test_report_is_valid_html_with_the_plots_embedded(tmp_path: Path) -> None:
    path = write_report(result(), tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    checker = Checker()
    checker.feed(text)
    checker.close()
    assert checker.open == []
    assert len(checker.images) == 4  # perplexity, judge, style, facts by topic
    for source in checker.images:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    assert not re.search(r"(src|href)=\"https?:", text)  # opens offline
    assert "Answers well: Pets (2/2)" in text and "journal (0/2)" in text
    assert path.stat().st_mode & 0o077 == 0


def test_compare_puts_runs_side_by_side() -> None:
    first, second = result(), result()
    second.run_id = "later"
    assert second.twin is not None
    second.twin.perplexity = 9.0
    rows = {row[0]: row[1:] for row in compare_rows([first, second])}
    assert rows["perplexity"] == ["12.50", "9.00"]
    assert rows["sounds like you"] == ["75%", "75%"]
