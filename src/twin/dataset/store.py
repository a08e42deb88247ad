"""The datasets in the twin home, kept sealed: list, read, copy out, delete, forget with the vault.

A dataset folder ``$TWIN_HOME/datasets/NAME/`` holds only sealed files (``train.jsonl.sealed``,
``stats.json.sealed``…, see `twin.vault.sealed`), each under its own key derived from the vault
key, so a dataset is as private as the vault it came from. They are opened in memory; plain
copies exist only where `export_dataset` writes them, on the user's request.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from twin.atomic import write_file
from twin.dataset.options import check_name
from twin.errors import TwinError
from twin.home import Home
from twin.hookspecs import hookimpl
from twin.vault.forget import Forgotten
from twin.vault.sealed import SUFFIX
from twin.vault.vault import Vault

EXPORTED = ("train.jsonl", "val.jsonl", "notes.jsonl", "card.md", "stats.json", "lengths.png")
"""What `export_dataset` writes in the clear; the redaction review stays sealed behind."""
REVIEW = "redactions.tsv"


def file_label(name: str, file: str) -> str:
    """The label a dataset file is sealed under: moving it elsewhere makes it unreadable."""
    return f"datasets/{name}/{file}"


def sealed_path(folder: Path, file: str) -> Path:
    return folder / (file + SUFFIX)


def _finish_interrupted_swaps(home: Home) -> None:
    """Put back a dataset whose replacement was cut short between its two renames."""
    for old in home.datasets.glob(".*.old"):
        name = old.name[1 : -len(".old")]
        if old.is_dir() and not (home.datasets / name).exists():
            old.rename(home.datasets / name)


def dataset_names(home: Home) -> list[str]:
    """Every built dataset, by name."""
    if not home.datasets.is_dir():
        return []
    _finish_interrupted_swaps(home)
    return sorted(
        path.name
        for path in home.datasets.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and sealed_path(path, "stats.json").is_file()
    )


def _folder(home: Home, name: str) -> Path:
    folder = home.datasets / check_name(name)
    if home.datasets.is_dir():
        _finish_interrupted_swaps(home)
    if not sealed_path(folder, "stats.json").is_file():
        known = ", ".join(dataset_names(home)) or "none yet"
        raise TwinError(f"no dataset named {name!r} (datasets: {known})")
    return folder


def has_file(home: Home, name: str, file: str) -> bool:
    return sealed_path(home.datasets / check_name(name), file).is_file()


def read_file(vault: Vault, name: str, file: str) -> bytes:
    """One file of dataset `name`, decrypted in memory."""
    folder = _folder(vault.home, name)
    return vault.sealer.open_bytes(sealed_path(folder, file), file_label(name, file))


def read_text(vault: Vault, name: str, file: str) -> str:
    return read_file(vault, name, file).decode("utf-8")


def load_stats(vault: Vault, name: str) -> dict[str, Any]:
    """A dataset's statistics, or a clear error naming the datasets there are."""
    stats: dict[str, Any] = json.loads(read_text(vault, name, "stats.json"))
    return stats


def read_review(vault: Vault, name: str) -> list[dict[str, str]]:
    """Every replacement redaction made: placeholder, kind, original, where (in memory only)."""
    text = read_text(vault, name, REVIEW)
    lines = text.splitlines()
    header = lines[0].split("\t") if lines else []
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:] if line]


def delete_dataset(home: Home, name: str) -> Path:
    folder = _folder(home, name)
    shutil.rmtree(folder)
    return folder


def export_dataset(vault: Vault, name: str, destination: Path) -> list[Path]:
    """Write a dataset's files to `destination` in the clear (not the redaction review).

    This is the one way a dataset leaves its seal: for other trainers, on the user's request.
    """
    folder = _folder(vault.home, name)
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for file in EXPORTED:
        if not sealed_path(folder, file).is_file():
            continue
        data = read_file(vault, name, file)

        def write(tmp: Path, data: bytes = data) -> None:
            tmp.write_bytes(data)

        write_file(destination / file, write)
        written.append(destination / file)
    return written


def referenced_records(vault: Vault, name: str) -> tuple[set[int], set[int]]:
    """The conversations and notes dataset `name` was built from."""
    stats = load_stats(vault, name)
    return set(stats["conversation_ids"]), set(stats.get("notes", {}).get("ids", []))


def check_datasets(vault: Vault) -> list[str]:
    """What is wrong with the datasets: files that don't open, records that are gone."""
    problems = []
    conversations = {row[0] for row in vault.db.execute("SELECT id FROM conversations")}
    notes = {row[0] for row in vault.db.execute("SELECT id FROM notes")}
    for name in dataset_names(vault.home):
        try:
            for file in sorted(p.name for p in (vault.home.datasets / name).iterdir()):
                if file.endswith(SUFFIX):
                    read_file(vault, name, file.removesuffix(SUFFIX))
            chats, used_notes = referenced_records(vault, name)
        except (TwinError, ValueError, KeyError, TypeError) as error:
            problems.append(f"dataset {name}: {error}")
            continue
        if chats - conversations or used_notes - notes:
            problems.append(
                f"dataset {name}: built from {len(chats - conversations)} conversations and "
                f"{len(used_notes - notes)} notes no longer in the vault; delete it or build again"
            )
    return problems


def unsealed_files(home: Home) -> list[Path]:
    """Files in dataset folders that are not sealed (left by an older twin, or put there)."""
    if not home.datasets.is_dir():
        return []
    return sorted(
        path
        for path in home.datasets.rglob("*")
        if path.is_file()
        and path.suffix != SUFFIX
        # a build cut short leaves its staging folder: its files are sealed streams too
        and not any(part.startswith(".") for part in path.relative_to(home.datasets).parts)
    )


@hookimpl(specname="forget_derived")
def forget_datasets(vault: Vault, gone: Forgotten) -> None:
    """Delete every dataset built from a conversation or note that `forget` touched."""
    if not gone.conversation_ids and not gone.note_ids:
        return
    for name in dataset_names(vault.home):
        try:
            chats, notes = referenced_records(vault, name)
        except (ValueError, KeyError, TypeError, AttributeError, TwinError):
            chats, notes = gone.conversation_ids, gone.note_ids  # can't tell: forgetting wins
        if chats & gone.conversation_ids or notes & gone.note_ids:
            shutil.rmtree(vault.home.datasets / name)
            gone.derived.append(f"dataset {name} (it held records now forgotten)")


