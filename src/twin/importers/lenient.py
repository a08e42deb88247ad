"""What an importer read leniently: lines it interpreted, and lines it kept as text.

Real exports have odd lines (a midnight written ``00:08 a. m.``, a header in another
layout), and one odd line must never cost the whole file. An importer reads such a line the
most plausible way and says so here; `twin import` and `twin preview --stats` report it.

The report travels by context rather than through the `Importer` protocol, so importers that
have nothing to report need no change::

    with reading() as report:
        messages = list(importer.parse(source, options))
    print(report.lines())
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class LenientReport:
    """Counts of what was read leniently in one import or preview."""

    interpreted: Counter[str] = field(default_factory=Counter)
    """How many lines were read in each lenient way, by a short description of the way."""
    kept_as_text: int = 0
    """Lines that are not message headers, kept as further text of the message before."""
    header_like_kept: int = 0
    """Of those, lines that look like a header of some other layout (worth a look)."""
    examples: dict[str, str] = field(default_factory=dict)
    """The first text read in each lenient way, to show the user."""

    def note(self, how: str, count: int = 1, example: str | None = None) -> None:
        """Record `count` lines read in the way `how` describes; `example` is one such text."""
        self.interpreted[how] += count
        if example is not None:
            self.examples.setdefault(how, example)

    @property
    def total_interpreted(self) -> int:
        return self.interpreted.total()

    def lines(self) -> list[str]:
        """The report as short sentences, most frequent first; empty when nothing was odd."""
        out = []
        for how, count in self.interpreted.most_common():
            shown = self.examples.get(how, "").replace("\u00a0", " ").replace("\u202f", " ")
            example = f" (such as “{shown}”)" if how in self.examples else ""
            out.append(f"{count:,} {_lines(count)}: {how}{example}")
        if self.kept_as_text:
            looked = (
                f" ({self.header_like_kept:,} of them look like a header in another layout)"
                if self.header_like_kept
                else ""
            )
            out.append(
                f"{self.kept_as_text:,} {_lines(self.kept_as_text)} kept as text of the message "
                f"before{looked}"
            )
        return out


def _lines(count: int) -> str:
    return "line" if count == 1 else "lines"


_current: ContextVar[LenientReport | None] = ContextVar("twin_lenient_report", default=None)


@contextmanager
def reading() -> Iterator[LenientReport]:
    """Collect what importers read leniently while the block runs (parse inside it)."""
    report = LenientReport()
    token = _current.set(report)
    try:
        yield report
    finally:
        _current.reset(token)


def current() -> LenientReport:
    """The report being collected, or a throwaway one when nobody is listening."""
    report = _current.get()
    return report if report is not None else LenientReport()
