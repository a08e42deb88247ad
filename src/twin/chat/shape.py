"""The shape of the person's own replies: how long, in what case, in how many messages.

Read from the messages the person sent (the latest `SAMPLE`), so a twin of someone who writes
"ahah bora" in lower case doesn't answer in paragraphs. The twin takes from it the longest
reply it generates (`max_new_tokens`, from the 90th percentile of the person's reply length)
and how it abstains (in lower case for someone who writes so). Before anything is imported,
the fixed defaults of `GenerationSettings` hold.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from twin.vault.vault import Vault

SAMPLE = 2000
"""How many of the person's latest text messages the shape is read from."""
TOKENS_PER_WORD = 1.6
"""Rough tokens a word takes in the small models' tokenizers, emoji and punctuation included."""
MIN_TOKENS = 32
MAX_TOKENS = 160
WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


@dataclass(frozen=True)
class ReplyShape:
    """What the person's own replies look like."""

    replies: int
    words_p90: float
    """Nine replies in ten are at most this many words."""
    lowercase: float
    """Share of replies (with letters) that hold no capital."""

    def max_new_tokens(self) -> int:
        """The longest reply worth generating: a bit over the person's long replies."""
        tokens = math.ceil(self.words_p90 * TOKENS_PER_WORD * 1.5) + 8
        return max(MIN_TOKENS, min(MAX_TOKENS, tokens))


def reply_shape(vault: Vault) -> ReplyShape | None:
    """The shape of the person's latest replies; None before any message of theirs is in."""
    rows = vault.db.execute(
        "SELECT m.text FROM messages m JOIN people p ON p.id = m.sender_id "
        "WHERE p.is_me = 1 AND m.kind = 'text' ORDER BY m.sort_key DESC LIMIT ?",
        (SAMPLE,),
    ).fetchall()
    texts = [str(text) for (text,) in rows if str(text).strip()]
    if not texts:
        return None
    lengths = sorted(len(WORD.findall(text)) for text in texts)
    p90 = float(lengths[min(len(lengths) - 1, int(0.9 * len(lengths)))])
    lettered = [text for text in texts if any(char.isalpha() for char in text)]
    lower = sum(1 for text in lettered if text == text.lower()) / max(len(lettered), 1)
    return ReplyShape(len(texts), p90, lower)
