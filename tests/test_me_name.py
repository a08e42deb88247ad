"""Who am I? A name no sender goes by is refused with the senders listed (issue 16, item 3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.test_first_hour import _export_from_alex_moreno
from tests.vault.helpers import ANN, BO
from twin.home import Home
from twin.vault import Secret, Vault
from twin.vault.collect import import_file
from twin.vault.senders import UnknownSender

Twin = Callable[..., Result]


def _stats(twin: Twin) -> dict[str, object]:
    report: dict[str, object] = json.loads(twin("stats", "--json").stdout)
    return report


def test_import_with_a_partial_me_is_refused_with_senders_and_a_suggestion(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    export = _export_from_alex_moreno(tmp_path)
    refused = twin("import", str(export), "--me", "Alex", ok=False)
    assert refused.exit_code == 1
    assert "no sender is named 'Alex'" in refused.output
    assert "Senders found: Alex Moreno (2 messages), Jo (1 message)" in refused.output
    assert "Did you mean 'Alex Moreno'?" in refused.output
    assert "Traceback" not in refused.output
    # Refused means nothing kept: neither the messages nor the wrong name.
    stats = _stats(twin)
    assert stats["messages"] == 0 and stats["imports"] == 0 and stats["me"] == []


def test_import_with_the_suggested_name_then_goes_through(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    export = _export_from_alex_moreno(tmp_path)
    twin("import", str(export), "--me", "Alex", ok=False)
    twin("import", str(export), "--me", "Alex Moreno")
    stats = _stats(twin)
    assert stats["me"] == ["Alex Moreno"] and stats["my_messages"] == 2


def test_import_with_force_keeps_a_name_no_sender_has(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    result = twin("import", str(_export_from_alex_moreno(tmp_path)), "--me", "Alex", "--force")
    assert "No sender in this export is named 'Alex'" in result.output
    assert "Did you mean 'Alex Moreno'?" in result.output
    assert _stats(twin)["messages"] == 3


def test_import_me_may_name_a_sender_of_an_earlier_import(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    # Bo's chat also has Sam; a name known from any import is accepted.
    twin("import", str(BO), "--me", "Sam")
    assert _stats(twin)["me"] == ["Sam"]


def test_me_with_a_misspelt_name_is_refused_and_nothing_is_stored(
    twin: Twin, vault_home: Home
) -> None:
    twin("import", str(BO))
    refused = twin("me", "Samm", ok=False)
    assert refused.exit_code == 1
    assert "no sender is named 'Samm'" in refused.output
    assert "Senders found: Bo (2 messages), Sam (1 message)" in refused.output
    assert "Did you mean 'Sam'?" in refused.output
    assert _stats(twin)["me"] == []


def test_me_with_no_near_name_lists_senders_without_a_guess(twin: Twin, vault_home: Home) -> None:
    twin("import", str(BO))
    refused = twin("me", "Zed", ok=False)
    assert "Senders found: Bo (2 messages), Sam (1 message)" in refused.output
    assert "Did you mean" not in refused.output


def test_import_file_refuses_an_unknown_me_and_rolls_back(tmp_home: Home, tmp_path: Path) -> None:
    with Vault.create(tmp_home, Secret(passphrase="pass")) as vault:
        with pytest.raises(UnknownSender) as refused:
            import_file(vault, _export_from_alex_moreno(tmp_path), me="Alex")
        assert refused.value.suggestion == "Alex Moreno"
        assert refused.value.found == [("Alex Moreno", 2), ("Jo", 1)]
        assert vault.counts()["messages"] == 0
        assert vault.db.execute("SELECT count(*) FROM aliases WHERE alias = 'Alex'").fetchone() == (
            0,
        )
