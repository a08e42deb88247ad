"""A vault with the fixture notes folder and a few journal entries, embedded for real."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from twin.home import Home
from twin.memory.embeddings import Embedder, default_embedder
from twin.memory.store import add_journal_entry, import_notes
from twin.vault import Secret, Vault

FIXTURE_NOTES = Path(__file__).parent / "fixtures" / "notes"

JOURNAL = [
    ("2024-04-01T20:00", "Adopted a grey cat from the shelter today and named her Pixel.", False),
    ("2024-04-12T21:30", "Ran my first 10 km race along the river in 58 minutes.", False),
    (
        "2024-05-03T22:10",
        "The password hint for the old laptop is the name of the street where grandma lived "
        "followed by the year we moved.",
        True,
    ),
]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """all-MiniLM-L6-v2, loaded once for the whole test session."""
    return default_embedder()


@pytest.fixture
def notes_folder(tmp_path: Path) -> Path:
    """A copy of the fixture notes folder, free to edit."""
    return Path(shutil.copytree(FIXTURE_NOTES, tmp_path / "notes"))


@pytest.fixture
def vault(tmp_home: Home) -> Iterator[Vault]:
    with Vault.create(tmp_home, Secret(passphrase=PASSPHRASE)) as opened:
        yield opened


@pytest.fixture
def memory_vault(vault: Vault, notes_folder: Path, embedder: Embedder) -> Vault:
    """The vault holding the fixture notes and journal, indexed."""
    import_notes(vault, notes_folder, embedder)
    for moment, text, private in JOURNAL:
        add_journal_entry(
            vault, text, embedder, private=private, when=datetime.fromisoformat(moment)
        )
    return vault
