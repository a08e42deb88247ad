"""Fact questions from the person's own notes, journal and persona, each with its answer.

No cloud model writes them: they come from templates and from the notes' own structure.

- A note's bullet ``- **Marta Vidal**, conductor. Strict…`` gives "Who is the conductor?",
  answer "Marta Vidal"; ``- Mãe's birthday: 18 October`` gives "What did I note about Mãe's
  birthday?", answer "18 October"; a bold date under a heading (``## Winter concert`` then
  ``- **13 December**, parish hall``) gives "When is the winter concert?".
- A journal entry or persona fact with a number or a name in it gives a fill-in-the-blank
  question on that sentence, the number or name being the answer.
- *Unanswerable* questions swap an entity of an answerable question for a name found nowhere
  in the vault ("What did I note about Gustavo's birthday?"): the right reply abstains.

Private entries are never used: a question quoting one would invite the leak it tests for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from twin.chat.guards import ABSTENTIONS
from twin.persona.persona import Persona
from twin.vault.vault import Vault
from twin.words import MONTH_NAMES, plain_text

ABSENT_NAMES = (
    "Gustavo", "Ingrid", "Kwame", "Priya", "Henrik", "Yusuf", "Oksana", "Thandiwe", "Leopold",
    "Marisol", "Dmitri", "Aiyana", "Bartholomew", "Zofia", "Tenzin", "Ravi", "Solveig", "Ezekiel",
)  # fmt: skip
"""Names to swap in; each is used only if nothing in the vault mentions it."""
MAX_ANSWER_WORDS = 5
MAX_CLUE_WORDS = 6
MONTHS = {name: name[:3] for name in MONTH_NAMES}
CUT = re.compile(r"\s[(\[]|;|\.\s|,\s| → | - |/|\s(?:at|in|to|with|for|from|on)\s")
"""Where a value's short answer ends: "15 km at 5:50/km" answers "15 km"."""
BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
HEADING = re.compile(r"^\s*#{1,6}\s+(.*?)\s*#*\s*$")
BOLD_LEAD = re.compile(r"^\*\*(.+?)\*\*\s*[,:\u2013\u2014-]\s*(.+)$")
KEY_VALUE = re.compile(r"^([^:]{2,60}):\s+(.+)$")
NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-ZÀ-Ý][\w'\u2019-]+")
NUMBER = re.compile(r"\b\d+(?:[.,:]\d+)*\b")
SENTENCE = re.compile(r"(?<=[.!?])\s+")
TOKEN = re.compile(r"[^\W_]+(?:[.,:]\d+)*")
CAPITALISED = re.compile(r"\b[A-ZÀ-Ý][\w\u2019-]+(?:'s)?")
NOT_NAMES = frozenset({"I", "I'm", "I've", "I'd", "I'll"})
WIKI_LINK = re.compile(r"\[\[([^\]|]+)")
BOLD = re.compile(r"\*\*(.+?)\*\*")


@dataclass(frozen=True)
class Question:
    """One question to ask the twin, and what a right reply contains."""

    text: str
    expected: str | None
    """The answer a right reply contains; None when nothing in the vault answers it."""
    topic: str
    """What it is about: the note's title, ``journal`` or ``persona``."""
    note_id: int | None = None

    @property
    def answerable(self) -> bool:
        return self.expected is not None


def normalise(text: str) -> list[str]:
    """Tokens compared for an answer: case, accents and punctuation go, months are shortened."""
    plain = "".join(
        char
        for char in unicodedata.normalize("NFKD", text.casefold())
        if not unicodedata.combining(char)
    )
    tokens = []
    for token in TOKEN.findall(plain.replace("**", "")):
        token = re.sub(r"(?<=\d)(st|nd|rd|th)$", "", token)
        tokens.append(MONTHS.get(token, token))
    return tokens


def answered(reply: str, expected: str) -> bool:
    """Whether the reply contains every token of the expected answer (normalised)."""
    wanted = normalise(expected)
    found = set(normalise(reply))
    return bool(wanted) and all(token in found for token in wanted)


def abstains(reply: str) -> bool:
    """Whether the reply declines to answer ("I don't remember", "no idea"…), or is empty."""
    return not reply.strip() or ABSTENTIONS.search(reply) is not None


def _core(value: str) -> str | None:
    """The short answer at the head of a value: before a bracket, semicolon or full stop."""
    head = re.split(CUT, plain_text(value), maxsplit=1)[0].strip(" .,;:")
    return head if head and len(head.split()) <= MAX_ANSWER_WORDS else None


def note_questions(title: str, text: str, note_id: int | None = None) -> Iterator[Question]:
    """Questions from a note's bullets, read with the heading they sit under."""
    heading = ""
    for raw in text.splitlines():
        found = HEADING.match(raw)
        if found:
            heading = plain_text(found.group(1))
            continue
        bullet = BULLET.match(raw)
        if not bullet:
            continue
        line = bullet.group(1).strip()
        lead = BOLD_LEAD.match(line)
        if lead:
            term, rest = plain_text(lead.group(1)), lead.group(2)
            clue = _core(rest)
            if NUMBER.search(term) and heading and len(term.split()) <= MAX_ANSWER_WORDS:
                yield Question(f"When is the {heading.lower()}?", term, title, note_id)
            elif clue and len(clue.split()) <= MAX_CLUE_WORDS and clue[:1].islower():
                if clue.startswith("my "):
                    text = f"Who is {clue}?"
                else:
                    text = f'Who in my notes on {title} is described as "{clue}"?'
                yield Question(text, term, title, note_id)
            continue
        pair = KEY_VALUE.match(plain_text(line))
        if pair:
            key, value = pair.group(1).strip(), pair.group(2)
            answer = _core(value)
            if answer and len(key.split()) <= MAX_CLUE_WORDS and "http" not in key:
                yield Question(f"What did I note about {key} ({title})?", answer, title, note_id)


def cloze_questions(
    text: str, topic: str, lead: str, note_id: int | None = None
) -> Iterator[Question]:
    """Fill-in-the-blank questions on the sentences of `text` that hold a number or a name."""
    for sentence in SENTENCE.split(" ".join(text.split())):
        words = sentence.split()
        if not 4 <= len(words) <= 30:
            continue
        names = [m for m in NAME.finditer(sentence) if m.group(0) not in NOT_NAMES]
        found = NUMBER.search(sentence) or (names[0] if names else None)
        if found is None:
            continue
        blanked = sentence[: found.start()] + "___" + sentence[found.end() :]
        yield Question(f'{lead}: "{blanked}"', found.group(0), topic, note_id)


def persona_questions(persona: Persona) -> Iterator[Question]:
    lead = "Fill in the blank about yourself"
    for fact in persona.facts:
        yield from cloze_questions(fact, "persona", lead)
    if persona.bio:
        yield from cloze_questions(persona.bio, "persona", lead)


def vault_questions(vault: Vault, persona: Persona) -> list[Question]:
    """Every answerable question the persona, notes and journal give, in a stable order."""
    questions = list(persona_questions(persona))
    rows = vault.db.execute(
        "SELECT id, kind, title, text, created_at FROM notes WHERE private = 0 ORDER BY id"
    )
    for note_id, kind, title, text, created in rows:
        if kind == "journal":
            lead = f"Fill in the blank from my journal of {created[:10]}"
            questions += cloze_questions(text, "journal", lead, note_id)
        else:
            questions += note_questions(title or "notes", text, note_id)
    return _unique(questions)


def _unique(questions: Iterable[Question]) -> list[Question]:
    seen: dict[str, Question] = {}
    for question in questions:
        seen.setdefault(question.text, question)
    return list(seen.values())


def mentioned(vault: Vault, name: str) -> bool:
    """Whether anything in the vault (notes, persona, messages, people) mentions `name`."""
    like = f"%{name}%"
    checks = (
        ("SELECT 1 FROM notes WHERE title LIKE ? OR text LIKE ? LIMIT 1", (like, like)),
        ("SELECT 1 FROM persona WHERE name LIKE ? OR bio LIKE ? OR facts LIKE ?", (like,) * 3),
        ("SELECT 1 FROM people WHERE name LIKE ? LIMIT 1", (like,)),
        ("SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? LIMIT 1", (f'"{name}"',)),
    )
    return any(vault.db.execute(sql, values).fetchone() for sql, values in checks)


def absent_names(vault: Vault) -> list[str]:
    """The swap-in names nothing in the vault mentions."""
    return [name for name in ABSENT_NAMES if not mentioned(vault, name)]


def known_entities(vault: Vault) -> set[str]:
    """The names the vault knows: people, note titles, wiki links and bold terms in notes."""
    names: set[str] = set()
    for (name,) in vault.db.execute("SELECT name FROM people"):
        names.update(CAPITALISED.findall(name))
    for title, text in vault.db.execute("SELECT title, text FROM notes WHERE private = 0"):
        for phrase in [title, *WIKI_LINK.findall(text), *BOLD.findall(text)]:
            names.update(CAPITALISED.findall(phrase))
    return {_bare(name) for name in names} - {_bare(word) for word in NOT_NAMES}


def _bare(name: str) -> str:
    return name[:-2] if name.endswith("'s") else name


def unanswerable(
    questions: Sequence[Question], names: Sequence[str], entities: set[str]
) -> list[Question]:
    """Answerable questions with an entity swapped for an absent name: nothing answers them.

    The entity is a name the vault knows (`known_entities`) in the question, other than its
    first word and other than a note title in brackets; questions with none are left out.
    Each absent name is used in turn.
    """
    made: list[Question] = []
    if not names:
        return made
    for question in questions:
        if not question.answerable or question.text.startswith("Fill in"):
            continue
        body = re.sub(r" \([^()]*\)\?$", "?", question.text)
        found = [
            m for m in CAPITALISED.finditer(body) if m.start() > 0 and _bare(m.group(0)) in entities
        ]
        if not found:
            continue
        entity = found[0]
        name = names[len(made) % len(names)]
        swap = name + ("'s" if entity.group(0).endswith("'s") else "")
        made.append(
            replace(
                question, text=body[: entity.start()] + swap + body[entity.end() :], expected=None
            )
        )
    return made


def spread(questions: Sequence[Question], limit: int) -> list[Question]:
    """At most `limit` questions, taken in turn from each topic so every topic is asked.

    The persona and the journal come first: they are one topic each, however many notes.
    """
    by_topic: dict[str, list[Question]] = {"persona": [], "journal": []}
    for question in questions:
        by_topic.setdefault(question.topic, []).append(question)
    chosen: list[Question] = []
    queues = [queue for queue in by_topic.values() if queue]
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return chosen
