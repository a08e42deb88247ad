"""Importing is idempotent, keeps real repeats, honours rules and is all-or-nothing."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import PASSPHRASE
from tests.vault.helpers import ANN, ANN_LATER, BO
from twin.home import Home
from twin.vault import Secret, Vault
from twin.vault.collect import import_file

Twin = Callable[..., Result]


def stats(twin: Twin) -> dict[str, object]:
    result: dict[str, object] = json.loads(twin("stats", "--json").stdout)
    return result


def texts(home: Home) -> list[str]:
    with Vault.open(home, Secret(passphrase=PASSPHRASE)) as vault:
        return [t for (t,) in vault.db.execute("SELECT text FROM messages ORDER BY sort_key, id")]


def test_stats_json_has_the_counts_scripts_rely_on(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    counts = stats(twin)
    assert {k: counts[k] for k in ("messages", "conversations", "people", "imports")} == {
        "messages": 7,
        "conversations": 1,
        "people": 2,
        "imports": 1,
    }


def test_reimport_adds_nothing(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN))
    again = twin("import", str(ANN))
    assert "0 new, 7 already there" in again.stdout
    assert stats(twin)["messages"] == 7


def test_real_repeated_messages_are_kept(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN))
    assert texts(vault_home).count("yes! 10 at the park") == 2


def test_overlapping_exports_give_their_union(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN))
    later = twin("import", str(ANN_LATER))
    assert "2 new, 2 already there" in later.stdout
    assert texts(vault_home)[-4:] == [
        "that was fun\nlet's do it again next week",
        "deal",
        "next week: tuesday?",
        "tuesday works",
    ]


def test_zip_export_is_the_same_chat_as_its_text(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    archive = tmp_path / "WhatsApp Chat with Ann.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(ANN, ANN.name)
    twin("import", str(ANN))
    assert "0 new, 7 already there" in twin("import", str(archive)).stdout


def test_me_is_kept_as_an_alias_for_later_imports(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    result = twin("import", str(BO))
    assert "can't tell which sender is you" not in result.output
    assert stats(twin)["my_messages"] == 4


def test_unknown_user_is_reported_not_guessed(twin: Twin, vault_home: Home) -> None:
    result = twin("import", str(ANN))
    assert "can't tell which sender is you" in result.output
    assert stats(twin)["me"] == []
    twin("me", "Sam")
    assert stats(twin)["my_messages"] == 3


def test_excluded_contact_is_skipped_now_and_later(twin: Twin, vault_home: Home) -> None:
    result = twin("import", str(BO), "--exclude-contact", "Bo")
    assert "0 new" in result.stdout and "3 skipped" in result.stdout
    assert "exclude-contact bo" in twin("rules", "list").stdout.lower()
    twin("import", str(ANN))
    assert stats(twin)["people"] == 2  # Ann and Sam; Bo never stored


def test_since_and_until_bound_what_is_collected(twin: Twin, vault_home: Home) -> None:
    result = twin("import", str(ANN), "--since", "2024-01-16", "--until", "2024-01-16")
    assert "2 new" in result.stdout and "5 skipped" in result.stdout


def test_failed_import_leaves_the_vault_as_it_was(vault_home: Home, tmp_path: Path) -> None:
    broken = tmp_path / "WhatsApp Chat with Cy.txt"
    broken.write_bytes(ANN.read_bytes() + b"1/17/24, 9:00 AM - Cy: caf\xe9\n")
    with Vault.open(vault_home, Secret(passphrase=PASSPHRASE)) as vault:
        import_file(vault, ANN, me="Sam")
        before = vault.counts()
        with pytest.raises(Exception, match="UTF-8"):
            import_file(vault, broken)
        assert vault.counts() == before


def test_bad_file_is_a_one_line_error_naming_it(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    notes = tmp_path / "shopping.txt"
    notes.write_text("milk\neggs\n")
    result = twin("import", str(notes), ok=False)
    assert result.exit_code == 1
    assert str(notes) in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert stats(twin)["imports"] == 0


def test_archive_member_with_dotdot_is_refused(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    archive = tmp_path / "chat.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../../evil.txt", ANN.read_text())
    result = twin("import", str(archive), ok=False)
    assert result.exit_code == 1
    assert "unsafe path" in result.output


def test_zip_bomb_is_refused(twin: Twin, vault_home: Home, tmp_path: Path) -> None:
    archive = tmp_path / "WhatsApp Chat with Bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("_chat.txt", b"\0" * (64 * 1024 * 1024))
    result = twin("import", str(archive), ok=False)
    assert result.exit_code == 1
    assert "zip bomb" in result.output
