"""Replacing private details by consistent placeholders, and recording every replacement.

What is replaced: email addresses, phone numbers (found by the ``phonenumbers`` library), URLs,
payment card numbers (Luhn-checked), IBANs (mod-97-checked), the names of the other people in
your vault (their names and aliases, matched whole-word, ignoring case and accents: "inês",
"Ines" and "INÊS" are Inês), and anything on your always-redact list. A name part that is also
an ordinary word ("Will", "May", "Rose", or one you write as a word yourself) is replaced only
where it names the person ("hi May", "I saw Will"), never as the word ("will do", "a rose").
``<PERSON_1>`` is the same person everywhere in a dataset; the same email is always
``<EMAIL_1>``. Your own name is never replaced. Every replacement is written to the
review file with the original, its placeholder, its kind and where it was.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers

from twin.dataset.common_words import GREETINGS, NAME_WORDS, is_common
from twin.dataset.wordlists import WordLists
from twin.vault.vault import Vault

KINDS = ("EMAIL", "URL", "IBAN", "CARD", "PHONE", "PRIVATE", "PERSON")
"""Kinds of placeholder, in the order they win when two overlap at the same place."""

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
DIGITS = re.compile(r"\d[\d\s().+/-]{5,}\d")
"""Cheap test for text that might hold a card, an IBAN or a phone number."""
WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
PHONE_SHAPES = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(?\d{1,5}\)?){2,6}"  # +44 7700 900461, 0044 7700 900461
    r"|\(?0\d{2,5}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}"  # 07700 900461, (020) 7946 0018
    r"|\(\d{3}\)[ ]?\d{3}[ .-]\d{4}"  # (555) 123-4567
    r"|\d{3}[.-]\d{3}[.-]\d{4}"  # 555-123-4567, 555.123.4567
    r")(?![\w])"
)
"""Phone numbers as people write them, whatever country they belong to."""
DATE_LIKE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
LEFTOVER_PHONE = re.compile(r"(?<![\w<])\+?\d(?:[ .()-]{0,2}\d){7,14}(?![\w>])")
LEFTOVER_EMAIL = re.compile(
    r"[\w.+-]+\s?(?:@|\(at\)|\[at\])\s?[\w-]+(?:\s?(?:\.|\(dot\))\s?[\w-]+)+"
)
_TRAILING = ".,;:!?)]}'\""
POSSESSIVE = ("'s", "\u2019s")
"""The endings that make a name possessive; the name before them is still the person."""
_POSSESSIVE = re.compile(r"['\u2019]s(?!\w)")
_MARKS = re.compile(r"[\u0300-\u036f]+")
"""Combining accents, as NFD spells them apart from their letter."""


def fold(text: str) -> str:
    """`text` as names are compared: without case or accents ("Inês", "INES", "ines" are one)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFD", folded)))


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

    "Maya Cohen" gives Maya and Cohen; "Ann (work)" gives only Ann; "Mum ❤️", "The Guys" and
    "Pizza To Go" give nothing, as their words are ordinary words (the whole name as written
    still stands for them).
    """
    return [
        word
        for word in WORD.findall(name)
        if len(word) >= 2 and word[0].isupper() and not is_common(word)
    ]


def _phone_key(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if text.lstrip().startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


def _names_the_person(text: str, start: int, end: int) -> bool:
    """Whether a capitalised common word at text[start:end] is used as a name there.

    It is when it is capitalised but not the first word of a sentence ("I saw Will"), when a
    greeting comes before it ("Hi May", "thanks Grace"), or when it stands alone as the whole
    message or before a comma that opens it ("Mark, are you in?").
    """
    word = text[start:end]
    if not word[:1].isupper() or (word.isupper() and len(word) > 1):
        return False
    before = text[:start].rstrip()
    previous = WORD.findall(before[-20:])
    if previous and previous[-1].casefold() in GREETINGS:
        return True
    sentence_start = not before or before[-1] in ".!?\n\"'(:;\u201c"
    if not sentence_start:
        return True
    after = text[end:].lstrip()
    return not after or after[0] in ",!?"


@dataclass
class Redactor:
    """Replaces private details, numbering placeholders in order of first appearance."""

    people: dict[int, list[str]]
    """Names and aliases of everyone but you, by person id."""
    mine: Iterable[str] = ()
    """Your own names and aliases: never replaced."""
    lists: WordLists = field(default_factory=WordLists)
    vocabulary: Iterable[str] = ()
    """Words you write in lower case yourself: a name part among them is an ordinary word too."""
    region: str | None = None
    """The country whose local phone numbers are recognised without a prefix."""
    pending: list[Replacement] = field(default_factory=list)
    """Replacements made since the caller last took them."""
    numbers: dict[str, dict[object, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.never = {fold(word) for word in self.lists.never}
        own = {fold(part) for name in self.mine for part in WORD.findall(name)}
        vocabulary = {fold(word) for word in self.vocabulary}
        self.words: dict[str, int] = {}
        """Distinctive name parts (folded), matched whole-word in any case and accents."""
        self.name_words: dict[str, int] = {}
        """Name parts that are also ordinary words: matched only where they name the person."""
        phrases: dict[str, int] = {}
        for person in sorted(self.people):
            for name in self.people[person]:
                words = WORD.findall(name)
                if len(words) > 1 and any(w[:1].isupper() for w in words):
                    phrases.setdefault(" ".join(words), person)
                for part in name_parts(name):
                    key = fold(part)
                    if key in own or key in self.never:
                        continue
                    if key in NAME_WORDS or key in vocabulary:
                        self.name_words.setdefault(key, person)
                    else:
                        self.words.setdefault(key, person)
        self.word_keys = frozenset(self.words) | frozenset(self.name_words)
        self.phrases = (
            re.compile(
                r"(?<!\w)(?:"
                + "|".join(
                    r"\W+".join(re.escape(w) for w in phrase.split())
                    for phrase in sorted(phrases, key=lambda p: (-len(p), p))
                )
                + r")(?!\w)"
            )
            if phrases
            else None
        )
        self.phrase_person = phrases
        self.leftovers: dict[str, int] = {"PHONE": 0, "EMAIL": 0}
        self.replaced: dict[str, int] = {}
        """Replacements made, by kind (occurrences, not distinct things)."""
        always = sorted(
            {w for w in self.lists.always if fold(w) not in self.never},
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
        self.region = phone_region(self.region, self.lists, ())
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
        if self.word_keys and not self.word_keys.isdisjoint(
            WORD.findall(_POSSESSIVE.sub("", fold(text)))
        ):
            spans += self._names(text)
        if self.phrases is not None:
            spans += [
                (
                    m.start(),
                    m.end(),
                    "PERSON",
                    self.phrase_person[" ".join(WORD.findall(m.group()))],
                )
                for m in self.phrases.finditer(text)
                if " ".join(WORD.findall(m.group())) in self.phrase_person
            ]
        if not spans:
            self._count_leftovers(text)
            return text
        redacted = self._apply(text, spans, where)
        self._count_leftovers(redacted)
        return redacted

    def _count_leftovers(self, text: str) -> None:
        """Count what still looks like a phone number or an email after redaction."""
        if any(char.isdigit() for char in text):
            for m in LEFTOVER_PHONE.finditer(text):
                if not DATE_LIKE.fullmatch(m.group()) and not _is_time_or_amount(m.group()):
                    self.leftovers["PHONE"] += 1
        if "@" in text or "(at)" in text or "[at]" in text:
            self.leftovers["EMAIL"] += len(LEFTOVER_EMAIL.findall(text))

    def _numbers(self, text: str) -> list[tuple[int, int, str, object]]:
        found: list[tuple[int, int, str, object]] = []
        for m in IBAN.finditer(text):
            if iban_ok(m.group()):
                found.append((m.start(), m.end(), "IBAN", m.group().replace(" ", "")))
        for m in CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if luhn(digits):
                found.append((m.start(), m.end(), "CARD", digits))
        taken: list[tuple[int, int]] = []
        matcher = phonenumbers.PhoneNumberMatcher(
            text, self.region, leniency=phonenumbers.Leniency.POSSIBLE
        )
        for match in matcher:
            if DATE_LIKE.fullmatch(match.raw_string):
                continue
            key = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            found.append((match.start, match.end, "PHONE", key))
            taken.append((match.start, match.end))
        for m in PHONE_SHAPES.finditer(text):
            if any(start <= m.start() < end for start, end in taken):
                continue
            count = sum(char.isdigit() for char in m.group())
            if not 8 <= count <= 15 or DATE_LIKE.fullmatch(m.group()):
                continue
            found.append((m.start(), m.end(), "PHONE", self._shape_key(m.group())))
        return found

    def _shape_key(self, written: str) -> str:
        """The same key for one number however it is written, where phonenumbers can parse it."""
        candidate = "+" + re.sub(r"\D", "", written)[2:] if written.startswith("00") else written
        try:
            number = phonenumbers.parse(candidate, self.region)
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            return _phone_key(written)

    def _names(self, text: str) -> list[tuple[int, int, str, object]]:
        found: list[tuple[int, int, str, object]] = []
        for m in WORD.finditer(text):
            key, end = fold(m.group()), m.end()
            if key not in self.word_keys and key[-2:] in POSSESSIVE:  # "Inês's"
                key, end = key[:-2], end - 2
            person = self.words.get(key)
            if person is None:
                person = self.name_words.get(key)
                if person is None or not _names_the_person(text, m.start(), end):
                    continue
            if found and found[-1][3] == person and not text[found[-1][1] : m.start()].strip():
                found[-1] = (found[-1][0], end, "PERSON", person)
            else:
                found.append((m.start(), end, "PERSON", person))
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
            if fold(original) in self.never:
                continue
            label = self.placeholder(kind, key)
            self.pending.append(Replacement(label, kind, original, where))
            self.replaced[kind] = self.replaced.get(kind, 0) + 1
            pieces.append(text[position:start])
            pieces.append(label)
            position = end
        pieces.append(text[position:])
        return "".join(pieces)


def _is_time_or_amount(text: str) -> bool:
    """Digits that are a clock time, a price or a plain count rather than a phone number."""
    return bool(re.fullmatch(r"[\d,.]+", text)) and ("," in text or "." in text)


def own_number_region(names: Iterable[str]) -> str | None:
    """The country of your own phone number, where a source names you by it (WhatsApp does)."""
    for name in names:
        if not name.lstrip().startswith("+"):
            continue
        try:
            number = phonenumbers.parse(name, None)
        except phonenumbers.NumberParseException:
            continue
        region = phonenumbers.region_code_for_country_code(number.country_code or 0)
        if region and region != "ZZ":
            return str(region)
    return None


def phone_region(chosen: str | None, lists: WordLists, my_names: Iterable[str]) -> str:
    """The region for numbers without a prefix: chosen, else your lists, number, locale, US."""
    from twin.dataset.wordlists import DEFAULT_REGION, locale_region

    region = chosen or lists.phone_region or own_number_region(my_names) or locale_region()
    region = (region or DEFAULT_REGION).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        from twin.errors import TwinError

        raise TwinError(f"unknown phone region {region!r}: use a country code such as GB or BR")
    return region


def own_vocabulary(vault: Vault, me_ids: Iterable[int], parts: Iterable[str]) -> set[str]:
    """The name parts you yourself use as ordinary words ("will", "rose", "field"), folded.

    A part is one when you write it in lower case at least twice in messages you write with
    capitals (their first letter is one). Lower case in a message that starts in lower case
    says nothing: someone who writes "maya says hi" writes names in lower case too, and a name
    written so is still the person's.
    """
    me = sorted(set(me_ids))
    if not me:
        return set()
    marks = ",".join("?" * len(me))
    found = set()
    for part in sorted({fold(p) for p in parts}):
        rows = vault.db.execute(
            "SELECT m.text FROM messages_fts f JOIN messages m ON m.id = f.rowid "
            f"WHERE messages_fts MATCH ? AND m.sender_id IN ({marks}) LIMIT 200",
            ('"' + part.replace('"', '""') + '"', *me),
        )
        uses = sum(
            1
            for (text,) in rows
            if _starts_capitalised(text)
            for m in WORD.finditer(text)
            if m.group().islower() and fold(m.group()) == part
        )
        if uses >= 2:
            found.add(part)
    return found


def _starts_capitalised(text: str) -> bool:
    """Whether the first letter of `text` is a capital."""
    first = next((char for char in text if char.isalpha()), "")
    return first.isupper()
