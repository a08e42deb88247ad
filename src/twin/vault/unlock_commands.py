"""`twin unlock` and `twin lock`: pay the passphrase's cost once for a session of commands."""

from __future__ import annotations

import re

import click

from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.state import State, pass_state
from twin.vault import keyring
from twin.vault.key import Secret
from twin.vault.vault import Vault
from twin.words import plural

UNITS = {"s": 1, "m": 60, "h": 3600}
LONGEST = 24 * 3600


def seconds(duration: str) -> int:
    """``90s``, ``15m`` or ``2h`` (a bare number is minutes) in seconds, at most a day."""
    found = re.fullmatch(r"\s*(\d+)\s*([smh]?)\s*", duration.lower())
    if found is None or int(found[1]) == 0:
        raise TwinError(f"--for {duration!r}: give a time such as 90s, 15m or 2h")
    total = int(found[1]) * UNITS[found[2] or "m"]
    if total > LONGEST:
        raise TwinError(f"--for {duration!r}: at most 24h")
    return total


def said(total: int) -> str:
    """A duration in the largest whole unit: ``15 minutes``."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if total % size == 0:
            return plural(total // size, unit)
    return plural(total, "second")


@click.command(name="unlock")
@click.option(
    "--for",
    "duration",
    default="15m",
    show_default=True,
    help="How long to stay unlocked: 90s, 15m, 2h (at most 24h).",
)
@pass_state
def unlock_command(state: State, duration: str) -> None:
    """Unlock the vault for a while, so the commands in that time don't ask again.

    The key stays in your kernel keyring, readable by your own processes only, never on disk.
    It goes when the time is up, at `twin lock`, or when the machine restarts.
    """
    total = seconds(duration)
    secret = state.secret()
    key = secret.vault_key(state.home.key_settings)
    Vault.open(state.home, Secret(key=key)).close()  # a wrong passphrase stops here
    keyring.keep(state.home, key, total)
    click.echo(
        f"Unlocked for {said(total)}: twin commands on {state.home.path} need no passphrase "
        "until then. `twin lock` locks it now."
    )


@click.command(name="lock")
@pass_state
def lock_command(state: State) -> None:
    """Lock the vault again now: the next command asks for the passphrase."""
    if keyring.forget(state.home):
        click.echo("Locked: the next twin command asks for the passphrase.")
    else:
        click.echo("The vault was not unlocked; nothing to lock.")


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `twin unlock` and `twin lock`."""
    cli.add_command(unlock_command)
    cli.add_command(lock_command)
