"""The guards: claims about the user need a source; private entries never leave verbatim."""

from __future__ import annotations

import pytest

from twin.chat.guards import ABSTAIN, Guards, is_claim_about_user, specifics
from twin.memory.embeddings import Embedder
from twin.memory.recall import Passage
from twin.persona.persona import Persona

PRIVATE = (
    "The password hint for the old laptop is the name of the street where grandma lived "
    "followed by the year we moved."
)


def passage(text: str, source: str = "journal", private: bool = False) -> Passage:
    return Passage(1, source, "2024-04-01", "", "", text, private, 0.03, 0.6, True, "note", 1)


@pytest.fixture
def guards(embedder: Embedder) -> Guards:
    return Guards(
        embedder,
        [
            passage("Adopted a grey cat from the shelter today and named her Pixel."),
            passage("Started learning the cello in March. My teacher is called Ines."),
        ],
        Persona("Sam", "I am a nurse in Lisbon.", ["I have one sister, Maya."]),
        [PRIVATE],
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "My cat is called Pixel.",
        "I adopted a grey cat from the shelter.",
        "I'm learning the cello and my teacher is Ines.",
        "I work as a nurse in Lisbon.",
        "My sister is Maya.",
    ],
)
def test_a_supported_claim_is_kept(guards: Guards, sentence: str) -> None:
    kept, verdicts = guards.check(sentence)
    assert kept
    assert [(v.guard, v.kept) for v in verdicts] == [("grounding", True)]
    assert verdicts[0].source is not None


@pytest.mark.parametrize(
    "sentence",
    [
        "I have a brother named Tom who lives in Berlin.",
        "I took a pottery class last year.",
        "My cello teacher is called Marco.",  # close in meaning, but the name is invented
        "My cat is 12 years old.",  # a number no source gives
        "the concert is on saturday 18 at 12:00.",  # no "I", but a date no source gives
    ],
)
def test_an_unsupported_claim_is_flagged_and_removed(guards: Guards, sentence: str) -> None:
    kept, verdicts = guards.check(sentence)
    assert not kept
    assert verdicts[0].guard == "grounding"
    assert not verdicts[0].kept
    assert guards.closing() == ABSTAIN


@pytest.mark.parametrize(
    "sentence",
    ["Hello there!", "I'd love to help!", "I don't remember that.", "Do I have a cat?", "Yes."],
)
def test_small_talk_questions_and_abstentions_are_not_claims(sentence: str) -> None:
    assert not is_claim_about_user(sentence)


def test_specifics_are_names_and_numbers_but_not_the_first_word() -> None:
    assert specifics("Yesterday I met Tom in Berlin at 7.") == {"tom", "berlin", "7"}


def test_a_private_entry_quoted_at_length_is_blocked(guards: Guards) -> None:
    kept, verdicts = guards.check(
        "Well, the name of the street where grandma lived followed by the year we moved."
    )
    assert not kept
    assert [(v.guard, v.kept) for v in verdicts] == [("leak", False)]


def test_a_leak_split_across_two_sentences_is_blocked(guards: Guards) -> None:
    assert guards.check("It is the name of the street.")[0]
    kept, verdicts = guards.check("Where grandma lived, you know.")
    assert not kept and verdicts[0].guard == "leak"


def test_seven_words_of_a_private_entry_may_pass(guards: Guards) -> None:
    kept, _ = guards.check("Something about the street where grandma lived.")
    assert kept


def test_a_date_a_source_gives_is_kept_without_first_person(embedder: Embedder) -> None:
    concert = passage("Concert: 13 December, parish hall in Alvalade. Arrive at 17:00.")
    guards = Guards(embedder, [concert], Persona("Sam", "", []), [])
    kept, verdicts = guards.check("The concert is on 13 December, arrive at 17:00.")
    assert kept and verdicts[0].guard == "grounding" and verdicts[0].kept
