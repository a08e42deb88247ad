"""`twin train`, `twin runs list|show` and `twin model export`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Column, Table

from twin.cli_options import options_from
from twin.hookspecs import hookimpl
from twin.state import State, pass_state
from twin.train.adapter_files import where as adapter_where
from twin.train.export import FORMATS, export
from twin.train.gguf_file import QUANTIZATIONS
from twin.train.presets import TrainConfig
from twin.train.runs import Run, get_run, list_runs
from twin.words import is_pipe, plain_rows

console = Console(highlight=False, soft_wrap=True)  # paths stay whole in logs


@click.command()
@click.option("--dataset", metavar="NAME", help="Dataset to train on [default: the newest].")
@click.option(
    "--base",
    metavar="MODEL",
    help="Base model: default, a name from `twin models list`, a model folder, a .gguf file "
    "or a hub id [default: the built-in SmolLM2-135M-Instruct].",
)
@click.option("--resume", is_flag=True, help="Continue the latest stopped run from its checkpoint.")
@click.option("--run", "run_id", metavar="ID", help="With --resume: which run to continue.")
@click.option(
    "--continue",
    "continue_training",
    is_flag=True,
    help="Start from the latest completed run's adapter; train on examples added since.",
)
@click.option(
    "--preferences",
    is_flag=True,
    help="A DPO round on your /good, /bad and /said feedback, from the latest completed run.",
)
@click.option(
    "--print-accelerate-config",
    is_flag=True,
    help="Print an Accelerate (FSDP) config for several GPUs or machines, and exit.",
)
@options_from(TrainConfig, default_none=True)
@pass_state
def train(
    state: State,
    /,
    dataset: str | None,
    base: str | None,
    resume: bool,
    run_id: str | None,
    continue_training: bool,
    preferences: bool,
    print_accelerate_config: bool,
    **overrides: Any,
) -> None:
    """Fine-tune your twin with LoRA on this machine, with settings chosen for its hardware.

    Shows an estimate of time and memory first, then a progress bar with loss and ETA. Ctrl-C
    stops after the current step and keeps a checkpoint; `twin train --resume` goes on from it.
    """
    if print_accelerate_config:
        _print_accelerate_config()
        return
    from twin.errors import TwinError
    from twin.train.training import TrainRequest
    from twin.train.training import train as run_training

    if resume and continue_training:
        raise TwinError("--resume and --continue cannot be used together")
    if preferences:
        _train_preferences(state)
        return
    sealer = None  # without a vault, only a dataset made by hand can be trained on
    if state.home.vault.exists():
        with state.open_vault() as vault:
            sealer = vault.sealer  # datasets are sealed: the run opens them in memory
    request = TrainRequest(
        dataset=dataset,
        base=base,
        overrides=overrides,
        resume=resume,
        run_id=run_id,
        continue_training=continue_training,
        sealer=sealer,
    )
    run = run_training(state.home, request)
    if run.status == "completed":
        console.print(f"[green]Run {run.id} completed.[/green] Adapter: {adapter_where(run)}")
        console.print("Export it with `twin model export --format gguf --out twin.gguf`.")


def _train_preferences(state: State) -> None:
    from twin.chat.feedback import dpo_preferences
    from twin.memory.embeddings import default_embedder
    from twin.train.dpo import train_preferences

    with state.open_vault() as vault:
        pairs = dpo_preferences(vault, default_embedder())
        sealer = vault.sealer  # the parent's adapter is sealed, and so is the new one
    run = train_preferences(state.home, pairs, sealer=sealer)
    console.print(
        f"[green]Run {run.id} completed[/green]: DPO on {len(pairs)} preference pairs from run "
        f"{run.parent}. Compare the two with `twin eval`."
    )


def _print_accelerate_config() -> None:
    import torch

    from twin.train.accelerate_config import fsdp_config

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 2
    click.echo(fsdp_config(max(gpus, 1)), nl=False)


@click.group(name="runs")
def runs_group() -> None:
    """Your training runs: settings, dataset, losses and timing."""


def _loss(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _train_loss(epoch: dict[str, Any]) -> float | None:
    """An epoch's training loss: the language-model loss, or a preference round's DPO loss."""
    loss: float | None = epoch.get("train_loss", epoch.get("dpo_loss"))
    return loss


@runs_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run, one per line.")
@pass_state
def runs_list(state: State, as_json: bool) -> None:
    """List every run: id, base model, dataset, status, losses, speed and `twin eval` figures."""
    from twin.evaluate.store import headline_summary, read_headline

    runs = list_runs(state.home)
    if as_json:
        for run in runs:
            evaluation = read_headline(state.home, run.id)
            summary = {**run.summary(), "message": run.message, "shown_status": _status(run)}
            click.echo(json.dumps({**summary, "evaluation": evaluation}))
        return
    header = ("id", "base", "dataset", "status", "train loss", "val loss", "tokens/s", "evaluation")
    rows = [
        (
            run.id,
            run.base,
            run.dataset,
            _status(run),
            " ".join(_loss(_train_loss(epoch)) for epoch in run.epochs) or "-",
            " ".join(_loss(epoch.get("val_loss")) for epoch in run.epochs) or "-",
            f"{run.tokens_per_second:.0f}" if run.tokens_per_second else "-",
            headline_summary(state.home, run.id),
        )
        for run in runs
    ]
    if is_pipe():
        click.echo(plain_rows(header, rows))
        return
    table = Table(*header[1:])
    table.columns.insert(0, Column("id", no_wrap=True))
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if any(_stopped_at_time_limit(run) for run in runs):
        console.print(
            "A run stopped at its time limit (see `twin runs show ID`); train again with a "
            "longer --max-minutes to train further."
        )


def _stopped_at_time_limit(run: Run) -> bool:
    return run.status == "completed" and (run.message or "").startswith("stopped at the time limit")


def _status(run: Run) -> str:
    """The run's status in words: a run cut short says so, with how far it got."""
    if run.status != "completed" or not run.total_steps or run.step >= run.total_steps:
        return run.status
    steps = f"({run.step}/{run.total_steps} steps)"
    if _stopped_at_time_limit(run):
        return f"stopped at the time limit {steps}"
    return f"stopped early {steps}"


