"""`twin refine`: train a candidate on what was added, keep it only if the eval says so."""

from __future__ import annotations

import click

from twin.hookspecs import hookimpl
from twin.state import State, pass_state


@click.command(name="refine")
@click.option("--quick", is_flag=True, help="Evaluate with fewer examples (minutes, not more).")
@pass_state
def refine_command(state: State, quick: bool) -> None:
    """Continue your twin on what was added since (messages, notes, feedback), evaluate the
    candidate against the current twin on the same held-out set, and keep it only if it is
    not worse. Never runs while you chat; schedule it with cron or a systemd timer."""
    from twin.chat.feedback import dpo_preferences
    from twin.evaluate.refine import refine
    from twin.evaluate.run import evaluate
    from twin.evaluate.store import latest_evaluation
    from twin.memory.embeddings import default_embedder
    from twin.train.runs import latest_good_run

    with state.open_vault() as vault:
        embedder = default_embedder()
        pairs = dpo_preferences(vault, embedder)
        current = latest_good_run(state.home)
        stored = latest_evaluation(vault, current.id) if current is not None else None
        if stored is not None and stored.quick != quick:
            stored = None
        done = refine(
            state.home,
            vault,
            pairs,
            lambda run: evaluate(vault, state.home, run.id, quick=quick, embedder=embedder),
            stored=stored,
        )
    if done.candidate is None:
        click.echo(f"Run {done.current} stays your twin: {done.reason}.")
    elif done.kept:
        click.echo(f"Run {done.candidate} is your twin now ({done.reason}).")
    else:
        click.echo(
            f"Run {done.current} stays your twin; candidate {done.candidate} was {done.reason}."
        )


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `twin refine`."""
    cli.add_command(refine_command)
