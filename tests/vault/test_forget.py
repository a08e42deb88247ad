"""`twin forget` deletes what it says, and the words are gone from the file too."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result

from tests.conftest import PASSPHRASE
from tests.vault.helpers import ANN, ANN_LATER, BO, decrypted_pages
from twin.home import Home
from twin.vault import Secret, Vault

Twin = Callable[..., Result]


def counts(twin: Twin) -> dict[str, int]:
    data = json.loads(twin("stats", "--json").stdout)
    return {k: data[k] for k in ("messages", "conversations", "people", "imports")}


def fts_hits(home: Home, word: str) -> int:
    with Vault.open(home, Secret(passphrase=PASSPHRASE)) as vault:
        hits: int = vault.db.execute(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?", (word,)
        ).fetchone()[0]
    return hits


def test_forget_contact_removes_their_messages_chats_and_them(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), str(BO), "--me", "Sam")
    assert fts_hits(vault_home, "choir") == 1
    result = twin("forget", "--contact", "Bo", "--yes")
    assert "Forgot 3 messages, 0 notes, 1 conversation, 1 person" in result.stdout
    assert counts(twin) == {"messages": 7, "conversations": 1, "people": 2, "imports": 1}
    assert fts_hits(vault_home, "choir") == 0


def test_forget_import_removes_only_what_it_brought(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("import", str(ANN_LATER))
    twin("forget", "--import", "2", "--yes")
    assert counts(twin)["messages"] == 7
    assert fts_hits(vault_home, "tuesday") == 0


def test_forget_before_a_day(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), str(BO))
    result = twin("forget", "--before", "2024-02-01", "--yes")
    assert "Forgot 7 messages, 0 notes, 1 conversation," in result.stdout
    assert counts(twin)["messages"] == 3


def test_forget_source_leaves_nothing_of_it(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), str(BO), "--me", "Sam")
    twin("forget", "--source", "whatsapp", "--yes")
    assert counts(twin) == {"messages": 0, "conversations": 0, "people": 1, "imports": 0}


def test_forgotten_words_are_not_left_in_the_vault_file(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), str(BO))
    assert b"choir" in decrypted_pages(vault_home, PASSPHRASE)
    twin("forget", "--conversation", "Bo", "--yes")
    plain = decrypted_pages(vault_home, PASSPHRASE)
    assert b"choir" not in plain
    assert b"zebra-crossing" in plain  # what was not forgotten is still there


def test_forget_needs_confirmation_when_not_at_a_terminal(twin: Twin, vault_home: Home) -> None:
    twin("import", str(BO))
    result = twin("forget", "--contact", "Bo", ok=False)
    assert result.exit_code == 1 and "--yes" in result.output
    assert counts(twin)["messages"] == 3


def test_forget_reaches_notes_their_passages_and_datasets(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("journal", "add", "--date", "2024-01-10", "Bought a cello bow in Porto.")
    twin("dataset", "build", "--name", "mine")
    assert "cello" in twin("recall", "cello bow", "--json").stdout
    result = twin("forget", "--before", "2024-02-01", "--yes")
    assert "1 note," in result.stdout
    assert "dataset mine" in result.stdout
    assert "cello" not in twin("recall", "cello bow", "--json").stdout
    assert b"cello" not in decrypted_pages(vault_home, PASSPHRASE)
    assert not (vault_home.datasets / "mine").exists()
