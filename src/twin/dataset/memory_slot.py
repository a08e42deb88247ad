"""The memory slot in training examples (`twin dataset build --memory`; QA examples always).

At chat time the twin's system message is the persona, the passages recalled for the last
thing said to it, and the rule to say only what those support (`twin.persona.prompt`). In
training, an example gets that same layout, recalled the same way for the last thing said
before your reply, plus where the conversation took place, so that what the model sees in
training and at chat time match.

Training rows are short (192 tokens in the CPU preset), so the slot in training is *compact*:
the one passage recall ranks first (`SLOT_PASSAGES`), cut to its sentence or line that shares
most words with what was said (at most `SLOT_CHARS` characters). The layout is chat's own
(header, ``[1] date (source): text``, rule); only less is in it. An example gets the slot only
when the slot, your reply and the last turn before it fit `BuildOptions.memory_tokens`; the
others keep the plain persona line (`twin.dataset.examples`), and the card says how many have
it. Private entries are never put into training data; recalled passages are redacted like
everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from twin.memory.embeddings import Embeds, default_embedder
from twin.memory.recall import STOPWORDS, Passage, recall_for_prompt
from twin.persona.persona import load_persona
from twin.persona.prompt import system_message
from twin.vault.vault import Vault

SLOT_PASSAGES = 1
"""Passages in a training example's memory slot (chat shows more: its rows are longer)."""
SLOT_CHARS = 240
"""The passage's text in the slot is cut to this many characters, at a word."""
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in STOPWORDS and len(w) > 1}


def relevant_part(text: str, query: str, limit: int = SLOT_CHARS) -> str:
    """The line of `text` sharing most words with `query` (the first on a tie); a line longer
    than `limit` characters gives its best sentence, cut at a word if still too long."""
    wanted = _words(query)

    def best(pieces: list[str]) -> str:
        pieces = [" ".join(p.split()) for p in pieces if p and p.strip()]
        return max(pieces, key=lambda piece: len(wanted & _words(piece))) if pieces else ""

    found = best(text.splitlines())
    if len(found) > limit:
        found = best(_SENTENCES.split(found))
    if len(found) > limit:
        found = found[:limit].rsplit(" ", 1)[0] + " …"
    return found


class MemorySlot:
    """Makes each example's system message the way `twin chat` makes its own, compact."""

    def __init__(
        self,
        vault: Vault,
        me: str,
        redact: Callable[[str, str], str],
        embedder: Embeds | None = None,
        *,
        passages: int = SLOT_PASSAGES,
        chars: int = SLOT_CHARS,
    ) -> None:
        persona = load_persona(vault)
        self.persona = replace(
            persona,
            name=persona.name or me,
            bio=redact(persona.bio, "persona bio"),
            facts=[redact(fact, "persona fact") for fact in persona.facts],
        )
        self.vault = vault
        self.redact = redact
        self.embedder = embedder or default_embedder()
        self.passages_kept = passages
        self.chars = chars
        self._texts: dict[tuple[int, str], str] = {}

    def system(self, setting: str | None, query: str, focus: str | None = None) -> str:
        """The system message for an example whose last line before your reply is `query`."""
        return system_message(self.persona, self.passages(query, focus), setting)

    def passages(self, query: str, focus: str | None = None) -> list[Passage]:
        """What the slot holds for `query`: the top passages, each cut to its part most
        relevant to `focus` (the query itself by default), redacted."""
        return [
            replace(p, text=self._text(p.chunk_id, p.text)) for p in self.unredacted(query, focus)
        ]

    def unredacted(self, query: str, focus: str | None = None) -> list[Passage]:
        """The slot's passages for `query` before redaction (to check what they say)."""
        if not query.strip():
            return []
        found = recall_for_prompt(self.vault, self.embedder, query, include_private=False)
        return [
            replace(p, text=relevant_part(p.text, focus or query, self.chars))
            for p in found[: self.passages_kept]
        ]

    def _text(self, chunk_id: int, text: str) -> str:
        """The part redacted once, so the review lists each replacement once."""
        key = (chunk_id, text)
        if key not in self._texts:
            self._texts[key] = self.redact(text, f"recalled passage {chunk_id}")
        return self._texts[key]
