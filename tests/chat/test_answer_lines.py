"""Which line of the recalled passages answers a fact question."""

from __future__ import annotations

from twin.chat.answers import find_answer
from twin.memory.recall import Passage


def passage(title: str, text: str, source: str = "markdown") -> Passage:
    return Passage(
        abs(hash(text)) % 1000, f"{source}: {title}.md", "2025-09-01", title, title, text,
        False, 0.03, 0.6, True, "note", 1,
    )  # fmt: skip


def test_the_line_holding_the_quoted_words_answers() -> None:
    club = passage(
        "Running Club",
        "Small group Inês started at the end of August.\n- **Inês Costa**: started it.",
    )
    found = find_answer('Who in my notes on Running Club is described as "started it"?', [club])
    assert found is not None and found.text == "Inês Costa: started it."


def test_a_relative_no_one_else_owns_in_the_persons_notes_is_theirs() -> None:
    family = passage("About me", "- **Mãe and pai** in Porto\n- Mãe's birthday: 18 October.")
    journal = passage("Journal", "Mãe's birthday in Porto. Pai made a bowl.", "journal")
    found = find_answer("What did I note about Mãe's birthday (About me)?", [journal, family])
    assert found is not None and found.text == "Mãe's birthday: 18 October."
    other = passage("Orchestra", "- Bernardo's brother may film it on 13 December")
    assert find_answer("when is my brother's film?", [other]) is None
