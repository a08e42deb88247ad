"""Generated QA examples: answers taken from the notes, laid out with chat's memory slot."""

from __future__ import annotations

import json
from pathlib import Path

from tests.dataset.conftest import Build, imported
from tests.memory.conftest import embedder, vault
from twin.dataset.memory_slot import MemorySlot
from twin.dataset.qa import QA_SHARE, candidate_questions, qa_examples, questions_for
from twin.dataset.store import read_text
from twin.memory.embeddings import Embedder
from twin.memory.store import import_notes
from twin.persona.prompt import MEMORY_HEADER, RULE
from twin.vault import Vault

__all__ = ["embedder", "imported", "vault"]

ORCHESTRA = """# Orchestra

## Winter concert
- **13 December**, parish hall in Alvalade
- Arrive at 17:00, black clothes, no perfume

## People
- **Marta Vidal**, conductor. Strict, funny when she isn't stressed.
"""
SECRET = """---
private: true
---
# Secret
## Surprise party
- 20 March at Tasca do Chico
"""


class Words:
    def count(self, text: str) -> int:
        return len(text.split())


def notes_vault(vault: Vault, embedder: Embedder, tmp_path: Path) -> Vault:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "Orchestra.md").write_text(ORCHESTRA, encoding="utf-8")
    (folder / "Secret.md").write_text(SECRET, encoding="utf-8")
    import_notes(vault, folder, embedder)
    return vault


def test_questions_follow_what_the_line_holds() -> None:
    asked = questions_for("13 December, parish hall in Alvalade", "winter concert")
    assert asked == ["when is the winter concert?", "where is the winter concert?"]
    assert questions_for("Marta Vidal, conductor.", "people") == ["who is Marta Vidal?"]
    assert questions_for("no perfume", "winter concert") == []


def test_examples_carry_the_answer_from_the_note_and_the_memory_slot(
    vault: Vault, embedder: Embedder, tmp_path: Path
) -> None:
    notes_vault(vault, embedder, tmp_path)
    memory = MemorySlot(vault, "Sam", lambda text, _where: text, embedder)
    examples = qa_examples(
        vault, memory, Words(), limit=10, max_tokens=2000, setting="You are Sam."
    )
    by_question = {e.context[-1].text: e for e in examples}
    when = by_question["when is the winter concert?"]
    assert when.target.text == "13 December, parish hall in Alvalade"
    assert when.target.role == "assistant" and when.context[-1].role == "user"
    system = when.system.text
    assert MEMORY_HEADER in system and RULE in system and "13 December" in system
    assert by_question["what time is the winter concert?"].target.text.startswith("Arrive at 17:00")
    assert by_question["who is Marta Vidal?"].target.text.startswith("Marta Vidal, conductor")


def test_private_notes_never_become_examples(
    vault: Vault, embedder: Embedder, tmp_path: Path
) -> None:
    notes_vault(vault, embedder, tmp_path)
    assert all("Tasca" not in q.answer for q in candidate_questions(vault))


def test_a_limit_and_the_row_length_are_kept(
    vault: Vault, embedder: Embedder, tmp_path: Path
) -> None:
    notes_vault(vault, embedder, tmp_path)
    memory = MemorySlot(vault, "Sam", lambda text, _where: text, embedder)
    assert len(qa_examples(vault, memory, Words(), limit=1, max_tokens=2000, setting="")) == 1
    assert qa_examples(vault, memory, Words(), limit=10, max_tokens=20, setting="") == []


def test_a_build_mixes_in_generated_examples_for_training_only(
    imported: Vault, build: Build, embedder: Embedder, tmp_path: Path
) -> None:
    notes_vault(imported, embedder, tmp_path)

    mixed = build(name="mixed", val_fraction=0.3)
    plain = build(name="plain", val_fraction=0.3, qa=False)

    generated = mixed["stats"]["examples"]["generated"]
    assert 0 < generated <= QA_SHARE * plain["stats"]["examples"]["train"]
    assert plain["stats"]["examples"]["generated"] == 0
    assert len(mixed["train"]) == len(plain["train"]) + generated
    assert mixed["val"] == plain["val"]
    answers = [example["messages"][-1]["content"] for example in mixed["train"][-generated:]]
    assert "13 December, parish hall in Alvalade" in answers
    assert "Tasca do Chico" not in json.dumps(mixed["train"])
    card = read_text(imported, "mixed", "card.md")
    assert f"{generated} of the training examples are generated" in card
