"""Guards run on each sentence of a reply before anyone sees it.

**Grounding.** Only *facts about the person's life* need a source; everyday talk (greetings,
moods, opinions, plans, jokes, questions back) passes. A sentence states a life fact when it
is not a question nor an abstention and

- commits to a specific: a number (a date, a time, an age, an amount), a month, or a
  capitalised name (a person, a place, a thing), with or without "I"; or
- speaks in the first person (I, my, we…) about something in `LIFE_WORDS`: relatives and
  partners, pets, work and school, where one lives or comes from, events (a concert, a trip,
  a wedding…), instruments and sports one plays.

"I'm tired, let's get pizza" passes; "I'm going to a conference with my brother" is checked.
A life fact is *supported* when one source, a recalled passage or the persona,

- says something close: cosine similarity of all-MiniLM-L6-v2 embeddings between the claim
  and one of the source's sentences of at least `SUPPORT_SIMILARITY` (0.6), or at least
  `SUPPORT_OVERLAP` (60 %) of the claim's content words found in the source;
- contains every specific the claim names (so a date or name that differs from the notes, a
  contradiction, is not supported); and
- for each "my brother", "my sister"… the claim names, speaks of the person's own relative
  ("my brother" in a passage, or the relative in a persona fact), so "Bernardo's brother" in a
  note does not make "my brother is Bernardo" true.

**Fragments.** What is left must read as a whole reply: a kept sentence that is cut off
(ends on "the", "and", "I'm"…), a lone word that isn't a reply by itself, a word repeated, or
a sentence that opens with "and"/"but"/"also" right after a removed one, is removed too.

**Talk.** In reply to everyday talk (nothing asked for a fact), a sentence that abstains ("I
don't remember", "I'm not sure") answers nothing, and a sentence the twin already said in this
conversation is no new reply: both are held back, so the twin samples again (`twin.chat.twin`).
What the other person said in the conversation (`heard`) is a source there: "8 o'clock ok?"
lets "see you at 8" through; their "my sister" never makes one the person's.

**Private leak.** No run of `LEAK_WORDS` (8) or more consecutive words of a ``--private``
entry leaves, even across a sentence boundary: such a sentence is removed.

When every life fact of a reply was removed, or nothing is left, the twin abstains ("I don't
remember.", written the way the person writes: lower case for someone who writes so).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from twin.memory.embeddings import Embeds
from twin.memory.recall import STOPWORDS, Passage
from twin.persona.persona import Persona
from twin.persona.prompt import ABSTAIN
from twin.words import MONTH_ABBREVIATIONS, MONTH_NAMES

SUPPORT_SIMILARITY = 0.6
"""Cosine similarity from which a source sentence supports a claim."""
SUPPORT_OVERLAP = 0.6
"""Share of a claim's content words that, found in one source, support it."""
REPEAT_OVERLAP = 0.7
"""Share of the same words (of both sentences' words) from which a sentence repeats another."""
LEAK_WORDS = 8
"""Consecutive words of a private entry that may never appear in a reply."""
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
RELATIVES = frozenset(
    [
        "brother",
        "brothers",
        "sister",
        "sisters",
        "sibling",
        "siblings",
        "mom",
        "mum",
        "mother",
        "mãe",
        "dad",
        "father",
        "pai",
        "parents",
        "parent",
        "wife",
        "husband",
        "partner",
        "boyfriend",
        "girlfriend",
        "fiance",
        "fiancé",
        "fiancée",
        "son",
        "sons",
        "daughter",
        "daughters",
        "kid",
        "kids",
        "child",
        "children",
        "baby",
        "aunt",
        "uncle",
        "cousin",
        "cousins",
        "grandma",
        "grandmother",
        "grandpa",
        "grandfather",
        "grandparents",
        "niece",
        "nephew",
        "stepmother",
        "stepfather",
        "ex",
    ]
)
"""Relatives and partners: "my sister" must be the person's own sister in a source."""
_LIFE_TEXT = (
    # pets
    "dog dogs puppy cat cats kitten pet pets "
    # work and school
    "job work works worked working boss colleague colleagues coworker company office client "
    "clients consultant consultants project projects promotion promoted salary career "
    "interview hired fired shift shifts nurse doctor teacher engineer manager student school "
    "university college degree studied study studying class classes course lesson lessons "
    "exam exams graduated teach teaching "
    # where one lives or comes from
    "live lives lived living moved move moving born grew hometown house apartment flat "
    "neighbourhood neighborhood "
    # events
    "wedding married divorced engaged pregnant conference concert trip holiday holidays "
    "vacation party birthday funeral surgery appointment race marathon flight festival "
    "rehearsal rehearsals gig tournament match "
    # things one plays
    "cello violin viola piano guitar drums flute orchestra band choir football soccer tennis "
    "basketball"
)
LIFE_WORDS = frozenset(_LIFE_TEXT.split()) | RELATIVES
"""Words that, in a first-person sentence, make it a statement about the person's life."""
MONTHS = frozenset(MONTH_NAMES) | frozenset(MONTH_ABBREVIATIONS)
_REPLY_WORD_TEXT = (
    "hi hey hello yes yeah yep yup no nope nah ok okay sure thanks thank cool nice great "
    "lol haha ahah hahaha omg wow bye night morning congrats same true totally definitely "
    "absolutely bora exactly indeed please sorry oops ugh yay aww hmm"
)
REPLY_WORDS = frozenset(_REPLY_WORD_TEXT.split())
"""Words that are a whole reply by themselves ("Yes!", "Thanks.")."""
DANGLING = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "to",
        "of",
        "with",
        "for",
        "from",
        "my",
        "your",
        "our",
        "their",
        "his",
        "her",
        "its",
        "is",
        "are",
        "was",
        "were",
        "am",
        "be",
        "at",
        "in",
        "on",
        "because",
        "if",
        "when",
        "than",
        "as",
        "i",
        "i'm",
        "im",
        "i've",
        "i'd",
        "i'll",
        "we",
        "we're",
        "you're",
        "it's",
        "very",
        "just",
    ]
)
"""Words no finished sentence ends on. Not "then", "so", "that", "this", "really": chat ends
on them ("see you then", "I think so", "love that", "not really")."""
CONNECTIVES = frozenset(["and", "but", "also", "so", "which", "too", "plus", "then", "or"])
"""Openers that lean on the sentence before: after a removed one, they can't stand alone."""
WORD = re.compile(r"[\w']+")
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÀ-ÖØ-Þ](?:[^\W\d_]|['-])+")
"""A capitalised word, accented letters included ("Inês", "Tomás", "O'Brien")."""
NUMBER = re.compile(r"\d+(?:[.,:]\d+)?")
SENTENCE = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")
_MY_RELATIVE = re.compile(r"\b(?:my|our|your)\s+(?:\w+\s+)?(" + "|".join(RELATIVES) + r")\b", re.I)


def words(text: str) -> list[str]:
    return [w.strip("'").casefold() for w in WORD.findall(text) if w.strip("'")]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {
        _stem(w.removesuffix("'s"))
        for w in words(text)
        if w not in STOPWORDS and w not in SMALL_TALK and w not in FIRST_PERSON and len(w) > 1
    }


def specifics(text: str) -> set[str]:
    """Numbers, months and capitalised names (not the first word, not "I") a claim commits to."""
    names = {m.group(0).casefold() for m in NAME.finditer(text.strip())}
    names -= {"i", "i'm", "i've", "i'd", "i'll"}
    names -= REPLY_WORDS
    months = {w for w in words(text) if w in MONTHS and w != "may"}
    return names | months | set(NUMBER.findall(text))


def relative(word: str) -> str:
    """One name for a relative, singular or plural: "brothers" gives "brother"."""
    word = word.casefold()
    return word[:-1] if word.endswith("s") and word[:-1] in RELATIVES else word


def relatives_claimed(text: str) -> set[str]:
    """The person's own relatives a sentence names: "my brothers" gives {"brother"}."""
    return {relative(m.group(1)) for m in _MY_RELATIVE.finditer(text)}


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(text) if s and s.strip()]


def is_abstention(text: str) -> bool:
    """Whether the text says the twin doesn't know or won't say."""
    return bool(ABSTENTIONS.search(text))


def _speaks_of_life(sentence: str) -> bool:
    """A first-person sentence about something in `LIFE_WORDS` ("my boss", "I moved")."""
    found = words(sentence)
    if not FIRST_PERSON.intersection(found):
        return False
    return any(w in LIFE_WORDS or _stem(w) in LIFE_WORDS for w in found)


def is_claim_about_user(sentence: str) -> bool:
    """Whether the sentence states a fact about the person's life (see the module docstring)."""
    found = words(sentence)
    if not found or sentence.rstrip().endswith("?") or is_abstention(sentence):
        return False
    return bool(specifics(sentence)) or _speaks_of_life(sentence)


def is_fragment(sentence: str) -> bool:
    """A sentence that doesn't read as finished: cut off, a lone non-reply word, or a stutter."""
    found = words(sentence)
    if not found:  # an emoji alone is a reply; punctuation alone is not
        return all(char.isspace() or char in ".,;:!?…-\u2013\u2014'\"()" for char in sentence)
    if found[-1] in DANGLING and not sentence.rstrip().endswith("?"):
        return True
    if len(found) == 1:
        return found[0] not in REPLY_WORDS and not sentence.rstrip().endswith(("!", "?"))
    return len(set(found)) == 1  # "sheeee sheeee"


def reads_as_fragment(reply: str) -> bool:
    """Whether a whole reply fails to read as one: empty, or one of its sentences a fragment."""
    sentences = split_sentences(reply)
    return not sentences or any(is_fragment(sentence) for sentence in sentences)


def leans_on_previous(sentence: str) -> bool:
    """Whether the sentence opens with a connective ("And…", "but…") that needs the one before."""
    found = words(sentence)
    return bool(found) and found[0] in CONNECTIVES


def abstention_in_style(lowercase_share: float | None) -> str:
    """ "I don't remember." as the person would write it."""
    lowercase = lowercase_share is not None and lowercase_share > 0.5
    return ABSTAIN.lower().rstrip(".") if lowercase else ABSTAIN


@dataclass
class Verdict:
    """What a guard decided about one sentence of a reply."""

    guard: str
    """``grounding``, ``leak``, ``talk`` or ``fragment``."""
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
    relatives: frozenset[str]
    """The person's own relatives this source speaks of."""
    heard: bool = False
    """What the other person said: it lends its specifics, never a fact of the person's life."""


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
        abstain: str = ABSTAIN,
        talk: bool = False,
        said_before: Iterable[str] = (),
        heard: Iterable[str] = (),
    ) -> None:
        self.embedder = embedder
        self.talk = talk
        """Replying to everyday talk: the model's own abstentions and repeats are held back."""
        self.said_before = [
            set(words(sentence)) for text in said_before for sentence in split_sentences(text)
        ]
        """The sentences the twin already said in this conversation, as sets of words."""
        self.similarity = similarity
        self.overlap = overlap
        self.leak_words = leak_words
        self.abstain = abstain
        self.sources: list[_Source] = []
        persona_text = "\n".join([persona.name, persona.bio, *persona.facts]).strip()
        if persona_text:
            # A persona fact is about the person, so any relative it names is their own.
            own = {relative(w) for w in words(persona_text) if w in RELATIVES}
            self._add("persona", persona_text, own)
        for passage in passages:
            self._add(f"{passage.source}, {passage.date[:10]}", passage.text)
        for text in heard:
            # "8 o'clock ok?" lets the reply say 8; "my sister" there is theirs, not the twin's.
            self._add("what they said", text, own=False)
        self._vectors = self._embed_sources()
        self.private_ngrams = {gram for text in private_texts for gram in self._ngrams(words(text))}
        self._tail: list[str] = []
        self._removed_last = False
        self.claims = 0
        self.claims_kept = 0
        self.leaks = 0
        self.kept_sentences = 0

    def _add(
        self, label: str, text: str, relatives: set[str] | None = None, *, own: bool = True
    ) -> None:
        sentences = split_sentences(text) or [text]
        mine = (relatives_claimed(text) if own else set()) | (relatives or set())
        self.sources.append(
            _Source(label, text, sentences, content_words(text), frozenset(mine), not own)
        )

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

    def repeats(self, sentence: str) -> bool:
        """Whether the twin already said this sentence, or one with `REPEAT_OVERLAP` of the
        same words ("she did a part of it" again with one word changed)."""
        said = set(words(sentence))
        if not said:
            return False
        for before in self.said_before:
            if said == before:
                return True
            shared = len(said & before) / len(said | before)
            if min(len(said), len(before)) >= 4 and shared >= REPEAT_OVERLAP:
                return True
        return False

    def support(self, claim: str) -> tuple[str | None, float]:
        """The source that supports the claim (None if none does) and the best similarity."""
        if not self.sources:
            return None, 0.0
        vector = self.embedder.embed([claim])[0]
        needed = specifics(claim)
        relatives = relatives_claimed(claim)
        claim_words = content_words(claim)
        about_life = bool(relatives) or _speaks_of_life(claim)
        best: tuple[str | None, float] = (None, 0.0)
        top = 0.0
        for source, vectors in zip(self.sources, self._vectors, strict=True):
            similarity = float(np.max(vectors @ vector)) if len(vectors) else 0.0
            top = max(top, similarity)
            overlap = len(claim_words & source.words) / max(len(claim_words), 1)
            named = all(item in source.text.casefold() for item in needed)
            own = relatives <= source.relatives
            close = similarity >= self.similarity or overlap >= self.overlap
            if source.heard:  # "see you at 8" to "8 ok?"; never "I work in Porto" to "Porto?"
                close = bool(needed) and not about_life
            if named and own and close and (best[0] is None or similarity > best[1]):
                best = (source.label, similarity)
        return (best[0], best[1]) if best[0] else (None, top)

    def _remove(self, verdicts: list[Verdict]) -> tuple[bool, list[Verdict]]:
        self._removed_last = True
        return False, verdicts

    def check(self, sentence: str) -> tuple[bool, list[Verdict]]:
        """Whether the sentence may be said, and the guards' verdicts on it."""
        verdicts: list[Verdict] = []
        if self.leaks_private(sentence):
            self.leaks += 1
            reason = f"quotes {self.leak_words}+ words of a private entry"
            verdicts.append(Verdict("leak", sentence, False, reason))
            return self._remove(verdicts)
        if self.talk and is_abstention(sentence):
            reason = "nothing asked for a fact: an abstention is no reply to talk"
            verdicts.append(Verdict("talk", sentence, False, reason))
            return self._remove(verdicts)
        if self.talk and self.repeats(sentence):
            verdicts.append(Verdict("talk", sentence, False, "already said in this conversation"))
            return self._remove(verdicts)
        if is_claim_about_user(sentence):
            self.claims += 1
            source, similarity = self.support(sentence)
            kept = source is not None
            self.claims_kept += kept
            reason = "supported" if kept else "no recalled passage or persona fact supports it"
            verdicts.append(
                Verdict("grounding", sentence, kept, reason, source, round(similarity, 4))
            )
            if not kept:
                return self._remove(verdicts)
        if is_fragment(sentence) or (self._removed_last and leans_on_previous(sentence)):
            verdicts.append(Verdict("fragment", sentence, False, "does not stand as a sentence"))
            return self._remove(verdicts)
        self._removed_last = False
        self.kept_sentences += 1
        self._tail = (self._tail + words(sentence))[-(self.leak_words - 1) :]
        return True, verdicts

    def closing(self) -> str | None:
        """What to say when nothing could be kept: that it would rather not say, or that it
        doesn't remember. None when some of the reply stands."""
        if self.kept_sentences:
            return None
        return KEEP_PRIVATE if self.leaks else self.abstain
