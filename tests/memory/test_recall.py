"""Recall finds the right passage; the index follows edits and forgetting."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.memory.embeddings import Embedder
from twin.memory.index import index_counts, index_notes
from twin.memory.recall import fuse, keyword_query, recall
from twin.memory.store import add_journal_entry, forget_notes, import_notes, list_notes
from twin.vault import Vault


def count(vault: Vault, table: str) -> int:
    value: int = vault.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return value


def top(vault: Vault, embedder: Embedder, query: str) -> str:
    return recall(vault, embedder, query, 1)[0].text


def test_recall_finds_the_journal_entry_that_answers(
    memory_vault: Vault, embedder: Embedder
) -> None:
    best = recall(memory_vault, embedder, "what is the name of my cat?", 3)[0]
    assert "Pixel" in best.text
    assert best.source == "journal"
    assert best.date.startswith("2024-04-01")


def test_recall_finds_a_section_of_a_note_with_its_heading(
    memory_vault: Vault, embedder: Embedder
) -> None:
    best = recall(memory_vault, embedder, "How long did the Trolltunga hike take?", 3)[0]
    assert best.heading == "Norway trip > Day 2"
    assert best.source == "markdown: trips/norway.md"
    assert "Eleven hours" in best.text


def test_recall_by_meaning_without_shared_words(memory_vault: Vault, embedder: Embedder) -> None:
    assert "cello" in top(memory_vault, embedder, "which musical instrument am I learning")


def test_recall_by_a_rare_word(memory_vault: Vault, embedder: Embedder) -> None:
    assert "Bubbles" in top(memory_vault, embedder, "Bubbles")


def test_user_text_is_never_read_as_search_syntax(memory_vault: Vault, embedder: Embedder) -> None:
    assert recall(memory_vault, embedder, 'cat" OR NEAR(( -* AND', 2)
    assert keyword_query("the of and") is None


def test_reimporting_the_same_folder_adds_nothing(
    memory_vault: Vault, notes_folder: Path, embedder: Embedder
) -> None:
    notes, chunks = count(memory_vault, "notes"), count(memory_vault, "chunks")
    again = import_notes(memory_vault, notes_folder, embedder)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 6)
    assert again.index.added == 0
    assert (count(memory_vault, "notes"), count(memory_vault, "chunks")) == (notes, chunks)


def test_editing_a_note_reembeds_only_the_passage_that_changed(
    memory_vault: Vault, notes_folder: Path, embedder: Embedder
) -> None:
    norway = notes_folder / "trips" / "norway.md"
    norway.write_text(
        norway.read_text(encoding="utf-8").replace("Eleven hours", "Twelve hours"),
        encoding="utf-8",
    )
    again = import_notes(memory_vault, notes_folder, embedder)
    assert (again.added, again.updated) == (0, 1)
    assert (again.index.added, again.index.removed) == (1, 1)
    assert again.index.kept == 1
    assert "Twelve hours" in top(memory_vault, embedder, "Trolltunga hike duration")
    assert count(memory_vault, "chunks") == count(memory_vault, "chunk_vectors")


def test_forgetting_a_note_removes_it_from_recall_with_its_passages_and_vectors(
    memory_vault: Vault, embedder: Embedder
) -> None:
    cello = next(row for row in list_notes(memory_vault) if "cello" in str(row["title"]))
    passages = int(str(cello["passages"]))
    chunks, vectors = count(memory_vault, "chunks"), count(memory_vault, "chunk_vectors")

    gone = forget_notes(memory_vault, note_ids=[int(str(cello["id"]))])

    assert (gone.notes, gone.passages) == (1, passages)
    assert count(memory_vault, "chunks") == chunks - passages
    assert count(memory_vault, "chunk_vectors") == vectors - passages
    assert count(memory_vault, "chunk_embeddings") == vectors - passages
    hits = recall(memory_vault, embedder, "cello teacher Ines", 10)
    assert all("cello" not in hit.text for hit in hits)
    fts = memory_vault.db.execute(
        "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'Ines'"
    ).fetchone()[0]
    assert fts == 0


def test_forgetting_an_import_removes_its_notes_and_its_record(
    memory_vault: Vault, embedder: Embedder
) -> None:
    gone = forget_notes(memory_vault, import_id=1)
    assert (gone.notes, gone.imports) == (6, 1)
    assert count(memory_vault, "imports") == 0
    assert index_counts(memory_vault)["note"] == count(memory_vault, "chunks")
    assert all(hit.source == "journal" for hit in recall(memory_vault, embedder, "sourdough", 5))


def test_rebuilding_the_index_keeps_every_unchanged_vector(
    memory_vault: Vault, embedder: Embedder
) -> None:
    before = count(memory_vault, "chunks")
    with memory_vault.transaction():
        summary = index_notes(memory_vault, embedder)
    assert (summary.added, summary.removed, summary.kept) == (0, 0, before)


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    scores = fuse([1, 2, 3], [3, 1])
    assert max(scores, key=scores.__getitem__) == 1
    assert scores[3] > scores[2]


def test_large_index_path_finds_what_the_exact_path_finds(
    memory_vault: Vault, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = ["what is the name of my cat?", "which musical instrument am I learning"]
    exact = [top(memory_vault, embedder, q) for q in questions]
    monkeypatch.setattr("twin.memory.recall.EXACT_LIMIT", 0)  # as on a million passages
    assert [top(memory_vault, embedder, q) for q in questions] == exact


def test_large_index_path_sees_passages_added_after_its_first_search(
    memory_vault: Vault, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("twin.memory.recall.EXACT_LIMIT", 0)
    assert "Pixel" in top(memory_vault, embedder, "what is the name of my cat?")
    add_journal_entry(memory_vault, "My tortoise is called Ziggy.", embedder)
    assert "Ziggy" in top(memory_vault, embedder, "which reptile lives with me")
