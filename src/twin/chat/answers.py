"""Answers taken from the recalled passages, for questions about facts.

A small model often garbles a date or a name that sits right in its prompt; the grounding
guard then rightly holds its sentence back and the twin says it doesn't remember, while the
answer is in the notes. For a *fact question* (when, where, who, how many, what time, "what is
my …") this finds the line of a recalled passage that answers it, so the twin can say that
line, in the person's own words, instead:

- the line, with its passage's title and heading, must hold most (`COVERAGE`) of the
  question's content words (so "licence plate" is not answered by a line about a car radio);
- it must hold the kind of thing asked for: a date or time for *when*, a place for *where*, a
  name for *who*, a number for *how many*; and
- "my sister" in the question needs "my sister" in the line (or a persona fact naming a
  sister), so "Bernardo's brother" never answers "what is my brother's name?".

Private entries are never quoted. Nothing found means the twin abstains.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from twin.chat.guards import (
    LIFE_WORDS,
    MONTHS,
    RELATIVES,
    content_words,
    relative,
    relatives_claimed,
    words,
)
from twin.memory.recall import Passage
from twin.persona.persona import Persona
from twin.words import plain_text

COVERAGE = 0.6
"""Share of the question's content words the answering line (with its headings) must hold."""
MAX_ANSWER_CHARS = 240
"""A longer sentence is cut here."""

_QUESTION = re.compile(
    r"^\W*(?:(?P<when>when|what\s+(?:time|day|date|year|month)|which\s+(?:day|date|month|year))"
    r"|(?P<where>where)"
    r"|(?P<who>who|whom|whose)"
    r"|(?P<number>how\s+(?:many|much|old|long|far|often))"
    r"|(?P<what>what(?:'s|\s+is|\s+was|\s+are|\s+were)\s+(?:my|your)\b"
    r"|what\s+(?:did|do|have)\s+(?:i|you)\s+(?:note|write|say|jot|put|mention)\w*)"
    r"|(?P<yesno>(?:any|do|does|did|have|has|are|is|was|were|am)\b))",
    re.I,
)
WEEKDAYS = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mondays",
        "tuesdays",
        "wednesdays",
        "thursdays",
        "fridays",
        "saturdays",
        "sundays",
    ]
)
_TIME = re.compile(r"\b\d{1,2}[:h.]\d{2}\b|\b\d{1,2}\s*(?:am|pm)\b|\b(?:19|20)\d{2}\b", re.I)
_PLACE = re.compile(r"\b(?:in|at|to|from|near|on)\s+(?:the\s+)?[A-Z][\w'-]+")
_NAME = re.compile(r"\b[A-Z][a-zà-ÿ'-]+")
_NUMBER = re.compile(r"\d")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_OTHERS = frozenset(["his", "her", "their", "its", "a", "an", "the", "of"])
"""Words before a relative that make them someone else's, or no one's in particular."""
_NAME_QUESTION = re.compile(r"\b(?:name|called)\b", re.I)
_FROM_NOTES = re.compile(r"\b(?:my|your)\s+(?:notes?|journal)\b", re.I)
"""A question that says it is about the notes is a fact question, whatever its form."""
_BLANK = re.compile(r"[\"“]([^\"”]*?)_{2,}([^\"”]*?)[\"”]")
"""A fill-in-the-blank question: "… from ___, then mornings." in quotes."""
META_WORDS = frozenset(
    {
        *("note", "notes", "noted", "journal", "describe", "described", "wrote", "write"),
        *("written", "say", "said", "mention", "mentioned", "name", "call", "called"),
        *("blank", "fill"),
    }
)
"""Words about asking, not about what is asked: no line needs to hold them."""
_QUOTED = re.compile(r"[\"“]([^\"”_]{2,}?)[\"”]")
"""Words a question quotes ("described as "started it""): the line that holds them answers."""
_ABOUT = re.compile(r"\babout\s+(.+?)\s*\??\s*$", re.I)
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)\s*$")


def asked_subject(question: str) -> str | None:
    """What "what did I note about A1.2 test (German)?" is about: "a1.2 test"."""
    match = _ABOUT.search(question)
    if match is None:
        return None
    subject = match.group(1)
    trimmed = _TRAILING_NOTE.sub("", subject)  # "(German)": the note it is in
    return (trimmed or subject).strip().casefold() or None


@dataclass(frozen=True)
class Answer:
    """A line from a recalled passage that answers a fact question."""

    text: str
    source: str
    """Where it comes from, as the guards name sources: ``markdown: Orchestra.md, 2025-09-09``."""


