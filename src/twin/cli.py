"""The `twin` command: a click group that each area of twin adds its commands to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from twin.errors import TwinError
from twin.home import Home, default_home
from twin.plugins import call, load_failures, load_plugins, origins, pm
from twin.state import State

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

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


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_command(as_json: bool) -> None:
    """List the plugins twin loaded, where each comes from, and those that failed to load."""
    rows = [
        {
            "name": name,
            "from": origins.get(name, "?"),
            "hooks": sorted(hook.name for hook in pm.get_hookcallers(plugin) or []),
        }
        for name, plugin in pm.list_name_plugin()
    ]
    if as_json:
        failed = [{"name": f.plugin, "problem": f.problem} for f in load_failures]
        click.echo(json.dumps({"plugins": rows, "failed": failed}, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']}\t{row['from']}\t{', '.join(row['hooks'])}")
    for failure in load_failures:
        click.echo(f"{failure.plugin}\tnot loaded: {failure.problem}")


load_plugins()
call("register_commands", cli=cli)


def main() -> None:
    for failure in load_failures:
        click.echo(f"twin: {failure}", err=True)
    cli(prog_name="twin")
