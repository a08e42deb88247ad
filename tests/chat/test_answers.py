"""Fact questions answered with the line of a recalled passage that holds the answer."""

from __future__ import annotations

import pytest

from twin.chat.answers import find_answer, question_kind
from twin.memory.recall import Passage
from twin.persona.persona import Persona

ORCHESTRA = (
    "- **13 December**, parish hall in Alvalade\n"
    "- Arrive at 17:00, black clothes, no perfume\n"
    "- Maya wants a recording; Bernardo's brother may film it"
)
ABOUT = (
    "- **Maya**, my sister, 2 years older. Software engineer in Berlin.\n"
    "- Live in Arroios, Lisbon, since 2022"
)
CAR = "Rui picks me up at 19:15 on Tuesdays; the car radio is broken so we sing."


def passage(text: str, title: str, heading: str = "", private: bool = False) -> Passage:
    return Passage(
        1,
        f"markdown: {title}.md",
        "2025-09-09",
        title,
        heading,
        text,
        private,
        0.03,
        0.6,
        True,
        "note",
        1,
    )


PASSAGES = [
    passage(ORCHESTRA, "Orchestra", "Winter concert"),
    passage(ABOUT, "About me", "Family"),
    passage(CAR, "Orchestra", "People"),
]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("when is the orchestra concert?", "13 December, parish hall in Alvalade."),
        ("where is the winter concert?", "13 December, parish hall in Alvalade."),
        ("what time do I arrive for the concert?", "Arrive at 17:00, black clothes, no perfume."),
        ("what is my sister's name?", "Maya, my sister, 2 years older."),
        ("where do I live?", "Live in Arroios, Lisbon, since 2022."),
    ],
)
def test_the_answering_line_is_found(question: str, expected: str) -> None:
    answer = find_answer(question, PASSAGES)
    assert answer is not None and answer.text == expected


@pytest.mark.parametrize(
    "question",
    [
        "what is my brother's name?",  # only Bernardo's brother is in the notes
        "what is my car's licence plate?",  # a car is, its plate isn't
        "when is my dentist appointment?",
        "where did I go to university?",
    ],
)
def test_nothing_answers_what_the_notes_dont_say(question: str) -> None:
    assert find_answer(question, PASSAGES) is None


def test_a_private_entry_is_never_quoted() -> None:
    secret = passage(
        "- **13 December**, parish hall in Alvalade", "Orchestra", "Winter concert", private=True
    )
    assert find_answer("when is the orchestra concert?", [secret]) is None


def test_a_persona_fact_answers_about_a_relative() -> None:
    persona = Persona("Sam", "", ["My brother is called Rui."])
    answer = find_answer("what is my brother's name?", [], persona)
    assert answer is not None and answer.source == "persona" and "Rui" in answer.text


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("when is the orchestra concert?", "when"),
        ("what day are rehearsals?", "when"),
        ("where do I live?", "where"),
        ("what is my brother's name?", "who"),
        ("how much does Pastel weigh?", "number"),
        ("do you have a sister?", "yesno"),
        ("where are you?", None),  # talk: no content word
        ("are you free tonight?", None),
        ("how was your day?", None),
        ("what are you up to this weekend?", None),
    ],
)
def test_fact_questions_are_told_from_talk(question: str, kind: str | None) -> None:
    assert question_kind(question) == kind


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who in my notes on Orchestra is described as conductor?", "Marta Vidal, conductor."),
        ('Fill in the blank from my notes: "Arrive at ___, black clothes"', "17:00"),
    ],
)
def test_questions_about_the_notes_in_other_words(question: str, expected: str) -> None:
    people = passage("- **Marta Vidal**, conductor. Strict, funny.", "Orchestra", "People")
    answer = find_answer(question, [*PASSAGES, people])
    assert answer is not None and answer.text == expected


def test_names_nothing_recalled_mentions_are_unknown() -> None:
    from twin.chat.answers import unknown_names

    assert unknown_names("What did I note about Gustavo's birthday?", PASSAGES, None) == {
        "gustavo"
    }
    assert unknown_names("When is the Berlin trip?", PASSAGES, None) == set()
