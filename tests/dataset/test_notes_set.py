"""Journal entries and notes become a separate plain-text set, never chat examples."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result
from datasets import load_dataset

from tests.dataset.conftest import exported
from tests.vault.helpers import ANN
from twin.home import Home

Twin = Callable[..., Result]


def test_notes_set_holds_entries_not_private_ones_redacted(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("journal", "add", "Walked with Ann to the zebra crossing and back.")
    twin("journal", "add", "--private", "The thing I never tell anyone.")
    twin("dataset", "build", "--name", "mine", "--no-memory")  # recalled, not a target, with it
    folder = exported(vault_home, "mine", vault_home.path.parent / "plain")
    lines = [json.loads(line) for line in (folder / "notes.jsonl").read_text().splitlines()]
    assert lines == [{"text": "Walked with <PERSON_1> to the zebra crossing and back."}]
    assert (
        load_dataset("json", data_files=str(folder / "notes.jsonl"), split="train")[0] == lines[0]
    )
    train = (folder / "train.jsonl").read_text()
    assert "zebra crossing and back" not in train
    assert "notes.jsonl" in (folder / "card.md").read_text()


def test_no_notes_leaves_the_set_out(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("journal", "add", "A quiet day.")
    twin("dataset", "build", "--name", "chats-only", "--no-notes")
    assert not (vault_home.datasets / "chats-only" / "notes.jsonl.sealed").exists()
    assert (vault_home.datasets / "chats-only" / "train.jsonl.sealed").exists()


def test_forgetting_an_entry_deletes_datasets_that_hold_it(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("journal", "add", "Bought a second-hand cello.")
    twin("dataset", "build", "--name", "mine")
    entry = json.loads(twin("journal", "list", "--json").stdout)[0]["id"]
    result = twin("journal", "forget", str(entry), "--yes")
    assert "dataset mine" in result.stdout
    assert not (vault_home.datasets / "mine").exists()
