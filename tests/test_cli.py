"""The `twin` command: help everywhere, plain words, one-line errors, no prompts in scripts."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import Result

from tests.vault.helpers import ANN, BO
from twin.built_in_commands import BUILT_IN_COMMANDS
from twin.cli import cli
from twin.home import Home

Twin = Callable[..., Result]


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


cli.load_all()
COMMANDS = list(all_commands(cli))


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_explains_itself_with_dash_h(twin: Twin, path: tuple[str, ...]) -> None:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help, f"twin {' '.join(path)} has no help text"
    assert "Usage: twin" in twin(*path, "-h").stdout


def test_help_lists_every_command_without_importing_any_of_them() -> None:
    script = (
        "import sys\n"
        "from twin.cli import main\n"
        "sys.argv = ['twin', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "names = [m for m in sys.modules if m.startswith('twin.') and m.endswith('commands')]\n"
        "print('LOADED', sorted(set(names) - {'twin.built_in_commands'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert "LOADED []" in out
    for name in BUILT_IN_COMMANDS:
        assert f"  {name} " in out


def test_the_list_of_built_in_commands_matches_the_commands() -> None:
    """Each listed command comes from its listed modules alone, with its help's first sentence."""
    real = {name: command for name, command in cli.commands.items() if name != "plugins"}
    assert sorted(real) == sorted(BUILT_IN_COMMANDS)
    for name, (modules, summary) in BUILT_IN_COMMANDS.items():
        alone = click.Group("twin")
        for module in modules:
            importlib.import_module(module).register_commands(cli=alone)
        assert tree(alone.commands[name]) == tree(real[name]), name
        for limit in (30, 45, 80, 200):
            listed = click.Command(name, help=summary).get_short_help_str(limit)
            assert listed == real[name].get_short_help_str(limit), name


def tree(command: click.Command) -> object:
    if isinstance(command, click.Group):
        return {name: tree(sub) for name, sub in command.commands.items()}
    return command.name


def test_init_says_what_twin_does_and_where_data_lives(twin: Twin, tmp_home: Home) -> None:
    out = twin("init").stdout
    assert str(tmp_home.path) in out
    assert "sends nothing anywhere" in out
    assert tmp_home.vault.exists()


def test_init_twice_changes_nothing(twin: Twin, vault_home: Home) -> None:
    before = vault_home.vault.read_bytes()
    result = twin("init", ok=False)
    assert result.exit_code == 1 and "already exists" in result.output
    assert vault_home.vault.read_bytes() == before


def test_home_option_wins_over_environment(twin: Twin, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    twin("--home", str(elsewhere), "init")
    assert (elsewhere / "vault.db").exists()


def test_wrong_passphrase_is_one_line_and_exit_1(
    twin: Twin, vault_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWIN_PASSPHRASE", "not it")
    result = twin("stats", ok=False)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "wrong passphrase" in result.output


def test_passphrase_file_unlocks(
    twin: Twin, vault_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("test passphrase\n")
    monkeypatch.delenv("TWIN_PASSPHRASE")
    assert json.loads(twin("--passphrase-file", str(secret), "stats", "--json").stdout)


def test_locked_vault_without_a_terminal_says_how_to_unlock(
    twin: Twin, vault_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWIN_PASSPHRASE")
    result = twin("stats", ok=False)
    assert result.exit_code == 1 and "TWIN_PASSPHRASE" in result.output


def test_preview_prints_exactly_the_public_keys_and_writes_nothing(
    twin: Twin, tmp_home: Home
) -> None:
    lines = twin("preview", str(ANN)).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 7
    assert all(
        list(r) == ["source", "conversation", "sender", "sent_at", "kind", "text"] for r in records
    )
    assert records[0]["sender"] is None and records[0]["kind"] == "system"
    assert records[1] == {
        "source": "whatsapp",
        "conversation": "Ann",
        "sender": "Ann",
        "sent_at": "2024-01-15T09:01:00",
        "kind": "text",
        "text": "morning! are we still on for the zebra-crossing walk?",
    }
    assert not tmp_home.path.exists()


def test_export_is_plain_json_lines_of_everything(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    twin("import", str(ANN), str(BO), "--me", "Sam")
    out = tmp_path / "everything.jsonl"
    twin("export", str(out))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    kinds = {r["type"] for r in records}
    assert {"import", "person", "alias", "conversation", "message"} <= kinds
    messages = [r for r in records if r["type"] == "message"]
    assert len(messages) == 10
    assert messages[1]["sender"] == "Ann" and messages[1]["conversation"] == "Ann"
    assert out.stat().st_mode & 0o077 == 0


def test_export_holds_the_persona_and_feedback_too(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    from tests.conftest import PASSPHRASE
    from twin.chat.feedback import record_feedback
    from twin.persona.persona import Persona, save_persona
    from twin.vault import Secret, Vault

    with Vault.open(vault_home, Secret(passphrase=PASSPHRASE)) as vault:
        save_persona(
            vault, Persona(name="Sam", bio="Plays the cello.", facts=["I live in Lisbon."])
        )
        context = [{"role": "user", "content": "how was the weekend?"}]
        record_feedback(vault, context=context, reply="busy", verdict="bad", correction="lovely")
    out = tmp_path / "everything.jsonl"
    twin("export", str(out))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    [persona] = [r for r in records if r["type"] == "persona"]
    assert persona["name"] == "Sam" and "Lisbon" in persona["facts"]
    [feedback] = [r for r in records if r["type"] == "feedback"]
    assert feedback["correction"] == "lovely" and isinstance(feedback["context_key"], str)


def test_rules_can_be_listed_added_and_removed(twin: Twin, vault_home: Home) -> None:
    twin("rules", "add", "exclude-before", "2024-01-16")
    assert "exclude-before 2024-01-16" in twin("rules", "list").stdout
    assert "0 skipped" not in twin("import", str(ANN)).stdout
    twin("rules", "remove", "1")
    assert "No rules yet" in twin("rules", "list").stdout
    bad = twin("rules", "add", "exclude-before", "last tuesday", ok=False)
    assert bad.exit_code == 1 and "not a date" in bad.output


def test_sources_lists_each_import_with_its_file_and_hash(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN))
    rows = json.loads(twin("sources", "--json").stdout)
    assert rows[0]["file_name"] == str(ANN.resolve())
    assert len(rows[0]["file_sha256"]) == 64 and rows[0]["messages_kept"] == 7


def test_notes_imports_count_in_sources_and_stats(
    twin: Twin, vault_home: Home, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    journal.write_text('{"date": "2024-01-10T20:00:00", "text": "Tuned the cello."}\n')
    twin("journal", "import", str(journal))
    rows = json.loads(twin("sources", "--json").stdout)
    assert (rows[0]["notes_kept"], rows[0]["messages_kept"]) == (1, 0)
    assert json.loads(twin("stats", "--json").stdout)["notes"] == 1
