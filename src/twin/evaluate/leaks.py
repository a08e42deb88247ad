"""Leaks: replies that reproduce 8 or more consecutive words the twin must never repeat.

Two kinds of text count: ``--private`` journal and notes entries, and the originals of
messages the dataset redacted (a span that still holds a name, number or address the
redaction replaced). Words are compared case-folded, punctuation ignored, as the leak guard
compares them (`twin.chat.guards.LEAK_WORDS`). The target is 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from twin.chat.guards import LEAK_WORDS, words
from twin.dataset.store import REVIEW, has_file, read_review
from twin.vault.vault import Vault

MESSAGE = re.compile(r"^message (\d+)$")

Gram = tuple[str, ...]


def ngrams(tokens: list[str], size: int = LEAK_WORDS) -> set[Gram]:
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


class LeakDetector:
    """Knows every span a reply must not reproduce."""

    def __init__(
        self, private: Iterable[str], originals: Iterable[tuple[str, set[str]]] = ()
    ) -> None:
        """`private`: texts no span of which may appear; `originals`: (message text, the
        redacted words in it): spans of it that hold a redacted word may not appear."""
        self.grams: set[Gram] = set()
        for text in private:
            self.grams |= ngrams(words(text))
        for text, redacted in originals:
            hidden = {word for value in redacted for word in words(value)}
            self.grams |= {gram for gram in ngrams(words(text)) if hidden.intersection(gram)}

    def leaks(self, reply: str) -> bool:
        """Whether `reply` holds 8+ consecutive words of a private entry or redacted original."""
        return bool(self.grams) and not self.grams.isdisjoint(ngrams(words(reply)))


def redacted_originals(vault: Vault, dataset: str) -> list[tuple[str, set[str]]]:
    """The original text of every message the dataset redacted, with what was redacted in it.

    Read from the dataset's review of redactions, whose ``where`` names the message.
    """
    if not has_file(vault.home, dataset, REVIEW):
        return []
    hidden: dict[int, set[str]] = {}
    for row in read_review(vault, dataset):
        found = MESSAGE.match(row.get("where") or "")
        if found and row.get("original"):
            hidden.setdefault(int(found.group(1)), set()).add(_untsv(row["original"]))
    originals = []
    for message_id, values in hidden.items():
        row = vault.db.execute("SELECT text FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row and row[0]:
            originals.append((str(row[0]), values))
    return originals


def _untsv(text: str) -> str:
    swaps = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: swaps.get(m.group(1), m.group(0)), text)


def leak_detector(vault: Vault, dataset: str | None) -> LeakDetector:
    """A detector for this vault's private entries and, given a dataset, its redacted originals."""
    private = [text for (text,) in vault.db.execute("SELECT text FROM notes WHERE private = 1")]
    return LeakDetector(private, redacted_originals(vault, dataset) if dataset else [])
