"""Cutting notes into passages that keep the headings they sit under.

A passage is a few paragraphs of one section, at most `MAX_WORDS` words (all-MiniLM-L6-v2 reads
256 word pieces, about 180 English words, and shorter passages recall more precisely). Each
passage carries its heading path, e.g. ``Trip to Norway > Day 2``, which is indexed and shown.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_WORDS = 120
"""Longest passage, in words."""

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
FENCE = re.compile(r"^\s*(```|~~~)")
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One passage of a note and the headings above it."""

    heading: str
    text: str

    @property
    def sha256(self) -> str:
        """Identity of the passage: an unchanged passage keeps its vector on re-index."""
        return hashlib.sha256(f"{self.heading}\x1f{self.text}".encode()).hexdigest()


def _words(text: str) -> int:
    return len(text.split())


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph as pieces of at most `limit` words, cut between sentences where possible."""
    if _words(paragraph) <= limit:
        return [paragraph]
    pieces: list[str] = []
    current: list[str] = []
    for sentence in SENTENCE_END.split(paragraph):
        words = sentence.split()
        while len(words) > limit:  # one very long sentence: cut it by words
            if current:
                pieces.append(" ".join(current))
                current = []
            pieces.append(" ".join(words[:limit]))
            words = words[limit:]
        if current and len(current) + len(words) > limit:
            pieces.append(" ".join(current))
            current = []
        current.extend(words)
    if current:
        pieces.append(" ".join(current))
    return pieces


def _pack(paragraphs: list[str], limit: int) -> list[str]:
    """Join whole paragraphs into passages of at most `limit` words."""
    passages: list[str] = []
    current: list[str] = []
    size = 0
    for paragraph in paragraphs:
        for piece in _pieces(paragraph, limit):
            words = _words(piece)
            if current and size + words > limit:
                passages.append("\n\n".join(current))
                current, size = [], 0
            current.append(piece)
            size += words
    if current:
        passages.append("\n\n".join(current))
    return passages


def _paragraphs(lines: list[str]) -> list[str]:
    text = "\n".join(lines)
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def chunk_markdown(text: str, title: str = "", max_words: int = MAX_WORDS) -> list[Chunk]:
    """Cut Markdown (or plain text) into passages under their heading paths.

    ATX headings (``#`` … ``######``) open sections; headings inside code fences don't. The
    note's `title` starts every heading path unless the first heading repeats it.
    """
    stack: list[str] = []
    sections: list[tuple[list[str], list[str]]] = [([], [])]
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        if match:
            level = len(match.group(1))
            stack = [*stack[: level - 1], match.group(2).strip()]
            sections.append((list(stack), []))
        else:
            sections[-1][1].append(line)
    chunks: list[Chunk] = []
    for headings, lines in sections:
        path = [h for h in headings if h]
        if title and (not path or path[0].casefold() != title.casefold()):
            path = [title, *path]
        heading = " > ".join(path)
        chunks.extend(Chunk(heading, passage) for passage in _pack(_paragraphs(lines), max_words))
    return chunks


def embedding_text(chunk: Chunk) -> str:
    """What is embedded for a passage: its heading path gives the model the context."""
    return f"{chunk.heading}\n{chunk.text}" if chunk.heading else chunk.text
