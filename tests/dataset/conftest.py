"""Small vaults for dataset tests, filled by direct inserts or from the WhatsApp fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from twin.dataset.build import build_dataset
from twin.dataset.options import BuildOptions
from twin.dataset.store import read_text
from twin.home import Home
from twin.vault.collect import import_file
from twin.vault.key import Secret
from twin.vault.vault import Vault

FIXTURES = Path(__file__).parent / "fixtures"
START = datetime(2024, 3, 1, 9, 0)


class Chat:
    """Writes messages straight into a vault: ``chat.say("Maya", "hi", minutes=5)``."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.people: dict[str, int] = {}
        self.conversations: dict[str, int] = {}
        self.moment = START
        self.count = 0
        db = vault.db
        db.execute(
            "INSERT INTO imports (id, source, importer_version, file_name, file_sha256, "
            "imported_at, rules) VALUES (1, 'whatsapp', '1', 'test', 'x', '2024-01-01', '{}')"
        )

    def person(self, name: str, me: bool = False) -> int:
        if name not in self.people:
            person = self.vault.db.execute(
                "INSERT INTO people (name, is_me) VALUES (?, ?)", (name, int(me))
            ).lastrowid
            assert person is not None
            self.vault.db.execute(
                "INSERT INTO aliases (person_id, source, alias) VALUES (?, 'whatsapp', ?)",
                (person, name),
            )
            self.people[name] = person
        return self.people[name]

    def conversation(self, title: str, group: bool = False, source: str = "whatsapp") -> int:
        if title not in self.conversations:
            found = self.vault.db.execute(
                "INSERT INTO conversations (source, external_id, title, is_group) "
                "VALUES (?, ?, ?, ?)",
                (source, title, title, int(group)),
            ).lastrowid
            assert found is not None
            self.conversations[title] = found
        return self.conversations[title]

    def say(
        self,
        sender: str | None,
        text: str,
        *,
        chat: str = "Maya",
        after: timedelta = timedelta(minutes=1),
        kind: str = "text",
        group: bool = False,
    ) -> int:
        self.moment += after
        self.count += 1
        stamp = self.moment.isoformat()
        message = self.vault.db.execute(
            "INSERT INTO messages (uid, conversation_id, sender_id, sent_at, sort_key, kind, "
            "text, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            (
                f"m{self.count}",
                self.conversation(chat, group),
                self.person(sender, me=sender == "Sam") if sender else None,
                stamp,
                stamp,
                kind,
                text,
            ),
        ).lastrowid
        assert message is not None
        return message


@pytest.fixture
def vault(tmp_home: Home) -> Iterator[Vault]:
    """An empty vault in the test's home."""
    with Vault.create(tmp_home, Secret(passphrase="test passphrase")) as opened:
        yield opened


@pytest.fixture
def chat(vault: Vault) -> Chat:
    return Chat(vault)


@pytest.fixture
def imported(vault: Vault) -> Vault:
    """A vault holding the WhatsApp fixtures: a chat with Maya Cohen and a family group."""
    for path in sorted(FIXTURES.glob("WhatsApp Chat with *.txt")):
        import_file(vault, path, me="Sam")
    return vault


Build = Callable[..., dict[str, Any]]


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def sealed_lines(vault: Vault, name: str, file: str) -> list[dict[str, Any]]:
    """The JSON lines of one file of a (sealed) dataset."""
    return [json.loads(line) for line in read_text(vault, name, file).splitlines()]


@pytest.fixture
def build(vault: Vault) -> Build:
    """Build a dataset with these options; return its stats, train and val examples."""

    def run(**options: Any) -> dict[str, Any]:
        options.setdefault("val_fraction", 0.0)
        built = build_dataset(vault, BuildOptions(**options))
        return {
            "stats": built.stats,
            "folder": built.folder,
            "train": sealed_lines(vault, built.folder.name, "train.jsonl"),
            "val": sealed_lines(vault, built.folder.name, "val.jsonl"),
        }

    return run


def opened(home: Home, name: str, file: str) -> str:
    """One file of a sealed dataset, opened with the test passphrase."""
    with Vault.open(home, Secret(passphrase="test passphrase")) as vault:
        return read_text(vault, name, file)


def exported(home: Home, name: str, destination: Path) -> Path:
    """Plain copies of a dataset's files, as `twin dataset export` writes them."""
    from twin.dataset.store import export_dataset

    with Vault.open(home, Secret(passphrase="test passphrase")) as vault:
        export_dataset(vault, name, destination)
    return destination
