"""The twin's reply: recall, one prompt, generation, and the guards, streamed by sentence.

Text reaches the caller one guarded sentence at a time: each sentence is checked as soon as
the model finishes it, so streaming never shows what the guards would hold back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from twin.chat.engine import Engine, GenerationSettings
from twin.chat.guards import Guards, Verdict
from twin.chat.persona import Persona, load_persona
from twin.chat.prompt import Message, build_messages
from twin.memory.embeddings import Embeds
from twin.memory.recall import Passage, recall
from twin.vault.vault import Vault

RECALL_LIMIT = 4
"""Passages put into the memory slot at most."""
RELEVANCE = 0.3
"""Cosine similarity from which a recalled passage counts as relevant (keyword hits always do)."""
MAX_SENTENCE_WORDS = 60
"""A run-on without punctuation is checked in pieces of this many words."""
BOUNDARY = re.compile(r"[.!?…][\"')\]]*\s+|\n+")


def relevant(passages: Sequence[Passage]) -> list[Passage]:
    """The passages that have something to do with the question."""
    return [p for p in passages if p.keyword or p.similarity >= RELEVANCE]


def recall_query(conversation: Sequence[Message]) -> str:
    """What to recall for: the last thing the user said."""
    for turn in reversed(conversation):
        if turn.get("role") == "user" and str(turn.get("content") or "").strip():
            return str(turn["content"])
    return ""


@dataclass
class Reply:
    """One reply of the twin, filled in as it streams."""

    passages: list[Passage]
    model: str
    text: str = ""
    raw: str = ""
    """What the model generated, before the guards."""
    verdicts: list[Verdict] = field(default_factory=list)
    finished: bool = False

    def describe(self, *, hide_private: bool = True) -> dict[str, Any]:
        """The JSON shape of `twin ask --json`: reply, passages used, guard verdicts."""
        return {
            "reply": self.text,
            "model": self.model,
            "passages": [p.describe(hide_private=hide_private) for p in self.passages],
            "guards": [v.describe() for v in self.verdicts],
        }


class Twin:
    """The twin: a model, the vault to recall from, and the persona."""

    def __init__(
        self,
        vault: Vault,
        engine: Engine,
        embedder: Embeds,
        *,
        persona: Persona | None = None,
        settings: GenerationSettings | None = None,
    ) -> None:
        self.vault = vault
        self.engine = engine
        self.embedder = embedder
        self.persona = persona if persona is not None else load_persona(vault)
        self.settings = settings or GenerationSettings()

    def private_texts(self) -> list[str]:
        return [
            text for (text,) in self.vault.db.execute("SELECT text FROM notes WHERE private = 1")
        ]

    def respond(
        self, conversation: Sequence[Message], settings: GenerationSettings | None = None
    ) -> tuple[Reply, Iterator[str]]:
        """The reply record and an iterator of its guarded text; the record is complete once
        the iterator is exhausted."""
        query = recall_query(conversation)
        passages = relevant(recall(self.vault, self.embedder, query, RECALL_LIMIT)) if query else []
        reply = Reply(passages, self.engine.name)
        guards = Guards(self.embedder, passages, self.persona, self.private_texts())
        messages = build_messages(self.persona, passages, conversation)
        pieces = self.engine.stream(messages, settings or self.settings)
        return reply, self._guarded(reply, guards, pieces)

    def ask(
        self, conversation: Sequence[Message], settings: GenerationSettings | None = None
    ) -> Reply:
        """One whole reply."""
        reply, pieces = self.respond(conversation, settings)
        for _ in pieces:
            pass
        return reply

    def _guarded(self, reply: Reply, guards: Guards, pieces: Iterator[str]) -> Iterator[str]:
        buffer = ""

        def emit(sentence: str) -> Iterator[str]:
            sentence = sentence.strip()
            if not sentence:
                return
            allowed, verdicts = guards.check(sentence)
            reply.verdicts.extend(verdicts)
            if allowed:
                piece = (" " if reply.text else "") + sentence
                reply.text += piece
                yield piece

        for piece in pieces:
            reply.raw += piece
            buffer += piece
            while True:
                match = BOUNDARY.search(buffer)
                if match is None:
                    if len(buffer.split()) > MAX_SENTENCE_WORDS:
                        head, _, buffer = buffer.rpartition(" ")
                        yield from emit(head)
                    break
                yield from emit(buffer[: match.end()])
                buffer = buffer[match.end() :]
        yield from emit(buffer)
        closing = guards.closing()
        if closing or not reply.text:
            # A kept sentence the model left unfinished still ends before the abstention.
            kept = reply.text.rstrip()
            end = "." if kept and kept[-1] not in ".!?…" else ""
            piece = (f"{end} " if kept else "") + (closing or "I don't remember.")
            reply.text += piece
            yield piece
        reply.finished = True
