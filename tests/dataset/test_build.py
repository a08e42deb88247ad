"""The build as a whole: files, determinism, clear errors, the CLI and forgetting."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result

from tests.dataset.conftest import FIXTURES, Build, Chat
from twin.dataset.build import build_dataset
from twin.dataset.options import BuildOptions
from twin.dataset.store import load_stats, read_file, read_text
from twin.errors import TwinError
from twin.home import Home
from twin.vault.forget import forget
from twin.vault.rules import add_rule
from twin.vault.vault import Vault

FILES = ("train.jsonl", "val.jsonl", "card.md", "stats.json", "redactions.tsv", "lengths.png")


def snapshot(vault: Vault, folder: Path) -> dict[str, bytes]:
    """Every file of a dataset, opened."""
    return {file: read_file(vault, folder.name, file) for file in FILES}


def test_build_writes_every_file_sealed(imported: Vault, build: Build) -> None:
    folder = build(val_fraction=0.2)["folder"]
    assert sorted(f + ".sealed" for f in FILES) == sorted(path.name for path in folder.iterdir())
    card = read_text(imported, "default", "card.md")
    stats = load_stats(imported, "default")
    assert stats["hashes"]["output"] in card
    assert "informational" in card and "estimate" in card
    assert stats["conversation_ids"] == [1, 2]
    assert read_file(imported, "default", "lengths.png").startswith(b"\x89PNG")
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.read_bytes().startswith(b"TWINSEAL")
        assert b"Maya" not in path.read_bytes() and b"Sam" not in path.read_bytes()


def test_rebuild_is_byte_identical_once_opened(imported: Vault, build: Build) -> None:
    first = snapshot(imported, build(name="a", val_fraction=0.2)["folder"])
    second = snapshot(imported, build(name="a", val_fraction=0.2)["folder"])
    assert first == second


def test_rules_are_honoured(imported: Vault, build: Build) -> None:
    add_rule(imported, "exclude-contact", "Tom Baker")
    result = build(redact=False)
    assert "Tom" not in str([m for e in result["train"] for m in e["messages"][1:-1]])
    add_rule(imported, "exclude-conversation", "Family")
    assert "Family" not in str(build(redact=False)["train"])
    assert build(redact=False)["stats"]["selection"]["excluded_by_rules"] > 0


def test_build_choices_narrow_the_selection(imported: Vault, build: Build) -> None:
    only_family = build(redact=False, conversations=("Family",))
    assert {c["title"] for c in only_family["stats"]["conversations"]} == {"Family"}
    since = build(redact=False, since=date(2024, 1, 15))
    assert all("Did you get home" not in str(e) for e in since["train"])
    with pytest.raises(TwinError, match="no conversation matches"):
        build(conversations=("Nobody",))


def test_unknown_user_is_a_clear_error(vault: Vault, chat: Chat) -> None:
    chat.say("Maya", "hello")
    vault.db.execute("UPDATE people SET is_me = 0")
    with pytest.raises(TwinError, match="run `twin me NAME`"):
        build_dataset(vault, BuildOptions())


def test_empty_vault_is_a_clear_error(vault: Vault, chat: Chat) -> None:
    chat.person("Sam", me=True)
    with pytest.raises(TwinError, match="import some"):
        build_dataset(vault, BuildOptions())


def test_rules_removing_everything_is_a_clear_error(vault: Vault, chat: Chat) -> None:
    chat.say("Maya", "hello")
    chat.say("Sam", "hi")
    add_rule(vault, "exclude-source", "whatsapp")
    with pytest.raises(TwinError, match="standing rules exclude every message"):
        build_dataset(vault, BuildOptions())
    assert not (vault.home.datasets / "default").exists()


def test_dates_removing_everything_is_a_clear_error(vault: Vault, chat: Chat) -> None:
    chat.say("Maya", "hello")
    chat.say("Sam", "hi")
    add_rule(vault, "exclude-before", "2030-01-01")
    with pytest.raises(TwinError, match="standing rules exclude every message"):
        build_dataset(vault, BuildOptions())


def test_no_turns_of_mine_is_a_clear_error(vault: Vault, chat: Chat) -> None:
    chat.person("Sam", me=True)
    chat.say("Maya", "hello")
    with pytest.raises(TwinError, match="none of the selected messages are yours"):
        build_dataset(vault, BuildOptions())


def test_forgetting_a_conversation_deletes_datasets_built_from_it(
    imported: Vault, build: Build
) -> None:
    import twin.dataset  # noqa: F401  (registers the forget hook, as the CLI does)

    build(name="both")
    build(name="family", conversations=("Family",))
    gone = forget(imported, conversation="Maya Cohen")
    assert not (imported.home.datasets / "both").exists()
    assert (imported.home.datasets / "family").exists()
    assert any("dataset both" in line for line in gone.derived)


def test_cli_build_show_list_export_delete(
    twin: Callable[..., Result], vault_home: Home, tmp_path: Path
) -> None:
    for path in sorted(FIXTURES.glob("*.txt")):
        twin("import", "--me", "Sam", str(path))
    out = twin("dataset", "build", "--name", "mine", "--gap", "3h", "--context", "4").output
    assert "training" in out and "dataset show mine" in out and "encrypted" in out
    stats = json.loads(twin("dataset", "show", "mine", "--json").output)
    assert stats["name"] == "mine" and stats["options"]["context"] == 4
    assert "Dataset card: mine" in twin("dataset", "show", "mine").output
    assert "mine" in twin("dataset", "list").output
    exported = twin("dataset", "export", "mine", str(tmp_path / "out")).output
    assert "NOT encrypted" in exported
    assert '"messages"' in (tmp_path / "out" / "train.jsonl").read_text()
    assert not (tmp_path / "out" / "redactions.tsv").exists()
    twin("dataset", "delete", "mine")
    missing = twin("dataset", "show", "mine", ok=False)
    assert missing.exit_code == 1 and "no dataset named 'mine'" in missing.output
    bad = twin("dataset", "build", "--gap", "soon", ok=False)
    assert bad.exit_code == 2


def test_every_dataset_command_has_help() -> None:
    from twin.dataset.commands import dataset, redaction

    for group in (dataset, redaction):
        assert group.help
        for command in group.commands.values():
            assert command.help, command.name
