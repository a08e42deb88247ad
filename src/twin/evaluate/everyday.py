"""Everyday openers: does the twin talk, and does it invent facts about the person's life?

Both sides of the guards are measured on openers shipped with twin (`twin.chat.expand.OPENERS`:
"how was your day?", "want to grab dinner?"…), a fixed spread of them so runs compare:

- **real replies**: the share that are not an abstention and do not read as a fragment
  (`twin.chat.guards.reads_as_fragment`);
- **unsupported facts**: the share whose reply states a detail of the person's life that
  nothing in the vault's facts (persona, notes, journal; private entries included, as they are
  the person's) mentions. Details are looked for more widely than the grounding guard does,
  so what slips past it is counted: names, numbers and months (`specifics`), "my sister" and
  the other relatives, first-person life words (work, school, a concert…), and places
  ("at the beach", "in the office": `PLACES`). A question or an abstention states nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from twin.chat.expand import load_openers
from twin.chat.guards import (
    FIRST_PERSON,
    LIFE_WORDS,
    NUMBER,
    is_abstention,
    reads_as_fragment,
    relatives_claimed,
    specifics,
    split_sentences,
    words,
)
from twin.persona.persona import Persona
from twin.vault.vault import Vault

_PLACE_TEXT = (
    "beach gym park office school church cinema movies pub bar restaurant cafe café "
    "hospital clinic airport station mall shop shops store market supermarket library "
    "museum lake mountains mountain river countryside city village farm pool studio "
    "theatre theater stadium club hotel camp island coast sea seaside garden concert "
    "party wedding conference festival university college campus lab"
)
PLACES = frozenset(_PLACE_TEXT.split())
"""Places (and events one is at) that "at the …", "in a …" puts the person in."""
_PLACE = re.compile(r"\b(?:at|in|to|from|near)\s+(?:the|a|an|my|our)\s+([\w'-]+)", re.I)


def openers(count: int) -> list[str]:
    """`count` of the shipped openers, spread evenly over the file (the same every run)."""
    found = load_openers()
    if count >= len(found):
        return found
    step = len(found) / max(count, 1)
    return [found[int(i * step)] for i in range(count)]


def known_words(vault: Vault, persona: Persona) -> set[str]:
    """Every word and number the persona and the notes and journal hold, in lower case."""
    texts = [persona.name, persona.bio, *persona.facts]
    texts += [
        f"{title or ''} {text}" for title, text in vault.db.execute("SELECT title, text FROM notes")
    ]
    found: set[str] = set()
    for text in texts:
        found.update(words(text))
        found.update(NUMBER.findall(text))
    return found


def details(reply: str) -> set[str]:
    """The details of the person's life a reply states (see the module docstring)."""
    found: set[str] = set()
    for sentence in split_sentences(reply):
        said = words(sentence)
        if not said or sentence.rstrip().endswith("?") or is_abstention(sentence):
            continue
        found |= specifics(sentence)
        found |= relatives_claimed(sentence)
        if FIRST_PERSON.intersection(said):
            found |= {w for w in said if w in LIFE_WORDS}
        found |= {m.group(1).casefold() for m in _PLACE.finditer(sentence)} & PLACES
    return found


def unsupported(reply: str, known: set[str]) -> set[str]:
    """The details of `reply` that nothing the vault knows mentions."""
    return {item for item in details(reply) if item not in known and item.rstrip("s") not in known}


def is_real_reply(reply: str) -> bool:
    """A reply that talks: not an abstention, not a fragment."""
    return not is_abstention(reply) and not reads_as_fragment(reply)


def shares(replies: Sequence[str], known: set[str]) -> tuple[float | None, float | None]:
    """(share of real replies, share carrying an unsupported detail) of `replies`."""
    if not replies:
        return None, None
    real = sum(is_real_reply(r) for r in replies) / len(replies)
    invented = sum(bool(unsupported(r, known)) for r in replies) / len(replies)
    return real, invented
