"""`twin passphrase change`, `twin backup`, `twin restore` and `twin check`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console

from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.state import State, pass_state
from twin.vault.backup import backup, restore
from twin.vault.check import check_sealed, check_vault
from twin.vault.key import Secret
from twin.vault.rekey import change_passphrase

console = Console(highlight=False, soft_wrap=True)


def _new_secret(new_passphrase_file: Path | None) -> Secret:
    if new_passphrase_file is not None:
        text = new_passphrase_file.read_text(encoding="utf-8").rstrip("\r\n")
    elif "TWIN_NEW_PASSPHRASE" in os.environ:
        text = os.environ["TWIN_NEW_PASSPHRASE"]
    elif sys.stdin.isatty():
        text = click.prompt("New passphrase", hide_input=True, confirmation_prompt=True)
    else:
        raise TwinError("give the new passphrase: --new-passphrase-file or TWIN_NEW_PASSPHRASE")
    if not text:
        raise TwinError("the new passphrase is empty")
    return Secret(passphrase=text)


@click.group(name="passphrase")
def passphrase_group() -> None:
    """Your vault's passphrase."""


@passphrase_group.command(name="change")
@click.option(
    "--new-passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Read the new passphrase from this file [default: $TWIN_NEW_PASSPHRASE, or ask].",
)
@pass_state
def change_command(state: State, new_passphrase_file: Path | None) -> None:
    """Change the passphrase: re-key the vault and everything sealed with it, all at once.

    Afterwards the old passphrase opens nothing. Stop `twin serve` and the hub first. A crash
    or kill part-way leaves the old passphrase working, or finishes on the next unlock.
    """
    vault = state.open_vault()
    new = _new_secret(new_passphrase_file)
    files = change_passphrase(vault, new)
    console.print(
        f"Passphrase changed: the vault and {files} sealed files are now locked with the new "
        "one. Backups made before still open with the old passphrase."
    )


@click.command(name="backup")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@pass_state
def backup_command(state: State, path: Path) -> None:
    """Write your whole twin home to PATH as one encrypted file (your passphrase opens it).

    It holds the vault, your word lists, persona, datasets and training runs; the base-model
    cache is left out (twin makes it again).
    """
    with state.open_vault() as vault:
        count = backup(vault, path)
    size = path.stat().st_size
    console.print(f"Backed up {count} files to {path} ({size / 1e6:.1f} MB, encrypted).")


@click.command(name="restore")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Replace a home that is not empty.")
@pass_state
def restore_command(state: State, path: Path, yes: bool) -> None:
    """Restore a backup made by `twin backup` into the twin home (it must be empty)."""
    count = restore(path, state.home, state.secret(), overwrite=yes)
    console.print(f"Restored {count} files into {state.home.path}.")


@click.command(name="check")
@pass_state
def check_command(state: State) -> None:
    """Check the vault and everything derived from it, and say what is wrong, if anything.

    Runs SQLCipher's and SQLite's integrity checks, checks the search indexes, opens every
    sealed file, and checks that datasets and runs point at records that still exist.
    """
    from twin.dataset.store import check_datasets, unsealed_files
    from twin.evaluate.report import plain_reports
    from twin.train.adapter_files import plain_adapters
    from twin.train.runs import check_runs, list_runs

    with state.open_vault() as vault:
        problems = check_vault(vault) + check_sealed(vault)
        problems += check_datasets(vault) + check_runs(vault)
        problems += [
            f"{path}: a plain file among your datasets (not encrypted)"
            for path in unsealed_files(vault.home)
        ]
        problems += [
            f"{path}: a training adapter kept in the clear by an earlier twin; using the run "
            "(twin chat, twin eval) seals it"
            for path in plain_adapters(list_runs(vault.home))
        ]
        problems += [
            f"{path}: an evaluation report kept in the clear by an earlier twin; delete it "
            "(`twin eval` keeps reports sealed now)"
            for path in plain_reports(vault.home)
        ]
    if not problems:
        console.print("All is well: the vault, its indexes and every sealed file check out.")
        return
    for problem in problems:
        console.print(f"[red]Problem:[/red] {problem}")
    raise TwinError(f"{len(problems)} problems found")


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add this module's commands to the `twin` group."""
    for command in (passphrase_group, backup_command, restore_command, check_command):
        cli.add_command(command)
