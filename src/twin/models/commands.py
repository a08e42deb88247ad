"""`twin models list|add`: the base models twin can train from."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from twin.hookspecs import hookimpl
from twin.models.registry import add_model, list_models
from twin.state import State, pass_state

console = Console(highlight=False, soft_wrap=True)  # paths stay whole in logs


@click.group(name="models")
def models_group() -> None:
    """Base models to train your twin from: the built-in default and ones you add.

    To export a trained twin, see `twin model export`.
    """


@models_group.command(name="list")
@pass_state
def list_command(state: State) -> None:
    """List the base models: name, where it comes from, and whether it is ready on disk."""
    table = Table("name", "source", "ready")
    for name, source, ready in list_models(state.home):
        table.add_row(name, source, "yes" if ready else "on first use")
    console.print(table)


@models_group.command(name="add")
@click.argument("name")
@click.argument("source")
@pass_state
def add_command(state: State, name: str, source: str) -> None:
    """Register SOURCE as base model NAME, for `twin train --base NAME`.

    SOURCE is a Hugging Face model folder, a .gguf file (for instance from your Ollama or LM
    Studio models folder; converted once), or a hub id such as HuggingFaceTB/SmolLM2-360M-Instruct
    (downloaded now, only if HF_HUB_OFFLINE is not set).
    """
    path = add_model(state.home, name, source)
    console.print(f"Added {name}: {path}")


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `twin models` to the `twin` group."""
    cli.add_command(models_group)
