"""Guards run on each sentence of a reply before anyone sees it.

**Grounding.** A sentence is a *claim about the user* when it is not a question nor an
abstention and either speaks in the first person (I, my, we…) with at least one content word
beyond small talk ("I'd love to!" is not a claim; "I have a brother" is), or commits to a
number: a date, a time, an age, an amount ("the concert is on the 18th at 12:00" is a claim
about the user's life even without "I"). A claim is *supported* when
one source, a recalled passage or the persona, both

- says something close: cosine similarity of all-MiniLM-L6-v2 embeddings between the claim
  and one of the source's sentences of at least `SUPPORT_SIMILARITY` (0.6), or at least
  `SUPPORT_OVERLAP` (60 %) of the claim's content words found in the source; and
- contains every specific the claim names: each number and each capitalised name.

An unsupported claim is removed; a reply left with no claim when it had some abstains with
"I don't remember." rather than inventing.

**Private leak.** No run of `LEAK_WORDS` (8) or more consecutive words of a ``--private``
entry leaves, even across a sentence boundary: such a sentence is removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from twin.chat.persona import Persona
from twin.memory.embeddings import Embeds
from twin.memory.recall import STOPWORDS, Passage

SUPPORT_SIMILARITY = 0.6
"""Cosine similarity from which a source sentence supports a claim."""
SUPPORT_OVERLAP = 0.6
"""Share of a claim's content words that, found in one source, support it."""
LEAK_WORDS = 8
"""Consecutive words of a private entry that may never appear in a reply."""
ABSTAIN = "I don't remember."
KEEP_PRIVATE = "I'd rather keep that private."

_FIRST_PERSON_TEXT = "i i'm im i've ive i'd i'll me my mine myself we we're we've our ours us"
FIRST_PERSON = frozenset(_FIRST_PERSON_TEXT.split())
ABSTENTIONS = re.compile(
    r"\b(i\s+(do\s*n[o']?t|can'?t|cannot|don't)\s+(remember|recall|know)|i'?m\s+not\s+sure|"
    r"i\s+have\s+no\s+idea|no\s+idea|i\s+forget|i'?d\s+rather\s+keep)",
    re.I,
)
_SMALL_TALK_TEXT = (
    "think thought guess feel felt like love glad happy sorry sure well yes yeah no okay ok hi "
    "hello hey thanks thank maybe really want hope help chat talk ask asked hear see meet tell "
    "share answer say said mean know remember good great fine bad nice wish wonder right let "
    "would could should might must can will shall get got go going come doing done something "
    "anything everything nothing much lot today now time"
)
SMALL_TALK = frozenset(_SMALL_TALK_TEXT.split())
WORD = re.compile(r"[\w']+")
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z'-]+")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
SENTENCE = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")


def words(text: str) -> list[str]:
    return [w.strip("'").casefold() for w in WORD.findall(text) if w.strip("'")]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {
        _stem(w)
        for w in words(text)
        if w not in STOPWORDS and w not in SMALL_TALK and w not in FIRST_PERSON and len(w) > 1
    }


def specifics(text: str) -> set[str]:
    """Numbers and capitalised names (not the first word, not "I") a claim commits to."""
    names = {m.group(0).casefold() for m in NAME.finditer(text.strip())}
    names -= {"i", "i'm", "i've", "i'd", "i'll"}
    return names | set(NUMBER.findall(text))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(text) if s and s.strip()]


def is_claim_about_user(sentence: str) -> bool:
    """Not a question nor an abstention; first person with more than small talk, or a number."""
    found = words(sentence)
    if not found or sentence.rstrip().endswith("?") or ABSTENTIONS.search(sentence):
        return False
    if NUMBER.search(sentence):
        return True
    if not FIRST_PERSON.intersection(found):
        return False
    return bool(content_words(sentence))