def question_kind(question: str) -> str | None:
    """``when``, ``where``, ``who``, ``number`` or ``what`` for a fact question, else None.

    A question with no content word ("where are you?") is talk, not a fact question.
    """
    if _BLANK.search(question):
        return "blank"
    match = _QUESTION.search(question.strip())
    if not content_words(question):
        return None
    if match is None:
        return "what" if _FROM_NOTES.search(question) else None
    kind = match.lastgroup
    if kind == "what" and _NAME_QUESTION.search(question):
        return "who"
    if kind == "yesno" and not any(w in LIFE_WORDS for w in words(question)):
        return None  # "are you free?", "did you sleep well?": talk
    return kind


def own_relatives_asked(question: str) -> set[str]:
    """The person's own relatives a question asks about: all it names but someone else's.

    In `twin ask` "my brother" is the person's; in a chat "your brother" is. "Bernardo's
    brother", "her brother" and "a brother" are not. In the person's own notes a relative no
    one else's ("Mãe's birthday: 18 October") is theirs too, so lines are read the same way.
    """
    found = words(question)
    return {
        relative(word.removesuffix("'s"))
        for index, word in enumerate(found)
        if word.removesuffix("'s") in RELATIVES
        and not (index and (found[index - 1] in _OTHERS or found[index - 1].endswith("'s")))
    }


def asks_about_the_person(question: str) -> bool:
    """Whether the question is about the person's own facts, not an invitation to talk.

    "When is the concert?", "where do I live?", "what's your sister's name?" are; "when are
    you free?" asks the twin what it would say, and any plan may do.
    """
    return "you" not in words(question)


_DAY_AND_MONTH = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b"
    r"|\b(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\s+\d{1,2}\b"
    r"|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b",
    re.I,
)


def _strength(kind: str, text: str, question_words: set[str]) -> int:
    """How well the text holds what is asked: 0 not at all, 1 loosely, 2 precisely.

    For *when*, a day and month ("13 December") is precise; a weekday or a time alone is loose.
    """
    if not _holds(kind, text, question_words):
        return 0
    if kind == "when":
        return 2 if _DAY_AND_MONTH.search(text) else 1
    return 2


def _holds(kind: str, text: str, question_words: set[str]) -> bool:
    found = words(text)
    if kind == "when":
        return bool(_TIME.search(text)) or any(w in MONTHS or w in WEEKDAYS for w in found)
    if kind == "where":
        return bool(_PLACE.search(text))
    if kind == "who":
        names = {m.group(0).casefold() for m in _NAME.finditer(text)}
        return bool(names - question_words - MONTHS - WEEKDAYS)
    if kind == "number":
        return bool(_NUMBER.search(text))
    return True


def _covered(question: set[str], available: set[str]) -> int:
    def close(word: str) -> bool:
        return any(
            word == other
            or (min(len(word), len(other)) >= 4 and other.startswith(word))
            or (min(len(word), len(other)) >= 4 and word.startswith(other))
            for other in available
        )

    return sum(1 for word in question if close(word))


def _fill_blank(question: str, passages: Sequence[Passage]) -> Answer | None:
    """The words a recalled passage has where the quoted sentence has its blank."""
    match = _BLANK.search(question)
    if match is None:
        return None
    before, after = (" ".join(part.split()) for part in match.groups())
    if not (before or after):
        return None
    pattern = re.compile(
        re.escape(before) + r"\s*(\S+(?:\s+\S+){0,3}?)\s*" + re.escape(after)
        if after
        else re.escape(before) + r"\s*(\S+)",
        re.I,
    )
    for passage in passages:
        if passage.private:
            continue
        found = pattern.search(" ".join(passage.text.split()))
        if found:
            return Answer(found.group(1).strip(" ,.;:"), f"{passage.source}, {passage.date[:10]}")
    return None


def unknown_names(question: str, passages: Sequence[Passage], persona: Persona | None) -> set[str]:
    """Names the question asks about that no recalled passage nor the persona mentions.

    "What did I note about Gustavo's birthday?" with no Gustavo anywhere: nothing can answer.
    """
    known = " ".join(
        f"{p.title} {p.heading} {p.text}" for p in passages if not p.private
    ).casefold()
    if persona is not None:
        known += " " + " ".join([persona.name, persona.bio, *persona.facts]).casefold()
    names = {
        m.group(0).removesuffix("'s").casefold() for m in _ASKED_NAME.finditer(question.strip())
    }
    return {name for name in names - MONTHS - WEEKDAYS if name not in known}


_ASKED_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w'-]+")


def clean(line: str) -> str:
    """A note's line as someone would say it: no list marks, bold or wiki links."""
    text = plain_text(line)
    if text and text[-1] not in ".!?…":
        text += "."
    return text


def _lines(text: str) -> list[str]:
    out: list[str] = []
    for raw in text.splitlines():
        line = clean(raw)
        if not line:
            continue
        # One sentence is the answer: "Maya, my sister, 2 years older." not her whole line.
        out += [s[:MAX_ANSWER_CHARS] for s in _SENTENCE.split(line) if s.strip()]
    return out


