"""A style profile of a set of replies, and the distance between two profiles.

The profile holds what a reader notices first: how long the replies are (words and
characters), how often they are all in lower case, how much punctuation and how many emoji
they carry, and how often one reply is split over several messages (a turn of several
messages is joined by newlines in the dataset). The distance between two sets of replies is
the mean of one term per feature, each between 0 (the same) and 1, plus one for vocabulary:
one minus the overlap (Jaccard) of the words the two sets use. Identical sets are at 0.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
FEATURES = ("words", "characters", "lowercase", "punctuation", "emoji", "split")
"""The profile's features, in the order the report draws them."""
RELATIVE = frozenset({"words", "characters", "punctuation"})
"""Features compared by relative difference; the others are shares, compared directly."""


def is_emoji(char: str) -> bool:
    """Pictographs, symbols and dingbats: what phones put in as emoji."""
    code = ord(char)
    return (
        0x1F000 <= code <= 0x1FAFF
        or 0x2600 <= code <= 0x27BF
        or 0x2B00 <= code <= 0x2BFF
        or (unicodedata.category(char) == "So" and code > 0x2000)
    )


def reply_words(text: str) -> list[str]:
    return [word.casefold() for word in WORD.findall(text)]


@dataclass(frozen=True)
class Profile:
    """The style of a set of replies, as numbers."""

    replies: int
    words: float
    """Mean words per reply."""
    characters: float
    """Mean characters per reply."""
    lowercase: float
    """Share of replies with letters in which none is a capital."""
    punctuation: float
    """Punctuation marks per word."""
    emoji: float
    """Share of replies with at least one emoji."""
    split: float
    """Share of replies sent as several messages in a row."""
    vocabulary: frozenset[str]

    def features(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in FEATURES}


def profile(replies: Sequence[str]) -> Profile:
    """The style profile of `replies` (an empty profile for no replies)."""
    texts = [reply.strip() for reply in replies]
    count = len(texts)
    if not count:
        return Profile(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, frozenset())
    words = [reply_words(text) for text in texts]
    total_words = sum(len(found) for found in words)
    lettered = [text for text in texts if any(char.isalpha() for char in text)]
    punctuation = sum(unicodedata.category(char).startswith("P") for text in texts for char in text)
    return Profile(
        replies=count,
        words=total_words / count,
        characters=sum(len(text) for text in texts) / count,
        lowercase=(sum(text == text.lower() for text in lettered) / len(lettered))
        if lettered
        else 0.0,
        punctuation=punctuation / max(total_words, 1),
        emoji=sum(any(is_emoji(char) for char in text) for text in texts) / count,
        split=sum("\n" in text for text in texts) / count,
        vocabulary=frozenset(word for found in words for word in found),
    )


def _term(name: str, a: float, b: float) -> float:
    if name in RELATIVE:
        high = max(abs(a), abs(b))
        return abs(a - b) / high if high else 0.0
    return min(abs(a - b), 1.0)


def differences(a: Profile, b: Profile) -> dict[str, float]:
    """One term per feature, each from 0 (the same) to 1, and ``vocabulary``."""
    terms = {name: _term(name, getattr(a, name), getattr(b, name)) for name in FEATURES}
    union = a.vocabulary | b.vocabulary
    terms["vocabulary"] = 1 - len(a.vocabulary & b.vocabulary) / len(union) if union else 0.0
    return terms


def distance(a: Profile, b: Profile) -> float:
    """How far apart two styles are: the mean of `differences`, from 0 to 1."""
    terms = differences(a, b)
    return sum(terms.values()) / len(terms)


def halves(replies: Sequence[str]) -> tuple[list[str], list[str]]:
    """Every other reply: two halves of one person's replies, for a reference distance."""
    return list(replies[0::2]), list(replies[1::2])
