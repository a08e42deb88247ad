"""The `twin` command: a click group that each area of twin adds its commands to."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import click

from twin.built_in_commands import BUILT_IN_COMMANDS
from twin.errors import TwinError
from twin.home import Home, default_home
from twin.plugins import installed_plugins, load_failures, load_plugins, origins, pm
from twin.state import State

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

class NotLoaded(click.Command):
    """A built-in command whose module is not imported yet: its name and summary, for help."""

    def __init__(self, name: str, summary: str) -> None:
        super().__init__(name, help=summary)

    def invoke(self, ctx: click.Context) -> Any:  # pragma: no cover - resolved before invoking
        raise RuntimeError(f"twin {self.name} was not loaded")


class TwinGroup(click.Group):
    """twin's command group: loads a built-in command's module only when that command runs,
    and turns `TwinError` into a one-line message and exit status 1 (tracebacks are for bugs).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TwinError as error:
            raise click.ClickException(str(error)) from None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, NotLoaded):
            command = self.load(name)
        return name, command, rest

    def load(self, name: str) -> click.Command:
        """Import the modules that add command `name`, and return the command itself."""
        scratch = click.Group(name=self.name)
        scratch.commands = dict(self.commands)
        for module in BUILT_IN_COMMANDS[name][0]:
            importlib.import_module(module).register_commands(cli=scratch)
        for added, command in scratch.commands.items():
            if isinstance(self.commands.get(added), NotLoaded):  # an installed plugin's stays
                self.commands[added] = command
        return self.commands[name]

    def load_all(self) -> None:
        """Load every built-in command (for tests and tools that walk the whole tree)."""
        for name in BUILT_IN_COMMANDS:
            if isinstance(self.commands.get(name), NotLoaded):
                self.load(name)


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
    load_plugins()
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


for name, (_modules, summary) in BUILT_IN_COMMANDS.items():
    cli.add_command(NotLoaded(name, summary))
for _label, _where, plugin in installed_plugins():
    register = getattr(plugin, "register_commands", None)
    if register is not None and hasattr(register, "twin_impl"):  # marked ``@hookimpl``
        register(cli=cli)


def main() -> None:
    for failure in load_failures:
        click.echo(f"twin: {failure}", err=True)
    cli(prog_name="twin")
