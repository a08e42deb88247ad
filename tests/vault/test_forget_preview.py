"""What `twin forget` says it will delete is exactly what it deletes, for every criterion."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.vault.helpers import ANN, ANN_LATER, BO
from twin.errors import TwinError
from twin.home import Home
from twin.memory.store import add_journal_entry
from twin.vault import Secret, Vault
from twin.vault.collect import import_file
from twin.vault.forget import forget
from twin.vault.forget_preview import preview_forget

GROUP = """\
1/20/24, 7:00 PM - Ann: band practice at mine?
1/20/24, 7:01 PM - Bo: I'll bring the drums
1/20/24, 7:02 PM - Sam: see you both
2/20/24, 7:00 PM - Cy: can I join?
"""
"""A group chat: forgetting Ann or Bo takes their lines from it, not the whole group."""


@pytest.fixture
def vault(tmp_home: Home, tmp_path: Path) -> Iterator[Vault]:
    """Two one-to-one chats (one imported twice), a group, and journal entries either side of
    a day."""
    group = tmp_path / "WhatsApp Chat with The Band.txt"
    group.write_text(GROUP, encoding="utf-8")
    with Vault.create(tmp_home, Secret(passphrase="forget tests")) as opened:
        import_file(opened, ANN, me="Sam")
        import_file(opened, ANN_LATER)
        import_file(opened, BO)
        import_file(opened, group)
        for day, text in [(10, "Ann lent me her bike."), (25, "Bo's choir concert.")]:
            when = datetime(2024, 1, day, 20, 0).astimezone()
            add_journal_entry(opened, text, None, when=when)
        yield opened


CRITERIA: list[dict[str, Any]] = [
    {"contact": "Ann"},
    {"contact": "bo"},
    {"conversation": "The Band"},
    {"conversation": "Ann"},
    {"source": "whatsapp"},
    {"source": "journal"},
    {"import_id": 2},
    {"import_id": 4},
    {"before": date(2024, 1, 16)},
    {"before": date(2024, 1, 20)},
    {"contact": "Bo", "before": date(2024, 1, 16)},
    {"conversation": "The Band", "import_id": 2, "source": "journal"},
]


@pytest.mark.parametrize(
    "criteria", CRITERIA, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items())
)
def test_the_preview_is_what_forget_deletes(vault: Vault, criteria: dict[str, Any]) -> None:
    said = preview_forget(vault, **criteria)
    assert said.messages or said.notes, "each case forgets something"
    left_before = vault.counts()
    gone = forget(vault, **criteria)
    assert (gone.messages, gone.conversations, gone.notes) == (
        said.messages,
        said.conversations,
        said.notes,
    )
    assert gone.conversation_ids == said.conversation_ids
    assert gone.note_ids == said.note_ids
    left = vault.counts()
    assert left["messages"] == left_before["messages"] - said.messages
    assert left["conversations"] == left_before["conversations"] - said.conversations


def test_forgetting_a_contact_takes_their_lines_from_a_group_not_the_group(vault: Vault) -> None:
    said = preview_forget(vault, contact="Bo")
    gone = forget(vault, contact="Bo")
    assert said.messages == gone.messages == 4  # three in their own chat, one in the group
    assert said.conversations == gone.conversations == 1
    texts = [row[0] for row in vault.db.execute("SELECT text FROM messages")]
    assert "see you both" in texts and "I'll bring the drums" not in texts


def test_unknown_criteria_are_refused_by_both_alike(vault: Vault) -> None:
    refused: list[dict[str, Any]] = [
        {"contact": "Zed"},
        {"conversation": "Nope"},
        {"import_id": 99},
        {},
    ]
    for criteria in refused:
        with pytest.raises(TwinError) as previewed:
            preview_forget(vault, **criteria)
        with pytest.raises(TwinError) as forgotten:
            forget(vault, **criteria)
        assert str(previewed.value) == str(forgotten.value)
