"""Fact questions from the fixture notes, journal and persona, with the right answers."""

from __future__ import annotations

from twin.evaluate import facts
from twin.persona.persona import load_persona
from twin.vault import Vault


def test_questions_come_from_the_notes_with_the_right_expected_answers(
    person_vault: Vault,
) -> None:
    found = {q.text: q for q in facts.vault_questions(person_vault, load_persona(person_vault))}
    assert found["Who is my dog?"].expected == "Biscuit"
    assert found["What did I note about Vet visit (Pets)?"].expected == "12 March 2024"
    assert found["What did I note about Weight (Pets)?"].expected == "9.5 kg"
    neighbour = 'Who in my notes on Pets is described as "the neighbour"?'
    assert found[neighbour].expected == "Rosalind Pike"
    assert found[neighbour].topic == "Pets"
    journal = [q for q in found.values() if q.topic == "journal"]
    assert [q.expected for q in journal] == ["14"]
    assert "___ km along the river" in journal[0].text
    persona = [q for q in found.values() if q.topic == "persona"]
    assert any(q.expected == "Tomas" for q in persona)


def test_private_entries_give_no_question(person_vault: Vault) -> None:
    questions = facts.vault_questions(person_vault, load_persona(person_vault))
    assert not any("flower pot" in q.text for q in questions)


def test_unanswerable_questions_swap_in_a_name_the_vault_never_mentions(
    person_vault: Vault,
) -> None:
    questions = facts.vault_questions(person_vault, load_persona(person_vault))
    names = facts.absent_names(person_vault)
    assert names and all(not facts.mentioned(person_vault, name) for name in names)
    assert facts.mentioned(person_vault, "Biscuit") and facts.mentioned(person_vault, "Ana")
    swapped = facts.unanswerable(questions, names, facts.known_entities(person_vault))
    assert swapped and all(not q.answerable for q in swapped)
    assert all(any(name in q.text for name in names) for q in swapped)
    assert 'Who in my notes on Gustavo is described as "the neighbour"?' in {
        q.text for q in swapped
    }


def test_answers_are_matched_normalised_and_abstentions_recognised() -> None:
    assert facts.answered("It was on march 12th, 2024!", "12 March 2024")
    assert facts.answered("Her name is Rosalind Pike.", "rosalind pike")
    assert not facts.answered("It was in April 2024.", "12 March 2024")
    assert facts.abstains("I don't remember.")
    assert facts.abstains("no idea, sorry")
    assert not facts.abstains("Gustavo is my cousin.")


def test_spread_asks_every_topic_before_repeating_one() -> None:
    questions = [facts.Question(f"q{i}", "a", topic) for i, topic in enumerate("aaabbc")]
    assert [q.topic for q in facts.spread(questions, 4)] == ["a", "b", "c", "a"]
    questions.append(facts.Question("j", "a", "journal"))
    assert [q.topic for q in facts.spread(questions, 3)] == ["journal", "a", "b"]
