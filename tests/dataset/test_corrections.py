"""Corrections and accepted drafts become training examples; the memory slot fits the row."""

from __future__ import annotations

import json
from pathlib import Path

from tests.dataset.conftest import Build, imported
from tests.dataset.test_qa import notes_vault
from tests.memory.conftest import embedder, vault
from twin.chat.feedback import record_feedback
from twin.dataset.memory_slot import relevant_part
from twin.dataset.store import REVIEW, read_text
from twin.memory.embeddings import Embedder
from twin.memory.store import import_notes
from twin.persona.prompt import RULE
from twin.vault import Vault

__all__ = ["embedder", "imported", "vault"]

DINNER = [{"role": "user", "content": "want to grab dinner?"}]


def test_corrections_and_accepted_drafts_train_and_the_card_counts_them(
    imported: Vault, build: Build
) -> None:
    before = build(name="before", val_fraction=0.3)
    record_feedback(
        imported, context=DINNER, reply="I don't remember.", verdict="bad", correction="bora! 8?"
    )
    record_feedback(
        imported, context=[{"role": "user", "content": "hey!"}], reply="heyy", verdict="good",
        source="expand",
    )  # fmt: skip
    record_feedback(imported, context=DINNER, reply="no", verdict="bad")  # a thumb alone: no
    after = build(name="after", val_fraction=0.3)

    assert len(after["train"]) == len(before["train"]) + 2
    assert after["val"] == before["val"]  # never held out
    added = [e["messages"] for e in after["train"][-2:]]
    assert [m[-1]["content"] for m in added] == ["bora! 8?", "heyy"]
    assert added[0][-2] == {"role": "user", "content": "want to grab dinner?"}
    assert added[0][0]["role"] == "system"
    corrections = after["stats"]["corrections"]
    assert (corrections["corrected"], corrections["accepted"]) == (1, 1)
    card = read_text(imported, "after", "card.md")
    assert "2 of the training examples are your corrections" in card


def test_a_redaction_in_a_correction_or_a_generated_answer_is_in_the_review(
    imported: Vault, build: Build, embedder: Embedder, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "Orchestra.md").write_text(
        "# Orchestra\n\n## Winter concert\n- **13 December** at the hall, tickets from "
        "box.office@orquestra.example\n",
        encoding="utf-8",
    )
    import_notes(imported, folder, embedder)
    record_feedback(
        imported, context=DINNER, reply="no", verdict="bad", correction="ask zoe@mail.example"
    )
    built = build(name="mine", val_fraction=0.3)
    train = json.dumps(built["train"])
    assert "box.office@orquestra.example" not in train and "zoe@mail.example" not in train
    assert built["stats"]["examples"]["generated"] > 0
    review = read_text(imported, "mine", REVIEW)
    answer = [r for r in review.splitlines() if "box.office@orquestra.example" in r]
    assert any("generated answer" in row for row in answer)
    assert any("zoe@mail.example" in row and "feedback" in row for row in review.splitlines())


def test_the_memory_slot_is_given_only_where_it_fits_the_row(
    imported: Vault, build: Build, embedder: Embedder, tmp_path: Path
) -> None:
    notes_vault(imported, embedder, tmp_path)
    roomy = build(name="roomy", memory=True, memory_tokens=4000, qa=False)
    tight = build(name="tight", memory=True, memory_tokens=30, qa=False)
    off = build(name="off", memory=False, qa=False)
    slots = [e["messages"][0]["content"].endswith(RULE) for e in roomy["train"]]
    assert roomy["stats"]["examples"]["memory"] == len(roomy["train"]) and all(slots)
    assert tight["stats"]["examples"]["memory"] == 0
    assert [e["messages"][1:] for e in tight["train"]] == [e["messages"][1:] for e in off["train"]]
    assert [e["messages"][0] for e in tight["train"]] == [e["messages"][0] for e in off["train"]]


def test_the_slot_keeps_the_line_that_shares_most_words_with_what_was_said() -> None:
    text = "## Winter concert\n- **13 December**, parish hall\n- Arrive at 17:00, black clothes"
    assert relevant_part(text, "what time do we arrive?") == "- Arrive at 17:00, black clothes"
    assert relevant_part(text, "hello") == "## Winter concert"  # nothing shared: the first
    long = "One sentence about cats. " * 3 + "The concert is on Friday. " + "x " * 200
    assert relevant_part(long, "when is the concert", limit=60) == "The concert is on Friday."


def test_a_correction_whose_recalled_passages_overflow_the_row_trains_without_them(
    vault: Vault,
) -> None:
    from twin.dataset.corrections import correction_examples
    from twin.dataset.tokens import CharacterEstimate

    books = [{"role": "user", "content": "any book recommendations?"}]
    record_feedback(
        vault, context=books, reply="no", verdict="bad", correction="i'm so slow ahah, one sec"
    )
    slot = "Recalled: " + "a long note about every book I read this year. " * 20

    def system(query: str) -> str:  # the slot for a query, persona and rule alone for none
        return f"You are Sam. {slot if query else ''}Rule."

    def keep(text: str, _where: str) -> str:
        return text

    made, used = correction_examples(
        vault, system, keep, CharacterEstimate(), me="Sam", max_tokens=60
    )
    assert [c.reply for c in used] == ["i'm so slow ahah, one sec"]
    [example] = made
    assert example.system.text == "You are Sam. Rule."
    assert [line.text for line in example.context] == ["any book recommendations?"]
    roomy, _ = correction_examples(
        vault, system, keep, CharacterEstimate(), me="Sam", max_tokens=999
    )
    assert slot in roomy[0].system.text  # the slot where it fits


def test_eval_checks_only_the_corrections_the_run_s_dataset_trained_on(
    imported: Vault, build: Build
) -> None:
    from twin.evaluate.corrections import given_before

    record_feedback(imported, context=DINNER, reply="no", verdict="bad", correction="bora! 8?")
    build(name="mine")
    hey = [{"role": "user", "content": "hey!"}]
    record_feedback(imported, context=hey, reply="Hello.", verdict="bad", correction="heyy")
    assert [c.reply for c in given_before(imported, None, 10, "mine")] == ["bora! 8?"]
    assert [c.reply for c in given_before(imported, None, 10)] == ["bora! 8?", "heyy"]