@runs_group.command(name="show")
@click.argument("run_id", metavar="ID")
@pass_state
def runs_show(state: State, run_id: str) -> None:
    """Show everything about run ID: parameters, dataset hash, losses and timing."""
    run = get_run(state.home, run_id)
    console.print(_describe(run))


def _describe(run: Run) -> str:
    lines = [
        f"run        {run.id}",
        f"status     {run.status}" + (f" ({run.message})" if run.message else ""),
        f"base       {run.base} ({run.base_dir})",
        f"dataset    {run.dataset} (sha256 {run.dataset_hash[:16]}…)",
        f"parent     {run.parent or '-'}",
        f"started    {run.started_at}",
        f"finished   {run.finished_at or '-'}",
        f"steps      {run.step} of {run.total_steps}",
        f"examples   {run.examples}",
        f"tokens     {run.seen_tokens} fed, {run.trained_tokens} with loss",
        f"speed      {run.tokens_per_second or 0:.0f} tokens/s over {run.train_seconds:.0f} s",
        f"adapter    {adapter_where(run) if run.has_adapter else '-'}",
        "settings   " + ", ".join(f"{key}={value}" for key, value in run.config.to_json().items()),
        "epochs",
    ]
    for epoch in run.epochs:
        lines.append(
            f"  {epoch['epoch']}: {'DPO' if 'dpo_loss' in epoch else 'train'} loss "
            f"{_loss(_train_loss(epoch))}, validation loss {_loss(epoch.get('val_loss'))}, "
            f"after step {epoch['steps']}"
            + (" (partial)" if epoch.get("partial") else "")
        )
    return "\n".join(lines)


@click.group(name="model")
def model_group() -> None:
    """Your trained twin as a model file for other tools (llama.cpp, Ollama, Transformers).

    For the base models you train from, see `twin models`.
    """


@model_group.command(name="export")
@click.option("--run", "run_id", metavar="ID", help="Which run [default: the latest completed].")
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    required=True,
    help="peft: the adapter alone; hf: merged safetensors; gguf: one file for llama.cpp; "
    "ollama: GGUF plus a Modelfile.",
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Where to write.")
@click.option(
    "--quantization",
    type=click.Choice(QUANTIZATIONS),
    default="f16",
    show_default=True,
    help="Number format of the GGUF weights.",
)
@pass_state
def export_command(
    state: State, run_id: str | None, format_: str, out: Path, quantization: str
) -> None:
    """Export a trained twin to another format."""
    sealer = None  # a run trained without a vault has a plain adapter
    if state.home.vault.exists():
        with state.open_vault() as vault:
            sealer = vault.sealer  # the adapter is sealed: it is opened in memory
    written = export(state.home, run_id, format_, out, quantization, sealer)
    console.print(f"Wrote {written}. This is NOT encrypted; keep it safe.")
    if format_ == "ollama":
        console.print(
            f"Run it with: cd {written} && ollama create twin -f Modelfile && ollama run twin"
        )


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `twin train`, `twin runs` and `twin model` to the `twin` group."""
    cli.add_command(train)
    cli.add_command(runs_group)
    cli.add_command(model_group)
