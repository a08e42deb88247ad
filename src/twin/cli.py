"""The `twin` command: a click group that each area of twin adds its commands to."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

import click

from twin.context import State
from twin.errors import TwinError
from twin.home import Home, default_home

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

COMMAND_MODULES = [
    "twin.vault.commands",
    "twin.vault.ownership",
    "twin.dataset.commands",
    "twin.memory.commands",
    "twin.chat.commands",
    "twin.models.commands",
    "twin.train.commands",
]
"""Modules whose `register(cli)` adds their commands; each area of twin has one."""


class TwinGroup(click.Group):
    """Turns `TwinError` into a one-line message and exit status 1; tracebacks are for bugs."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TwinError as error:
            raise click.ClickException(str(error)) from None


@click.group(name="twin", cls=TwinGroup, context_settings=CONTEXT)
@click.version_option(package_name="twin", message="twin %(version)s")
@click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder holding your vault and everything twin makes [default: $TWIN_HOME or "
    "~/.local/share/twin].",
)
@click.option(
    "--passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Read the vault passphrase from this file.",
)
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Unlock with a key file (32 random bytes) instead of a passphrase.",
)
@click.pass_context
def cli(
    ctx: click.Context, home: Path | None, passphrase_file: Path | None, key_file: Path | None
) -> None:
    """twin: your digital twin, built from your own data, on your own machine.

    Everything stays in one encrypted folder that you own. twin makes no network calls.
    """
    ctx.obj = State(Home(home or default_home()), passphrase_file, key_file)


for _module in COMMAND_MODULES:
    import_module(_module).register(cli)


def main() -> None:
    cli(prog_name="twin")
