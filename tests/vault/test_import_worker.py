"""An import parsed in a worker process stores exactly what an import parsed here stores.

Big files are parsed in a second process while the vault's process stores the rows
(`twin.vault.import_worker`); these tests make small files take that path too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from tests.vault.helpers import ANN, ANN_LATER, BO
from twin.errors import BadInput
from twin.home import Home
from twin.vault import Secret, Vault, collect
from twin.vault.collect import ImportSummary, import_file
from twin.vault.rules import add_rule

WHATSAPP = Path(__file__).parent.parent / "fixtures" / "whatsapp"
TABLES = {
    "messages": "SELECT * FROM messages ORDER BY id",
    "conversations": "SELECT * FROM conversations ORDER BY id",
    "people": "SELECT * FROM people ORDER BY id",
    "aliases": "SELECT * FROM aliases ORDER BY person_id, source, alias",
    "imports": "SELECT id, source, file_name, added, already_there, skipped FROM imports",
    "search": "SELECT rowid, text FROM messages_fts ORDER BY rowid",
}


def vault_of(tmp_path: Path, name: str) -> Vault:
    return Vault.create(Home(tmp_path / name), Secret(passphrase=PASSPHRASE))


def contents(vault: Vault) -> dict[str, list[tuple[object, ...]]]:
    return {name: vault.db.execute(sql).fetchall() for name, sql in TABLES.items()}


def shown(summary: ImportSummary) -> tuple[object, ...]:
    return (
        summary.added,
        summary.already_there,
        summary.skipped,
        summary.conversations,
        summary.me,
        summary.lenient.lines(),
    )


def both_ways(tmp_path: Path, files: list[tuple[Path, str | None]]) -> None:
    """Import `files` (path, me) in turn into two vaults, parsed here and in a worker."""
    with vault_of(tmp_path, "here") as here, vault_of(tmp_path, "apart") as apart:
        for path, me in files:
            alone = import_file(here, path, me=me, worker=False)
            beside = import_file(apart, path, me=me, worker=True)
            assert shown(beside) == shown(alone)
        assert contents(apart) == contents(here)
        assert contents(here)["messages"]


def test_a_worker_stores_exactly_what_an_import_here_stores(tmp_path: Path) -> None:
    both_ways(tmp_path, [(ANN, "Sam"), (BO, None), (ANN_LATER, None)])


def test_odd_files_read_in_a_worker_report_the_same_leniency(tmp_path: Path) -> None:
    lenient = [*sorted(WHATSAPP.glob("lenient_*.txt")), WHATSAPP / "ios_group_chat.txt"]
    both_ways(tmp_path, [(path, None) for path in lenient])


def test_reimport_in_a_worker_adds_nothing(tmp_path: Path) -> None:
    with vault_of(tmp_path, "vault") as vault:
        first = import_file(vault, ANN, me="Sam", worker=True)
        again = import_file(vault, ANN, worker=True)
        assert first.added == 7 and (again.added, again.already_there) == (0, 7)


def test_rules_in_force_are_applied_in_the_worker(tmp_path: Path) -> None:
    with vault_of(tmp_path, "here") as here, vault_of(tmp_path, "apart") as apart:
        for vault in (here, apart):
            add_rule(vault, "exclude-before", "2024-01-16")
        alone = import_file(here, ANN, worker=False)
        beside = import_file(apart, ANN, worker=True)
        assert beside.skipped == alone.skipped > 0
        assert contents(apart) == contents(here)


def test_a_bad_file_is_the_same_one_line_error_from_a_worker(tmp_path: Path) -> None:
    with vault_of(tmp_path, "vault") as vault:
        import_file(vault, ANN, me="Sam")
        before = contents(vault)
        with pytest.raises(BadInput) as error:
            import_file(vault, WHATSAPP / "invalid_utf8.txt", worker=True)
        assert str(error.value).startswith(str(WHATSAPP / "invalid_utf8.txt"))
        assert "UTF-8" in str(error.value) and "\n" not in str(error.value)
        assert contents(vault) == before


def _telegram_cut_after(path: Path, messages: int) -> Path:
    """A Telegram export of one chat whose file ends in the middle of message `messages + 1`."""
    chat = {
        "name": "Alice",
        "type": "personal_chat",
        "id": 200,
        "messages": [
            {
                "id": number,
                "type": "message",
                "date": f"2024-03-01T11:{number:02d}:00",
                "from": "Alice",
                "from_id": "user200",
                "text": f"message {number}",
            }
            for number in range(1, messages + 2)
        ],
    }
    whole = json.dumps(chat, indent=1)
    path.write_text(whole[: whole.rindex('"text"')], encoding="utf-8")
    return path


@pytest.mark.parametrize("worker", [False, True], ids=["here", "in a worker"])
def test_an_error_half_way_leaves_the_vault_exactly_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker: bool
) -> None:
    monkeypatch.setattr(collect, "BATCH", 2)  # so that batches are stored before the error
    cut = _telegram_cut_after(tmp_path / "result.json", 6)
    stored: list[int] = []
    with vault_of(tmp_path, "vault") as vault:
        import_file(vault, ANN, me="Sam")
        before = contents(vault)
        with pytest.raises(BadInput, match=r"result\.json"):
            import_file(vault, cut, progress=stored.append, worker=worker)
        assert stored and stored[-1] >= 4  # some batches went in before the error came
        assert contents(vault) == before


def test_small_files_and_plugin_importers_are_parsed_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twin.importers.whatsapp import WhatsAppImporter
    from twin.vault import import_worker

    assert not import_worker.worth_a_worker(WhatsAppImporter(), ANN)  # a few hundred bytes

    class PluginImporter(WhatsAppImporter):
        """Made afresh in a worker it would not be found: its module is not twin's."""

    monkeypatch.setattr(import_worker, "WORKER_BYTES", 0)
    assert not import_worker.worth_a_worker(PluginImporter(), ANN)
    if len(os.sched_getaffinity(0)) >= 2:  # as big as the threshold, on two cores: apart
        assert import_worker.worth_a_worker(WhatsAppImporter(), ANN)
