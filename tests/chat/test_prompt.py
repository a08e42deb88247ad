"""One prompt layout: persona, the memory slot the dataset builder reuses, the conversation."""

from __future__ import annotations

from twin.memory.recall import Passage
from twin.persona.persona import Persona
from twin.persona.prompt import NO_MEMORY, build_messages, memory_block


def passage(text: str, source: str, date: str) -> Passage:
    return Passage(1, source, date, "", "", text, False, 0.0, 0.0, False, "note", 1)


def test_memory_block_numbers_passages_with_date_and_source() -> None:
    block = memory_block(
        [
            passage("Adopted a cat\nnamed Pixel.", "journal", "2024-04-01T20:00:00"),
            passage("Hiked Trolltunga.", "markdown: trips/norway.md", "2023-07-14"),
        ]
    )
    assert block.splitlines() == [
        "What you remember (from your own journal and notes):",
        "[1] 2024-04-01 (journal): Adopted a cat named Pixel.",
        "[2] 2023-07-14 (markdown: trips/norway.md): Hiked Trolltunga.",
    ]


def test_without_passages_the_memory_slot_says_there_is_nothing() -> None:
    assert memory_block([]) == NO_MEMORY


def test_messages_put_persona_and_memory_in_the_system_turn() -> None:
    messages = build_messages(
        Persona("Sam", "A nurse.", ["I have a beagle."]),
        [passage("Pastel is a beagle.", "journal", "2025-01-01")],
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hey"},
            {"role": "user", "content": "dog?"},
        ],
    )
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    system = messages[0]["content"]
    assert system.startswith("You are Sam.")
    assert "- I have a beagle." in system
    assert "[1] 2025-01-01 (journal): Pastel is a beagle." in system
    assert system.endswith("Be brief.")


def test_persona_survives_its_editable_text_form() -> None:
    persona = Persona("Sam Rivera", "Nurse in Lisbon.", ["I play cello.", "I run: slowly."])
    assert Persona.from_text("# a comment\n" + persona.to_text()) == persona
