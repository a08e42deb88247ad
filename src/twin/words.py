"""Words shown to the person: counted nouns with the right plural, and plain rows for pipes."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import TextIO

MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
"""English month names, in order, lower case."""
MONTH_ABBREVIATIONS = (
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
)  # fmt: skip
"""Their usual short forms ("may" has none)."""

IRREGULAR = {"person": "people", "child": "children", "analysis": "analyses"}
"""Nouns whose plural no rule below gives."""


def plural_of(noun: str) -> str:
    """The plural of an English noun: "alias" -> "aliases", "entry" -> "entries"."""
    if noun in IRREGULAR:
        return IRREGULAR[noun]
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    return noun + "s"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`count` and the noun, singular for exactly one: ``plural(1, "conversation")``.

    `many` gives the plural where the noun is a phrase ("journal entry" -> "journal entries"
    works by rule; pass `many` for anything the rules get wrong).
    """
    word = noun if count == 1 else (many or _phrase_plural(noun))
    return f"{count:,} {word}"


def _phrase_plural(noun: str) -> str:
    head, _, last = noun.rpartition(" ")
    return f"{head} {plural_of(last)}" if head else plural_of(last)


def is_pipe(stream: TextIO | None = None) -> bool:
    """Whether output goes somewhere other than a terminal (a pipe, a file)."""
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty())


def plain_rows(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A table as tab-separated lines, header first, never cut: for pipes and scripts."""

    def cell(value: object) -> str:
        return " ".join(str(value).split())  # a tab or newline inside a cell would split it

    lines = ["\t".join(cell(name) for name in header)]
    lines += ["\t".join(cell(value) for value in row) for row in rows]
    return "\n".join(lines)


_WIKI_LINK = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")
_MARKUP = re.compile(r"\*\*|__|`")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#+|>)(?:\s+|$)")


def plain_text(text: str) -> str:
    """A note's line as someone would say it: no list mark, heading mark, bold, code marks or
    wiki-link brackets (``[[Page|shown]]`` gives "shown"), spaces collapsed.

    A list mark needs a space after it, so "13.4 kg" keeps its number.
    """
    text = _MARKUP.sub("", _WIKI_LINK.sub(r"\1", text))
    return " ".join(_LIST_MARK.sub("", text).split())