def find_answer(
    question: str, passages: Sequence[Passage], persona: Persona | None = None
) -> Answer | None:
    """The line of a recalled passage (or a persona fact) that answers `question`, if any."""
    kind = question_kind(question)
    if kind is None:
        return None
    if kind == "blank":
        return _fill_blank(question, passages)
    wanted = content_words(question) - content_words(" ".join(sorted(META_WORDS)))
    if not wanted:
        return None
    needed = max(1, math.ceil(COVERAGE * len(wanted)))
    relatives = own_relatives_asked(question)
    question_words = set(words(question))
    candidates: list[tuple[str, set[str], set[str], str, str]] = []
    if persona is not None:
        own = {relative(w) for fact in persona.facts for w in words(fact) if w in RELATIVES}
        for fact in persona.facts:
            candidates.append((clean(fact), set(), own, "persona", ""))
    for passage in passages:
        if passage.private:
            continue
        context = content_words(f"{passage.title} {passage.heading}")
        label = f"{passage.source}, {passage.date[:10]}"
        for line in _lines(passage.text):
            own = relatives_claimed(line) | own_relatives_asked(line)
            candidates.append((line, context, own, label, passage.title))
    subject = asked_subject(question)
    note = _TRAILING_NOTE.search(question.strip().rstrip("?").strip() + " ")
    named_note = note.group(0).strip(" ()").casefold() if note else ""
    quoted = [q.casefold() for q in _QUOTED.findall(question) if len(q.split()) <= 6]
    best: tuple[int, Answer] | None = None
    for line, context, own, label, title in candidates:
        line_words = content_words(line)
        if not line_words or not relatives <= own or line.casefold().startswith("see "):
            continue  # "See Half marathon plan.": a pointer, not an answer
        in_line = _covered(wanted, line_words)
        covered = _covered(wanted, line_words | context)
        strength = _strength(kind, line, question_words)
        if covered < needed or not strength:
            continue
        score = in_line + covered + 2 * strength
        if subject and line.casefold().startswith(subject):
            score += 10  # "A1.2 test: 92%" is the line about "A1.2 test"
            if line[len(subject) : len(subject) + 1] in {":", ","}:
                score += 2  # and "A1.2 test: 92%" says what it is, as a note's entry does
        if named_note and title.casefold() == named_note:
            score += 5  # "… (About me)?": the question names the note
        if any(quote in line.casefold() for quote in quoted):
            score += 10  # described as "started it": the line that says so
        if best is None or score > best[0]:
            best = (score, Answer(line, label))
    return best[1] if best else None


_KEY_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


def key_items(line: str, question: str) -> set[str]:
    """What an answer commits to beyond the question's own words: its numbers, months and
    names ("C (secret): 1:55." to "what did I note about C (secret)?" gives {"1:55"})."""
    found = set(_KEY_NUMBER.findall(line)) | {w for w in words(line) if w in MONTHS}
    names = list(_NAME.finditer(line))
    lead_is_name = question_kind(question) == "who"  # "Maya, my sister, …"
    found |= {m.group(0).casefold() for m in names if m.start() > 0 or lead_is_name}
    asked = set(words(question)) | set(_KEY_NUMBER.findall(question))
    return found - asked


def core_items(line: str, question: str) -> set[str]:
    """What the line answers with, in full, for the kind of question: the leading name for
    *who* ("Inês Costa"), the first date or time for *when*, the first number for *how many*;
    any `key_items` otherwise (None of them needed when the line has none)."""
    kind = question_kind(question)
    asked = set(words(question)) | set(_KEY_NUMBER.findall(question))
    if kind == "who":
        lead = _LEAD_NAME.match(line)
        if lead:
            return set(words(lead.group(0))) - asked
    if kind == "when":
        date = _DAY_AND_MONTH.search(line) or _TIME.search(line)
        if date:
            return {w[:3] if w in MONTHS else w for w in words(date.group(0))} - asked
    if kind == "number":
        number = _KEY_NUMBER.search(line)
        if number and number.group(0) not in asked:
            return {number.group(0)}
    return set()


_LEAD_NAME = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w'-]+(?:\s+[A-ZÀ-ÖØ-Þ][\w'-]+)*")


def agrees(reply: str, answer: str, question: str) -> bool:
    """Whether a reply says what the answering line says: all of its `core_items` when the
    question's kind has them, else one of its own numbers, months or names (or the line
    commits to none). "Under 2:00" does not agree with "C (secret): 1:55."; "Inês" does not
    answer "who started it?" as the line "Inês Costa: started it." does; "the concert is on
    13 Dec" agrees with "13 December, parish hall"."""
    said = set(_KEY_NUMBER.findall(reply)) | set(words(reply))
    said |= {w[:3] for w in said if w in MONTHS}
    core = core_items(answer, question)
    if core:
        return core <= said
    wanted = key_items(answer, question)
    if not wanted:
        return True
    wanted |= {w[:3] for w in wanted if w in MONTHS}
    return bool(wanted & said)
