"""Question-and-answer examples generated from the person's notes, journal and persona.

A small model learns to use its memory slot only if it has seen it used. From each line of a
(non-private) note or journal entry that holds a date, a time, a place or a named person, this
writes a question a friend could ask ("when is the winter concert?", "where is the winter
concert?", "who is Marta Vidal?") and, as the target, the line itself: the answer in the
person's own words, never made up. Each example has the system message the twin chats with
(persona, the passage recalled for the question the way `twin chat` recalls it, cut to its
relevant line as in every training example's compact slot, `twin.dataset.memory_slot`, and the
rule), and is only kept when that slot actually holds the line the answer is, so the example
teaches reading the memory slot, not guessing.

Examples are mixed into the training set at `QA_SHARE` of the conversation examples at most
(a documented share, so the person's voice stays most of what the model learns) and are
labelled ``generated`` wherever they are counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from twin.dataset.formats import Example
from twin.dataset.memory_slot import MemorySlot
from twin.dataset.sessions import Line
from twin.dataset.tokens import MESSAGE_OVERHEAD, TokenCounter
from twin.vault.vault import Vault
from twin.words import MONTH_ABBREVIATIONS, MONTH_NAMES, plain_text

QA_SHARE = 0.15
"""Generated QA examples, as a share of the conversation examples, at most."""
LABEL = "generated"
"""How the dataset card and report name these examples."""
_MONTHS = "|".join((*MONTH_NAMES, *MONTH_ABBREVIATIONS))
DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s*-\s*\d{{1,2}})?\s+(?:{_MONTHS})\b|\b(?:{_MONTHS})\s+\d{{1,2}}\b",
    re.I,
)
TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
PLACE = re.compile(r"\b(?:in|at)\s+(?:the\s+)?([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)")
PERSON = re.compile(r"^([A-Z][a-zà-ÿ]+\s+[A-Z][a-zà-ÿ]+|[A-Z][a-zà-ÿ]+(?=,\s+my\s)),\s+\w")
"""A line that starts with someone: "Marta Vidal, conductor", "Maya, my sister"."""
GENERAL_HEADINGS = frozenset(
    [
        "about",
        "basics",
        "family",
        "people",
        "notes",
        "note",
        "practice",
        "practise",
        "bring",
        "eat",
        "next",
        "goals",
        "list",
        "misc",
        "general",
        "overview",
        "intro",
        "introduction",
        "summary",
        "details",
        "week",
        "travel",
        "why",
    ]
)
"""Section headings that name no one thing a date or a place could belong to."""
_WH = frozenset(["what", "when", "where", "who", "why", "how", "which"])


@dataclass(frozen=True)
class Question:
    """A question the line answers, and the line, as the answer."""

    question: str
    answer: str
    chunk_id: int


def _topic(heading: str, title: str) -> str:
    """What a line is about, in lower case: its section's heading when that names one thing
    ("Winter concert"), the note's title for its opening lines, else nothing."""
    last = heading.split(">")[-1].strip().lower().removeprefix("the ") if heading else ""
    if not last or last == title.strip().lower():
        return title.strip().lower()
    found = last.split()
    one_thing = (
        len(found) <= 3
        and not last.endswith("s")
        and not _WH & set(found)
        and "my" not in found
        and not GENERAL_HEADINGS & set(found)
    )
    return last if one_thing else ""


def questions_for(line: str, topic: str) -> list[str]:
    """The questions one (cleaned) line answers, about `topic` (who-questions need none)."""
    asked = []
    if topic and DATE.search(line):
        asked.append(f"when is the {topic}?")
    if topic and TIME.search(line):
        asked.append(f"what time is the {topic}?")
    if topic and PLACE.search(line):
        asked.append(f"where is the {topic}?")
    person = PERSON.match(line)
    if person:
        asked.append(f"who is {person.group(1)}?")
    return asked


def candidate_questions(vault: Vault) -> Iterator[Question]:
    """Every question the person's non-private notes and journal answer, line by line."""
    rows = vault.db.execute(
        "SELECT c.id, c.heading, c.text, n.title FROM chunks c JOIN notes n "
        "ON c.owner = 'note' AND c.owner_id = n.id WHERE n.private = 0 ORDER BY c.id"
    )
    for chunk_id, heading, text, title in rows:
        topic = _topic(str(heading), str(title))
        for raw in str(text).splitlines():
            line = plain_text(raw)
            if len(line.split()) < 2 or line.startswith("|"):  # table rows read badly alone
                continue
            for question in questions_for(line, topic):
                yield Question(question, line, int(chunk_id))


def _holds(text: str, answer: str) -> bool:
    """Whether a slot's passage text (possibly cut) holds the answer's line."""
    return plain_text(answer).rstrip(" .").casefold() in plain_text(text).casefold()


def has_shareable_notes(vault: Vault) -> bool:
    """Whether any note or journal entry may go into training data (a non-private one)."""
    return vault.db.execute("SELECT 1 FROM notes WHERE private = 0 LIMIT 1").fetchone() is not None


def qa_examples(
    vault: Vault,
    memory: MemorySlot,
    counter: TokenCounter,
    *,
    limit: int,
    max_tokens: int,
    setting: str,
) -> list[Example]:
    """Up to `limit` QA examples whose recall brings back their own passage and that fit
    `max_tokens`; the system message is the one chat uses."""
    examples: list[Example] = []
    seen: set[str] = set()
    for found in candidate_questions(vault):
        if len(examples) >= limit:
            break
        if found.question in seen:
            continue  # one answer per question: the first line that answers it
        slot = memory.unredacted(found.question, found.answer)
        if not any(p.chunk_id == found.chunk_id and _holds(p.text, found.answer) for p in slot):
            continue  # the slot must hold the answer, or the example teaches guessing
        seen.add(found.question)
        system_text = memory.system(setting, found.question, found.answer)
        answer = memory.redact(found.answer, f"generated answer from passage {found.chunk_id}")
        lines = [
            Line("system", "", system_text, system_text, 0),
            Line("user", "", found.question, found.question, 0),
            Line("assistant", memory.persona.name, answer, answer, 0),
        ]
        lines = [
            Line(x.role, x.speaker, x.text, x.content, counter.count(x.content) + MESSAGE_OVERHEAD)
            for x in lines
        ]
        if sum(line.tokens for line in lines) > max_tokens:
            continue
        examples.append(Example(lines[0], [lines[1]], lines[2]))
    return examples
