"""People only your notes, journal and persona name are known to the redactor; words stay words."""

from __future__ import annotations

import json

from tests.dataset.conftest import Build, Chat
from twin.dataset.note_people import people_in_notes, with_people_in_notes
from twin.dataset.redaction import Redactor
from twin.memory.store import add_journal_entry
from twin.persona.persona import Persona, save_persona
from twin.vault.vault import Vault

ENTRIES = [
    "Maya, my sister, lives in Berlin with Tim. Mãe and pai are in Porto; called mãe today.",
    "Orchestra: Marta Vidal, conductor. Quartet at Bernardo's with Leonor, once a month.",
    "Vet with Pastel, my beagle. Dra. Sofia Almeida says he's fine. Next to Duarte, who rushes.",
    "Coach/physio Paulo helps Inês. Lisbon in March; Tuesdays are rehearsals in Porto.",
]


def write_notes(vault: Vault) -> None:
    for text in ENTRIES:
        add_journal_entry(vault, text, None)
    facts = ["My colleague Carla swaps shifts with me.", "I live in Lisbon."]
    save_persona(vault, Persona(name="Sam Rivera", bio="A nurse in Lisbon.", facts=facts))


def test_people_your_notes_name_are_found_by_what_is_said_around_them(vault: Vault) -> None:
    write_notes(vault)
    found = people_in_notes(vault, known=["Maya Rivera", "Inês Costa"], mine=["Sam Rivera"])
    assert found == [
        "Bernardo",
        "Carla",
        "Duarte",
        "Leonor",
        "Marta Vidal",
        "Paulo",
        "Sofia Almeida",
        "Tim",
    ]  # not Maya or Inês (known), mãe and pai (words too), Pastel (a dog), places, days


def test_a_person_only_your_notes_name_is_redacted_in_any_case(vault: Vault) -> None:
    write_notes(vault)
    people = with_people_in_notes(vault, {7: ["Maya Rivera"]}, ["Sam Rivera"])
    assert people[7] == ["Maya Rivera"] and min(set(people) - {7}) > 7
    redactor = Redactor(people, mine=["Sam Rivera"])
    assert redactor.redact("marta moved me, ask tim. mãe says hi, pastel too", "x") == (
        "<PERSON_1> moved me, ask <PERSON_2>. mãe says hi, pastel too"
    )
    assert redactor.redact("Maya and Vidal", "x") == "<PERSON_3> and <PERSON_1>"


def test_no_notes_add_no_one(vault: Vault) -> None:
    assert people_in_notes(vault, known=[], mine=["Sam"]) == []
    assert with_people_in_notes(vault, {2: ["Bo"]}, ["Sam"]) == {2: ["Bo"]}


def test_a_dataset_build_redacts_people_only_your_notes_name(
    vault: Vault, chat: Chat, build: Build
) -> None:
    add_journal_entry(vault, "Dinner with Maya and her partner Tim, who cooked.", None)
    chat.person("Sam", me=True)
    chat.say("Maya", "are you coming tonight?")
    chat.say("Sam", "yes! tell tim i'm bringing dessert")
    text = json.dumps(build()["train"], ensure_ascii=False)
    assert "bringing dessert" in text
    assert "tim" not in text.casefold()
