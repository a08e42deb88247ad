"""Replacing private details by consistent placeholders, and recording every replacement.

What is replaced: email addresses, phone numbers (found by the ``phonenumbers`` library), URLs,
payment card numbers (Luhn-checked), IBANs (mod-97-checked), the names of the other people in
your vault (their names and aliases, matched whole-word and ignoring case), and anything on your
always-redact list. ``<PERSON_1>`` is the same person everywhere in a dataset; the same email
is always ``<EMAIL_1>``. Your own name is never replaced. Every replacement is written to the
review file with the original, its placeholder, its kind and where it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers

from twin.dataset.wordlists import WordLists

KINDS = ("EMAIL", "URL", "IBAN", "CARD", "PHONE", "PRIVATE", "PERSON")
"""Kinds of placeholder, in the order they win when two overlap at the same place."""

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
DIGITS = re.compile(r"\d[\d\s().+/-]{5,}\d")
"""Cheap test for text that might hold a card, an IBAN or a phone number."""
WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_TRAILING = ".,;:!?)]}'\""


def luhn(digits: str) -> bool:
    """Whether a card number's check digit is right."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """Whether an IBAN's check digits are right (ISO 13616 mod 97)."""
    compact = text.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return 15 <= len(compact) <= 34 and int(number) % 97 == 1


@dataclass(frozen=True)
class Replacement:
    """One replacement, as the review file lists it."""

    placeholder: str
    kind: str
    original: str
    where: str


def name_parts(name: str) -> list[str]:
    """The words of a contact name that can stand for the person: capitalised, two letters+.

    "Maya Cohen" gives Maya and Cohen; "Mum ❤️" gives Mum; "Ann (work)" gives only Ann.
    """
    return [word for word in WORD.findall(name) if len(word) >= 2 and word[0].isupper()]


@dataclass
class Redactor:
    """Replaces private details, numbering placeholders in order of first appearance."""

    people: dict[int, list[str]]
    """Names and aliases of everyone but you, by person id."""
    mine: Iterable[str] = ()
    """Your own names and aliases: never replaced."""
    lists: WordLists = field(default_factory=WordLists)
    pending: list[Replacement] = field(default_factory=list)
    """Replacements made since the caller last took them."""
    numbers: dict[str, dict[object, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.never = {word.casefold() for word in self.lists.never}
        own = {part.casefold() for name in self.mine for part in WORD.findall(name)}
        self.words: dict[str, int] = {}
        for person in sorted(self.people):
            for name in self.people[person]:
                for part in name_parts(name):
                    key = part.casefold()
                    if key not in own and key not in self.never:
                        self.words.setdefault(key, person)
        self.word_keys = frozenset(self.words)
        always = sorted(
            {w for w in self.lists.always if w.casefold() not in self.never},
            key=lambda w: (-len(w), w.casefold()),
        )
        self.always = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(word) for word in always) + r")(?!\w)",
                re.IGNORECASE,
            )
            if always
            else None
        )
        self.region = self.lists.phone_region
        for kind in KINDS:
            self.numbers.setdefault(kind, {})

    def placeholder(self, kind: str, key: object) -> str:
        """The placeholder for one thing, the same every time it is asked for."""
        numbers = self.numbers[kind]
        number = numbers.get(key)
        if number is None:
            number = numbers[key] = len(numbers) + 1
        return f"<{kind}_{number}>"

    def person(self, person_id: int, name: str, where: str) -> str:
        """The placeholder that stands for a person wherever their name is shown."""
        label = self.placeholder("PERSON", person_id)
        self.pending.append(Replacement(label, "PERSON", name, where))
        return label

    def redact(self, text: str, where: str) -> str:
        """`text` with every private detail replaced; each replacement recorded in `pending`."""
        spans: list[tuple[int, int, str, object]] = []
        if "@" in text:
            spans += [
                (m.start(), m.end(), "EMAIL", m.group().casefold()) for m in EMAIL.finditer(text)
            ]
        if "://" in text or "www." in text.lower():
            for m in URL.finditer(text):
                url = m.group().rstrip(_TRAILING)
                spans.append((m.start(), m.start() + len(url), "URL", url))
        if DIGITS.search(text):
            spans += self._numbers(text)
        if self.always is not None:
            spans += [
                (m.start(), m.end(), "PRIVATE", m.group().casefold())
                for m in self.always.finditer(text)
            ]
        if self.word_keys and not self.word_keys.isdisjoint(WORD.findall(text.casefold())):
            spans += self._names(text)
        if not spans:
            return text
        return self._apply(text, spans, where)

    def _numbers(self, text: str) -> list[tuple[int, int, str, object]]:
        found: list[tuple[int, int, str, object]] = []
        for m in IBAN.finditer(text):
            if iban_ok(m.group()):
                found.append((m.start(), m.end(), "IBAN", m.group().replace(" ", "")))
        for m in CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if luhn(digits):
                found.append((m.start(), m.end(), "CARD", digits))
        for match in phonenumbers.PhoneNumberMatcher(text, self.region):
            key = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            found.append((match.start, match.end, "PHONE", key))
        return found

    def _names(self, text: str) -> list[tuple[int, int, str, object]]:
        found: list[tuple[int, int, str, object]] = []
        for m in WORD.finditer(text):
            person = self.words.get(m.group().casefold())
            if person is None:
                continue
            if found and found[-1][3] == person and not text[found[-1][1] : m.start()].strip():
                found[-1] = (found[-1][0], m.end(), "PERSON", person)
            else:
                found.append((m.start(), m.end(), "PERSON", person))
        return found

    def _apply(self, text: str, spans: list[tuple[int, int, str, object]], where: str) -> str:
        # Earlier and longer spans win; a name inside an email stays part of the email.
        spans.sort(key=lambda span: (span[0], -span[1], KINDS.index(span[2])))
        pieces: list[str] = []
        position = 0
        for start, end, kind, key in spans:
            if start < position:
                continue
            original = text[start:end]
            if original.casefold() in self.never:
                continue
            label = self.placeholder(kind, key)
            self.pending.append(Replacement(label, kind, original, where))
            pieces.append(text[position:start])
            pieces.append(label)
            position = end
        pieces.append(text[position:])
        return "".join(pieces)