@dataclass
class Verdict:
    """What a guard decided about one sentence of a reply."""

    guard: str
    """``grounding`` or ``leak``."""
    sentence: str
    kept: bool
    reason: str
    source: str | None = None
    """The supporting (or leaked) source, in words."""
    similarity: float | None = None

    def describe(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Source:
    label: str
    text: str
    sentences: list[str]
    words: set[str]


class Guards:
    """Checks one reply, sentence by sentence, against what the twin may say."""

    def __init__(
        self,
        embedder: Embeds,
        passages: Sequence[Passage],
        persona: Persona,
        private_texts: Iterable[str],
        *,
        similarity: float = SUPPORT_SIMILARITY,
        overlap: float = SUPPORT_OVERLAP,
        leak_words: int = LEAK_WORDS,
    ) -> None:
        self.embedder = embedder
        self.similarity = similarity
        self.overlap = overlap
        self.leak_words = leak_words
        self.sources: list[_Source] = []
        persona_text = "\n".join([persona.name, persona.bio, *persona.facts]).strip()
        if persona_text:
            self._add("persona", persona_text)
        for passage in passages:
            self._add(f"{passage.source}, {passage.date[:10]}", passage.text)
        self._vectors = self._embed_sources()
        self.private_ngrams = {gram for text in private_texts for gram in self._ngrams(words(text))}
        self._tail: list[str] = []
        self.claims = 0
        self.claims_kept = 0
        self.leaks = 0

    def _add(self, label: str, text: str) -> None:
        sentences = split_sentences(text) or [text]
        self.sources.append(_Source(label, text, sentences, content_words(text)))

    def _embed_sources(self) -> list[np.ndarray]:
        flat = [s for source in self.sources for s in source.sentences]
        vectors = self.embedder.embed(flat) if flat else np.zeros((0, 1), dtype=np.float32)
        out, start = [], 0
        for source in self.sources:
            out.append(vectors[start : start + len(source.sentences)])
            start += len(source.sentences)
        return out

    def _ngrams(self, tokens: list[str]) -> set[tuple[str, ...]]:
        n = self.leak_words
        return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}

    def leaks_private(self, sentence: str) -> bool:
        """Whether the sentence, with the end of what was already said, quotes a private entry."""
        new = words(sentence)
        if not self.private_ngrams or not new:
            return False
        window = self._tail + new
        start = max(0, len(self._tail) - self.leak_words + 1)
        return any(
            tuple(window[i : i + self.leak_words]) in self.private_ngrams
            for i in range(start, len(window) - self.leak_words + 1)
        )

    def support(self, claim: str) -> tuple[str | None, float]:
        """The source that supports the claim (None if none does) and the best similarity."""
        if not self.sources:
            return None, 0.0
        vector = self.embedder.embed([claim])[0]
        needed = specifics(claim)
        claim_words = content_words(claim)
        best: tuple[str | None, float] = (None, 0.0)
        top = 0.0
        for source, vectors in zip(self.sources, self._vectors, strict=True):
            similarity = float(np.max(vectors @ vector)) if len(vectors) else 0.0
            top = max(top, similarity)
            overlap = len(claim_words & source.words) / max(len(claim_words), 1)
            named = all(item in source.text.casefold() for item in needed)
            close = similarity >= self.similarity or overlap >= self.overlap
            if named and close and (best[0] is None or similarity > best[1]):
                best = (source.label, similarity)
        return (best[0], best[1]) if best[0] else (None, top)

    def check(self, sentence: str) -> tuple[bool, list[Verdict]]:
        """Whether the sentence may be said, and the guards' verdicts on it."""
        verdicts: list[Verdict] = []
        if self.leaks_private(sentence):
            self.leaks += 1
            verdicts.append(
                Verdict(
                    "leak", sentence, False, f"quotes {self.leak_words}+ words of a private entry"
                )
            )
            return False, verdicts
        if is_claim_about_user(sentence):
            self.claims += 1
            source, similarity = self.support(sentence)
            kept = source is not None
            self.claims_kept += kept
            verdicts.append(
                Verdict(
                    "grounding",
                    sentence,
                    kept,
                    "supported" if kept else "no recalled passage or persona fact supports it",
                    source,
                    round(similarity, 4),
                )
            )
            if not kept:
                return False, verdicts
        self._tail = (self._tail + words(sentence))[-(self.leak_words - 1) :]
        return True, verdicts

    def closing(self) -> str | None:
        """What to add at the end: an abstention when every claim was held back."""
        if self.leaks and self.claims_kept == 0:
            return KEEP_PRIVATE
        if self.claims and self.claims_kept == 0:
            return ABSTAIN
        return None
