"""`twin dataset build|list|show|export|delete|redaction`: datasets of your own voice."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from twin.cli_options import options_from
from twin.dataset.build import build_dataset
from twin.dataset.options import BuildOptions, parse_duration
from twin.dataset.store import (
    dataset_names,
    delete_dataset,
    export_dataset,
    load_stats,
    read_review,
    read_text,
)
from twin.dataset.wordlists import WordLists, lists_path
from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.state import State, pass_state
from twin.words import plural

console = Console(highlight=False, soft_wrap=True)

REDACTED_AS = {
    "EMAIL": "email address",
    "URL": "web address",
    "IBAN": "bank account number",
    "CARD": "card number",
    "PHONE": "phone number",
    "PRIVATE": "private word",
    "PERSON": "name",
}
"""What each kind of placeholder stands for, in the build's summary."""


def _duration(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    try:
        return parse_duration(value)
    except TwinError as error:
        raise click.BadParameter(str(error)) from None


@click.group()
def dataset() -> None:
    """Build and manage datasets of your own voice for fine-tuning.

    A dataset lives in $TWIN_HOME/datasets/NAME/, sealed with a key derived from your vault
    key: train.jsonl, val.jsonl, card.md (read it with `show`), stats.json, lengths.png and the
    redaction review (`review`). `export` writes plain copies for other trainers.
    """


@dataset.command(name="build")
@options_from(BuildOptions)
@pass_state
def build_command(state: State, /, **choices: Any) -> None:
    """Build a dataset from your vault: your own turns as targets, the turns before as context.

    Your standing rules always apply. The same vault and options give byte-identical files.
    """
    options = BuildOptions(**choices)
    started = time.perf_counter()
    with state.open_vault() as vault:
        built = build_dataset(vault, options)
    stats = built.stats
    tokens = stats["tokens"]
    console.print(
        f"[bold]{stats['examples']['train']:,}[/bold] training and "
        f"[bold]{stats['examples']['val']:,}[/bold] validation examples "
        f"({tokens['train']['total'] + tokens['val']['total']:,} tokens) from "
        f"{stats['selection']['messages_read']:,} messages in "
        f"{time.perf_counter() - started:.1f}s."
    )
    removed = {
        **stats["filters"]["messages"],
        **stats["filters"]["turns"],
        **stats["filters"]["targets"],
    }
    console.print("Filtered: " + ", ".join(f"{n:,} {k}" for k, n in removed.items() if n))
    if options.redact:
        kinds = stats["redactions"]["placeholders"]
        console.print(
            "Redacted: "
            + (
                ", ".join(plural(n, REDACTED_AS.get(k, k.lower())) for k, n in kinds.items() if n)
                or "nothing found"
            )
            + f". Review them with `twin dataset review {options.name}`."
        )
    else:
        console.print("[yellow]Not redacted: the files hold names and numbers as written.[/yellow]")
    if stats["notes"]["entries"]:
        console.print(
            f"notes.jsonl: {stats['notes']['entries']:,} journal entries and notes as plain text, "
            "for continued pre-training."
        )
    for warning in stats["redactions"].get("warnings", []):
        console.print(f"[yellow]Check: {warning}[/yellow]")
    console.print(
        f"Sealed in {built.folder} (encrypted); read the card with `twin dataset show "
        f"{options.name}`, or `twin dataset export {options.name} DIR` for plain files."
    )


@dataset.command(name="list")
@pass_state
def list_command(state: State) -> None:
    """List your datasets."""
    names = dataset_names(state.home)
    if not names:
        console.print("No datasets yet. Build one with `twin dataset build`.")
        return
    with state.open_vault() as vault:
        every = {name: load_stats(vault, name) for name in names}
    table = Table("name", "format", "train", "val", "tokens", "redacted")
    for name, stats in every.items():
        tokens = stats["tokens"]["train"]["total"] + stats["tokens"]["val"]["total"]
        table.add_row(
            name,
            stats["format"],
            f"{stats['examples']['train']:,}",
            f"{stats['examples']['val']:,}",
            f"{tokens:,}",
            "yes" if stats["redactions"]["on"] else "no",
        )
    console.print(table)


@dataset.command(name="show")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print stats.json.")
@pass_state
def show_command(state: State, name: str | None, as_json: bool) -> None:
    """Show a dataset's card (or, with --json, its statistics) [default: the newest dataset]."""
    if name is None:
        from twin.train.data import dataset_dir  # the same newest dataset `twin train` picks

        name = dataset_dir(state.home, None).name
    with state.open_vault() as vault:
        if as_json:
            click.echo(
                json.dumps(load_stats(vault, name), indent=2, ensure_ascii=False, sort_keys=True)
            )
            return
        click.echo(read_text(vault, name, "card.md"), nl=False)


@dataset.command(name="review")
@click.argument("name")
@click.option("--kind", help="Only this kind of placeholder (PERSON, PHONE, EMAIL...).")
@pass_state
def review_command(state: State, name: str, kind: str | None) -> None:
    """List every replacement redaction made in dataset NAME, with the original, to check.

    Read from the sealed review in memory and shown on this screen only; nothing is written.
    """
    with state.open_vault() as vault:
        rows = read_review(vault, name)
    if kind:
        rows = [row for row in rows if row.get("kind", "").upper() == kind.upper()]
    table = Table("placeholder", "kind", "original", "where")
    for row in rows:
        table.add_row(
            row.get("placeholder", ""),
            row.get("kind", ""),
            row.get("original", ""),
            row.get("where", ""),
        )
    console.print(table)
    console.print(f"{plural(len(rows), 'replacement')}.")


@dataset.command(name="export")
@click.argument("name")
@click.argument("destination", type=click.Path(path_type=Path, file_okay=False))
@pass_state
def export_command(state: State, name: str, destination: Path) -> None:
    """Write a dataset's files to DESTINATION in the clear, for other trainers.

    The redaction review, which holds the originals, stays behind.
    """
    with state.open_vault() as vault:
        copied = export_dataset(vault, name, destination)
    console.print(
        f"Wrote {plural(len(copied), 'file')} to {destination}. "
        "[bold]They are NOT encrypted[/bold]: "
        "anyone who can read that folder can read your messages."
    )


@dataset.command(name="delete")
@click.argument("name")
@pass_state
def delete_command(state: State, name: str) -> None:
    """Delete a dataset for good."""
    folder = delete_dataset(state.home, name)
    console.print(f"Deleted {folder}.")


@dataset.group(name="redaction")
def redaction() -> None:
    """Your word lists: words never to redact and words always to redact."""


@redaction.command(name="allow")
@click.argument("word")
@pass_state
def allow_command(state: State, word: str) -> None:
    """Never redact WORD (a name that is also a word, like May)."""
    lists = WordLists.load(state.home)
    lists.allow(word)
    path = lists.save(state.home)
    console.print(f"{word!r} will never be redacted ({path}). Build again to apply.")


@redaction.command(name="deny")
@click.argument("word")
@pass_state
def deny_command(state: State, word: str) -> None:
    """Always redact WORD (a surname, a street, an employer)."""
    lists = WordLists.load(state.home)
    lists.deny(word)
    path = lists.save(state.home)
    console.print(f"{word!r} will always be redacted ({path}). Build again to apply.")


@redaction.command(name="drop")
@click.argument("word")
@pass_state
def drop_command(state: State, word: str) -> None:
    """Take WORD off both lists."""
    lists = WordLists.load(state.home)
    if not lists.drop(word):
        raise TwinError(f"{word!r} is on neither list")
    lists.save(state.home)
    console.print(f"{word!r} is off your lists.")


@redaction.command(name="show")
@pass_state
def show_lists_command(state: State) -> None:
    """Show both lists and where they are kept."""
    lists = WordLists.load(state.home)
    console.print(f"{lists_path(state.home)}")
    console.print("never redact: " + (", ".join(lists.never) or "(none)"))
    console.print("always redact: " + (", ".join(lists.always) or "(none)"))
    console.print(
        "phone region for numbers without +: "
        + (lists.phone_region or "(from your own number, else your locale)")
    )


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `twin dataset` to the `twin` group."""
    cli.add_command(dataset)


@dataset.command(name="expand")
@click.option("--count", type=int, default=20, show_default=True, help="Openers in this round.")
@click.option("--seed", type=int, help="Fix which openers come up.")
@click.option("--model", type=click.Path(path_type=Path, exists=True), help="A model folder.")
@click.option("--run", "run_id", help="Draft with this training run [default: the latest].")
@pass_state
def expand_command(
    state: State, count: int, seed: int | None, model: Path | None, run_id: str | None
) -> None:
    """Grow a small dataset: accept, edit or reject your twin's drafts to everyday openers.

    Accepted and edited replies become training examples in your voice, rejected ones
    preference pairs (`twin train --preferences`). Openers already judged don't come back.
    """
    from twin.chat.engine import load_engine
    from twin.chat.expand import Decision, expand
    from twin.chat.twin import Twin
    from twin.memory.embeddings import default_embedder

    def decide(opener: str, draft: str) -> Decision:
        click.echo(f"\nthem> {opener}\ntwin> {draft}")
        choice = click.prompt(
            "[a]ccept, [e]dit, [r]eject, [s]kip, [q]uit",
            type=click.Choice(["a", "e", "r", "s", "q"]),
            show_choices=False,
        )
        if choice == "e":
            return "edit", click.prompt("you would say")
        action = {"a": "accept", "r": "reject", "s": "skip", "q": "stop"}[choice]
        return action, None  # type: ignore[return-value]

    with state.open_vault() as vault:
        engine = load_engine(state.home, model, run_id, vault.sealer)
        twin = Twin(vault, engine, default_embedder())
        done = expand(twin, decide, count=count, seed=seed)
    click.echo(
        f"{done.accepted} accepted, {done.edited} edited, {done.rejected} rejected, "
        f"{done.skipped} skipped; kept in the vault as feedback."
    )
