"""The memory commands: journal, notes, recall, memory index, and what `twin forget` reaches."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import PASSPHRASE
from twin.home import Home
from twin.vault import Secret, Vault

Twin = Callable[..., Result]
TELEGRAM = Path(__file__).parents[1] / "fixtures" / "telegram" / "single_chat.json"


def counts(home: Home) -> dict[str, int]:
    with Vault.open(home, Secret(passphrase=PASSPHRASE)) as vault:
        return {
            table: vault.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("notes", "chunks", "chunk_vectors", "imports")
        }


def test_journal_add_from_argument_and_stdin_then_list(twin: Twin, vault_home: Home) -> None:
    twin("journal", "add", "Planted basil on the balcony.")
    twin("journal", "add", "--private", input="Told nobody about the new job offer.\n")
    entries = json.loads(twin("journal", "list", "--json").stdout)
    assert [(e["text"], e["private"]) for e in entries] == [
        ("Told nobody about the new job offer.", True),
        ("Planted basil on the balcony.", False),
    ]


def test_recall_json_gives_source_date_and_passage(
    twin: Twin, vault_home: Home, notes_folder: Path
) -> None:
    assert "6 new" in twin("notes", "import", str(notes_folder)).stdout
    hits = json.loads(twin("recall", "sourdough starter name", "--json", "-n", "2").stdout)
    assert hits[0]["source"] == "tiddlywiki: wiki/Sourdough.tid"
    assert hits[0]["date"].startswith("2024-01-05")
    assert "Bubbles" in hits[0]["passage"]


def test_importing_a_notes_folder_again_adds_nothing(
    twin: Twin, vault_home: Home, notes_folder: Path
) -> None:
    twin("notes", "import", str(notes_folder))
    before = counts(vault_home)
    assert "0 new, 0 updated, 6 unchanged" in twin("notes", "import", str(notes_folder)).stdout
    after = counts(vault_home)
    assert {k: after[k] for k in ("notes", "chunks")} == {k: before[k] for k in ("notes", "chunks")}


def test_importing_a_moved_notes_folder_adds_nothing(
    twin: Twin, vault_home: Home, notes_folder: Path, tmp_path: Path
) -> None:
    twin("notes", "import", str(notes_folder))
    before = counts(vault_home)
    (tmp_path / "elsewhere").mkdir()
    moved = notes_folder.rename(tmp_path / "elsewhere" / "my notes")

    assert "0 new, 0 updated, 6 unchanged" in twin("notes", "import", str(moved)).stdout
    assert counts(vault_home)["notes"] == before["notes"]


def test_an_edited_note_is_updated_in_place(
    twin: Twin, vault_home: Home, notes_folder: Path
) -> None:
    twin("notes", "import", str(notes_folder))
    note = next(notes_folder.rglob("norway.md"))
    note.write_text(note.read_text(encoding="utf-8") + "\nWe saw reindeer.\n", encoding="utf-8")

    assert "0 new, 1 updated, 5 unchanged" in twin("notes", "import", str(notes_folder)).stdout
    assert "reindeer" in twin("recall", "reindeer", "--json").stdout


def test_notes_forget_by_import_takes_notes_passages_and_record(
    twin: Twin, vault_home: Home, notes_folder: Path
) -> None:
    twin("notes", "import", str(notes_folder))
    twin("journal", "add", "Cat is called Pixel.")
    twin("recall", "Pixel")  # indexes the entry
    twin("notes", "forget", "--import", "1", "--yes")
    assert counts(vault_home) == {"notes": 1, "chunks": 1, "chunk_vectors": 1, "imports": 0}
    twin("journal", "forget", "--all", "--yes")
    assert json.loads(twin("recall", "cat", "--json").stdout) == []


def test_forgetting_chats_keeps_notes_and_removes_indexed_messages(
    twin: Twin, vault_home: Home, notes_folder: Path
) -> None:
    twin("notes", "import", str(notes_folder))
    twin("import", str(TELEGRAM))
    notes_only = counts(vault_home)
    twin("memory", "index", "--messages")
    assert counts(vault_home)["chunks"] > notes_only["chunks"]

    result = twin("forget", "--source", "telegram", "--yes")

    assert "recall passages of those messages" in result.stdout
    after = counts(vault_home)
    assert after["chunks"] == after["chunk_vectors"] == notes_only["chunks"]
    assert after["notes"] == notes_only["notes"] == 6
    assert after["imports"] == 1  # the notes import stays; the telegram one is gone


def test_journal_import_reads_json_lines(twin: Twin, vault_home: Home, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    journal.write_text(
        '{"date": "2025-01-02T10:00:00+00:00", "text": "Bought running shoes.", "private": false}\n'
        '{"date": "2025-01-03T10:00:00+00:00", "text": "Secret plan.", "private": true}\n',
        encoding="utf-8",
    )
    assert "2 new" in twin("journal", "import", str(journal)).stdout
    assert "0 new" in twin("journal", "import", str(journal)).stdout
    entries = json.loads(twin("journal", "list", "--json").stdout)
    assert [(e["text"], e["private"]) for e in entries] == [
        ("Secret plan.", True),
        ("Bought running shoes.", False),
    ]


def test_export_includes_notes_and_journal(twin: Twin, vault_home: Home, tmp_path: Path) -> None:
    twin("journal", "add", "Planted basil on the balcony.")
    twin("export", str(tmp_path / "all.jsonl"))
    lines = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    notes = [line for line in lines if line["type"] == "note"]
    assert [(n["kind"], n["text"]) for n in notes] == [("journal", "Planted basil on the balcony.")]


def test_a_journal_entry_is_saved_at_once_and_recalled_after(twin: Twin, vault_home: Home) -> None:
    twin("journal", "add", "Made a walnut cake for Maya's birthday.")
    assert counts(vault_home)["notes"] == 1
    assert counts(vault_home)["chunks"] == 0  # no model loaded to save it

    found = json.loads(twin("recall", "walnut cake", "--json").stdout)

    assert "walnut cake" in found[0]["passage"]
    assert counts(vault_home)["chunks"] == 1


def test_recall_marks_this_weeks_entry_as_used_by_twin_ask(twin: Twin, vault_home: Home) -> None:
    twin("journal", "add", "--date", "2024-04-01", "Adopted a grey cat and named her Pixel.")
    twin("journal", "add", "Made a walnut cake for Ann's birthday.")
    hits = json.loads(twin("recall", "what did I make this week?", "--json").stdout)
    assert hits[0]["passage"] == "Made a walnut cake for Ann's birthday."
    assert hits[0]["used_by_twin"] and hits[0]["in_asked_time"]
    assert not hits[1]["in_asked_time"]
