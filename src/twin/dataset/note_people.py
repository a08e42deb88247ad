"""People your notes, journal and persona name who never wrote to you: the redactor's to know.

A chat names people who are not in the vault as senders ("Marta moved me to the second desk"),
and your notes often say who they are ("Marta Vidal, conductor"). A capitalised word in a note
is taken for a person only where something around it says it is someone:

* a title before it: ``Dr``, ``Dra.``, ``Mrs``, ``Prof``… ("Dra. Sofia Almeida");
* a relation or a role beside it: "my sister Maya", "Coach/physio Paulo", "Marta Vidal,
  conductor", "Bernardo's brother";
* ``with`` before it ("lives in Neukölln with Tim"), ``, who`` after it ("Duarte, who rushes"),
  a verb of saying or asking after it ("Marta said"), or ``'s place`` / ``at …'s`` ("at
  Bernardo's");
* ``and`` joining it to someone known ("Bernardo and Leonor", "Maya and Tim").

It is not taken when it is a common word, a month or a day, one of your own names, a word your
notes also write in lower case (so "mãe" and "pai", written both ways, stay words), or the name
of a pet or a thing ("Pastel, my beagle", "her labrador Rosie", "Bolota, my starter").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from twin.dataset.common_words import is_common
from twin.dataset.redaction import WORD, fold
from twin.persona.persona import load_persona
from twin.vault.vault import Vault

TITLES = "Dr|Dra|Drs|Mr|Mrs|Ms|Mx|Miss|Prof|Profa|Sr|Sra|Srta|Dona|Herr|Frau|Mme|Mlle|Dott|Sig"
KIN = (
    "sister|brother|sis|bro|mum|mom|mother|dad|father|wife|husband|partner|girlfriend|"
    "boyfriend|fiancée?|ex|friend|bestie|cousin|aunt|auntie|uncle|niece|nephew|son|daughter|"
    "grandma|grandmother|grandpa|grandfather|granny|gran|godmother|godfather|irmã|irmão|mãe|"
    "pai|amiga|amigo|namorada|namorado|prima|primo|tia|tio|avó|avô|hermana|hermano|madre|"
    "padre|novia|novio|schwester|bruder|freundin|freund|sœur|frère|amie|ami"
)
ROLES = (
    "boss|manager|colleague|coworker|co-worker|neighbou?r|flatmate|roommate|housemate|"
    "classmate|teammate|coach|physio|teacher|tutor|doctor|dentist|therapist|vet|nurse|"
    "conductor|mentor|landlord|landlady|chefe|colega|vizinha|vizinho|jefe"
)
RELATIONS = f"{KIN}|{ROLES}"
ANIMALS = (
    "dog|puppy|pup|cat|kitten|kitty|beagle|labrador|lab|terrier|spaniel|poodle|collie|"
    "retriever|bulldog|pug|dachshund|husky|horse|pony|rabbit|bunny|hamster|parrot|budgie|"
    "tortoise|turtle|fish|goldfish|pet|starter|plant|car|bike|cão|cadela|gato|gata|perro|"
    "perra|chien|chat|hund|katze"
)
"""What a named pet (or a named thing: a sourdough starter, a car) is called: not a person."""
SAYING = (
    "said|says|asked|asks|told|tells|texted|called|wants|wanted|thinks|thought|"
    "helps|helped|made|makes|replied|wrote|messaged|suggested|insisted"
)
SOMEONES = "place|house|flat|home|birthday|wedding|party|kids|dog|cat|car"
"""Things a person's possessive names: "Bernardo's place", "Joana's birthday"."""
NOT_NAMES = frozenset(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays
    thursdays fridays saturdays sundays today tomorrow yesterday christmas easter
    janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro
    segunda terça quarta quinta sexta sábado domingo
    """.split()  # noqa: SIM905 (a word list reads best as words)
)

_NAME = r"(?<![^\W\d_])[^\W\d_]+(?:['\u2019-](?!s\b)[^\W\d_]+)*"
_FULL = rf"(?P<name>{_NAME}(?:[ ]{_NAME})?)"
_AFTER_CUE = [
    re.compile(rf"\b(?:{TITLES})\.?[ ]+{_FULL}"),
    re.compile(
        rf"\b(?:my|our|his|her|their|minha|meu|mi|ma|mon|meine?)[ ]+(?:{RELATIONS})"
        rf",?[ ]+{_FULL}",
        re.IGNORECASE,
    ),
    re.compile(rf"\b(?:{RELATIONS})(?:/(?:{RELATIONS}))*[ ]+{_FULL}", re.IGNORECASE),
    re.compile(rf"\b(?:with|com|con|avec|mit)[ ]+{_FULL}"),
    re.compile(rf"\bat[ ]+(?P<name>{_NAME})['\u2019]s\b"),
]
"""Cues a name follows ("Dra. Sofia Almeida", "with Tim"): the name starts right after."""
_BEFORE_CUE = [
    re.compile(rf"{_FULL}\**,[ ]*(?:my|our|his|her|their)[ ]+(?:{RELATIONS})\b"),
    re.compile(rf"{_FULL}\**,[ ]*(?:(?:the|a|an)[ ]+)?(?:{ROLES}|who)\b"),
    re.compile(rf"{_FULL}[ ]+(?:{SAYING})\b"),
    re.compile(rf"{_FULL}['\u2019]s[ ]+(?:{SOMEONES}|{RELATIONS})\b", re.IGNORECASE),
]
"""Cues that follow a name ("Duarte, who", "Marta said"): the name ends right before."""
_NAMED_THING = [
    re.compile(rf"{_FULL}\**,?[ ]+(?:my|our|his|her|their|the|a|an)[ ]+(?:{ANIMALS})\b", re.I),
    re.compile(rf"\b(?:{ANIMALS})[ ]+{_FULL}", re.IGNORECASE),
]
"""A name beside an animal or a thing ("Pastel, my beagle", "her labrador Rosie")."""
_AND = re.compile(rf"(?P<a>{_NAME})(?:['\u2019]s)?[ ]+(?:and|&|e|y|et|und)[ ]+(?P<b>{_NAME})")


def _texts(vault: Vault) -> Iterator[str]:
    """Every note and journal entry, and the persona: what you wrote about your life."""
    for title, text in vault.db.execute("SELECT title, text FROM notes"):
        yield f"{title}\n{text}"
    persona = load_persona(vault)
    yield "\n".join([persona.bio, *persona.facts])


def people_in_notes(vault: Vault, known: Iterable[str], mine: Iterable[str]) -> list[str]:
    """Names of people your notes mention, besides those `known` (names) and you (`mine`).

    Each is a name as written first ("Marta Vidal"); one whose every part is already known is
    left out, so a person keeps one placeholder.
    """
    texts = list(_texts(vault))
    lower = {fold(w) for text in texts for w in WORD.findall(text) if w.islower()}
    own = {fold(part) for name in mine for part in WORD.findall(name)}
    known_parts = {fold(p) for name in known for p in WORD.findall(name) if p[:1].isupper()}
    things = {
        fold(word)
        for text in texts
        for cue in _NAMED_THING
        for m in cue.finditer(text)
        for word in m.group("name").split(" ")
    }

    def person_like(word: str) -> bool:
        key = fold(word)
        return (
            len(word) >= 2
            and word[0].isupper()
            and not word.isupper()
            and not is_common(word)
            and key not in NOT_NAMES
            and key not in lower
            and key not in own
            and key not in things
        )

    found: dict[str, str] = {}
    """Folded first part -> the name as first written."""
    for text in texts:
        for cues, after in ((_AFTER_CUE, True), (_BEFORE_CUE, False)):
            for cue in cues:
                for m in cue.finditer(text):
                    words = m.group("name").split(" ")
                    while words and not person_like(words[-1 if after else 0]):
                        words.pop(-1 if after else 0)  # "Tim has", "next to Duarte"
                    if words and all(person_like(w) for w in words):
                        found.setdefault(fold(words[0]), " ".join(words))
    people = known_parts | set(found)
    for _ in range(3):  # "Bernardo and Leonor": someone known and someone beside them
        for text in texts:
            for m in _AND.finditer(text):
                a, b = m.group("a"), m.group("b")
                for one, other in ((a, b), (b, a)):
                    if fold(one) in people and person_like(other) and fold(other) not in people:
                        found.setdefault(fold(other), other)
                        people.add(fold(other))
    return [
        name
        for key, name in sorted(found.items())
        if not {fold(p) for p in WORD.findall(name)} <= known_parts and key not in known_parts
    ]


def with_people_in_notes(
    vault: Vault, people: dict[int, list[str]], mine: Iterable[str]
) -> dict[int, list[str]]:
    """`people` (the redactor's, by person id) with those only your notes name added, each under
    an id after every real person's."""
    known = [name for names in people.values() for name in names]
    first = max(people, default=0) + 1_000_000
    added = people_in_notes(vault, known, mine)
    return people | {first + n: [name] for n, name in enumerate(added)}
