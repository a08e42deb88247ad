"""`twin report`: the sealed HTML report of an evaluation, written out to read in a browser."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.state import State, pass_state

console = Console(highlight=False, soft_wrap=True)


@click.command(name="report")
@click.option("--run", "run_id", metavar="ID", help="Whose report [default: the latest made].")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report here to open in a browser (NOT encrypted). Without it: list them.",
)
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists, without asking.")
@pass_state
def report_command(state: State, run_id: str | None, out: Path | None, force: bool) -> None:
    """Write an evaluation's HTML report out of the vault to read, or list the reports kept.

    `twin eval` keeps its report sealed in the twin home, since it names your notes and
    conversations; --out writes a plain copy where you choose.
    """
    from twin.evaluate.report import open_report, sealed_reports
    from twin.train.runs import get_run

    if run_id is not None and run_id != "base":
        run_id = get_run(state.home, run_id).id
    if out is None:
        found = sealed_reports(state.home, run_id)
        if not found:
            console.print("No reports yet: `twin eval` makes one.")
        for path in found:
            console.print(escape(str(path)))
        return
    if out.exists() and not force:
        if not sys.stdin.isatty():
            raise TwinError(f"{out}: the file exists; add --force to overwrite it")
        click.confirm(f"{out} exists. Overwrite it?", abort=True)
    with state.open_vault() as vault:
        source = open_report(state.home, vault.sealer, run_id, out)
    console.print(
        f"Wrote {escape(str(out))} (from {escape(source.name)}). This file is NOT encrypted; "
        "delete it when you are done."
    )


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `twin report` to the `twin` group."""
    cli.add_command(report_command)
