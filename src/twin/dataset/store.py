"""The datasets in the twin home: list, read, copy out, delete, and forget with the vault."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from twin.hookspecs import hookimpl
from twin.dataset.options import check_name
from twin.errors import TwinError
from twin.home import Home
from twin.vault.forget import Forgotten
from twin.vault.vault import Vault

EXPORTED = ("train.jsonl", "val.jsonl", "notes.jsonl", "card.md", "stats.json", "lengths.png")


def dataset_names(home: Home) -> list[str]:
    """Every built dataset, by name."""
    if not home.datasets.is_dir():
        return []
    return sorted(
        path.name
        for path in home.datasets.iterdir()
        if path.is_dir() and not path.name.startswith(".") and (path / "stats.json").is_file()
    )


def load_stats(home: Home, name: str) -> dict[str, Any]:
    """A dataset's stats.json, or a clear error naming the datasets there are."""
    path = home.datasets / check_name(name) / "stats.json"
    if not path.is_file():
        known = ", ".join(dataset_names(home)) or "none yet"
        raise TwinError(f"no dataset named {name!r} (datasets: {known})")
    stats: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return stats


def delete_dataset(home: Home, name: str) -> Path:
    load_stats(home, name)
    folder = home.datasets / name
    shutil.rmtree(folder)
    return folder


def export_dataset(home: Home, name: str, destination: Path) -> list[Path]:
    """Copy a dataset's files (not the redaction review, which holds the originals) out."""
    load_stats(home, name)
    destination.mkdir(parents=True, exist_ok=True)
    copied = []
    for file in EXPORTED:
        source = home.datasets / name / file
        if source.is_file():
            copied.append(Path(shutil.copyfile(source, destination / file)))
    return copied


@hookimpl(specname="forget_derived")
def forget_datasets(vault: Vault, gone: Forgotten) -> None:
    """Delete every dataset built from a conversation or note that `forget` touched."""
    if not gone.conversation_ids and not gone.note_ids:
        return
    for name in dataset_names(vault.home):
        try:
            stats = load_stats(vault.home, name)
            chats = set(stats["conversation_ids"])
            notes = set(stats.get("notes", {}).get("ids", []))
        except (ValueError, KeyError, TypeError, AttributeError, TwinError):
            chats, notes = gone.conversation_ids, gone.note_ids  # can't tell: forgetting wins
        if chats & gone.conversation_ids or notes & gone.note_ids:
            shutil.rmtree(vault.home.datasets / name)
            gone.derived.append(f"dataset {name} (it held records now forgotten)")
