"""Commands for collecting your data: init, preview, import and me."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.importers import importers
from twin.importers.base import DATE_ORDERS, DateOrder, ParseOptions
from twin.importers.looks import explain_unreadable
from twin.state import State, pass_state
from twin.vault.collect import import_file, preview_stats, write_preview
from twin.vault.folder import FolderPlan, plan_folder
from twin.vault.key import write_key_file
from twin.vault.people import my_names, set_me
from twin.vault.rules import RuleSet, add_rule, parse_day
from twin.vault.senders import check_me, closest_sender, senders
from twin.vault.vault import Vault
from twin.words import plural

console = Console(highlight=False, soft_wrap=True)
notes = Console(stderr=True, highlight=False, soft_wrap=True)

WELCOME = """\
[bold]twin keeps your data, and only you hold the key.[/bold]

What twin does
  twin collects your own messages, journal and notes into a [bold]vault[/bold]: one encrypted
  file on this computer. From the words you wrote it builds a dataset of your own voice,
  fine-tunes a small language model on this machine, and lets you talk to the result, your
  digital twin, which looks facts up in your own notes instead of inventing them.

Where your data lives
  {home}
  The vault is {vault}, encrypted with a key made from your passphrase. Without the
  passphrase nobody, including twin, can read it. Lose the passphrase and the data is lost.

What twin never does
  It sends nothing anywhere: no accounts, no cloud, no telemetry, no update checks.
  It keeps only what you import, under rules you set (`twin rules`), and
  `twin forget` deletes for good. `twin export` gives you everything back as plain JSON.

Next steps
  twin preview EXPORT     see what a chat export holds, without keeping anything
  twin import EXPORT      collect it into the vault (WhatsApp .txt/.zip, Telegram result.json)
  twin notes import DIR   your notes (Markdown, Obsidian, text, TiddlyWiki), for the twin to recall
  twin journal add TEXT   a journal entry
  twin dataset build      a dataset of your own voice, with a card saying what went in
  twin train              fine-tune your twin on this machine
  twin chat               talk to it (twin serve: the same over an OpenAI-compatible API)
"""


def _date(value: str | None, what: str) -> date | None:
    return parse_day(value, what) if value else None


source_option = click.option(
    "--source",
    metavar="NAME",
    help="What kind of export the file is: whatsapp, telegram, or a plugin's source "
    "[default: detected from the file].",
)
date_order_option = click.option(
    "--date-order",
    type=click.Choice(DATE_ORDERS),
    help="Order of day, month and year in the export's dates [default: inferred from the file].",
)


@click.command()
@pass_state
def init(state: State) -> None:
    """Create your encrypted vault and explain what twin does with your data."""
    home = state.home
    if home.vault.exists():
        raise TwinError(f"{home.vault}: a vault already exists here; nothing was changed")
    home.ensure()
    if state.key_file is not None and not state.key_file.exists():
        write_key_file(state.key_file)
        notes.print(f"Created a new key file at {state.key_file}. Keep a copy somewhere safe.")
    with Vault.create(home, state.secret(confirm=True)):
        pass
    console.print(WELCOME.format(home=home.path, vault=home.vault.name))
    console.print(f"[green]Your vault is ready at {home.vault}.[/green]")


@click.command(name="preview")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@source_option
@date_order_option
@click.option(
    "--stats",
    is_flag=True,
    help="Print counts instead of messages, and what was read leniently (odd lines, kept text).",
)
def preview_command(
    path: Path, source: str | None, date_order: DateOrder | None, stats: bool
) -> None:
    """Print what PATH holds, one JSON object per message, without keeping anything.

    Each line has the keys source, conversation, sender, sent_at, kind and text.
    """
    if stats:
        with _explained(path, source):
            found = preview_stats(path, source, ParseOptions(date_order=date_order))
        kinds = ", ".join(f"{count:,} {kind}" for kind, count in found.kinds.most_common())
        console.print(
            f"{path}: {plural(found.messages, 'message')} ({kinds or 'none'}) in "
            f"{plural(found.conversations, 'conversation')}, "
            f"from {plural(len(found.senders), 'sender')} ({found.source})"
        )
        if found.first is not None and found.last is not None:
            console.print(f"  from {found.first:%Y-%m-%d %H:%M} to {found.last:%Y-%m-%d %H:%M}")
        for name, count in found.senders.most_common(5):
            console.print(f"  {name}: {count:,}")
        _print_lenient(found.lenient.lines())
        return
    sys.stdout.flush()
    with _explained(path, source):
        write_preview(path, source, ParseOptions(date_order=date_order), sys.stdout.buffer)
    sys.stdout.buffer.flush()


@contextmanager
def _explained(path: Path, source: str | None) -> Iterator[None]:
    """Say what a file that is plainly no export looks like, instead of how it failed to parse."""
    try:
        yield
    except TwinError as error:
        forced = source is not None
        raise explain_unreadable(path, error, list(importers()), forced=forced) from None


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@source_option
@date_order_option
@click.option("--me", help="Your name as it appears in the export (kept for later imports).")
@click.option(
    "--force", is_flag=True, help="With --me: keep the name even if no sender goes by it."
)
@click.option(
    "--as",
    "speaker",
    metavar="NAME",
    help="For a dialogue script (--source script): the character who speaks for you.",
)
@click.option(
    "--exclude-contact",
    multiple=True,
    metavar="NAME",
    help="Never collect messages from NAME, nor a one-to-one chat with them (kept as a rule).",
)
@click.option(
    "--since", metavar="YYYY-MM-DD", help="Collect only messages sent on or after this day."
)
@click.option(
    "--until", metavar="YYYY-MM-DD", help="Collect only messages sent on or before this day."
)
@click.option(
    "--transcribe",
    is_flag=True,
    help="Transcribe the voice notes the export holds (WhatsApp .opus, Telegram voice_messages/) "
    "into the text of their messages.",
)
@click.option(
    "--keep-audio", is_flag=True, help="With --transcribe: keep the audio in the vault too."
)
@pass_state
def import_command(
    state: State,
    paths: tuple[Path, ...],
    source: str | None,
    date_order: DateOrder | None,
    me: str | None,
    force: bool,
    speaker: str | None,
    exclude_contact: tuple[str, ...],
    since: str | None,
    until: str | None,
    transcribe: bool = False,
    keep_audio: bool = False,
) -> None:
    """Collect chat exports into your vault.

    Importing the same export again adds nothing; two overlapping exports of one chat give
    their union. Each file is imported in one transaction: if anything goes wrong, the vault
    stays exactly as it was.
    """
    first, last = _date(since, "--since"), _date(until, "--until")
    with state.open_vault() as vault:
        for name in exclude_contact:
            with vault.transaction():
                add_rule(vault, "exclude-contact", name)
        for path in _each_export(paths) if source is None else paths:
            rules = RuleSet.standing(vault, since=first, until=last)
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=notes,
                transient=True,
                disable=not notes.is_terminal,
            ) as bar:
                task = bar.add_task(f"Reading {path.name}", total=None)

                def show(count: int, name: str = path.name, task: TaskID = task) -> None:
                    bar.update(task, description=f"Reading {name}: {count:,} messages")

                with _explained(path, source):
                    summary = import_file(
                        vault,
                        path,
                        source=source,
                        options=ParseOptions(date_order=date_order, speaker=speaker),
                        rules=rules,
                        me=me,
                        force_me=force,
                        choose_me=_ask_me if sys.stdin.isatty() else None,
                        progress=show,
                    )
            console.print(
                f"{path}: [bold]{summary.added:,} new[/bold], {summary.already_there:,} already "
                f"there, {summary.skipped:,} skipped by your rules "
                f"({summary.source}, {plural(summary.conversations, 'conversation')}, "
                f"import #{summary.import_id})"
            )
            _print_lenient(summary.lenient.lines())
            if transcribe:
                _transcribe(vault, path, source, ParseOptions(date_order=date_order), keep_audio)
            if summary.events:
                _summarise_activity(vault, summary.import_id, summary.events)
                continue  # device activity has no senders: nobody to name as you
            if not summary.me:
                found = senders(vault, summary.import_id)
                notes.print(
                    (f"No sender in this export is named {me!r}. " if me else "")
                    + "twin can't tell which sender is you in this export. Say so with "
                    "`twin me NAME` (or `--me NAME` when importing) before building a dataset."
                )
                _print_senders(found, me)


def _each_export(paths: tuple[Path, ...]) -> list[Path]:
    """The paths to import: a folder of several exports becomes its exports, skips said."""
    every: list[Path] = []
    for path in paths:
        plan = plan_folder(path) if path.is_dir() else FolderPlan()
        if not plan.exports:
            every.append(path)
            continue
        console.print(
            f"{path}: a folder of {plural(len(plan.exports), 'export')}; importing each"
            + (f", skipping {plural(len(plan.skipped), 'file')}:" if plan.skipped else "")
        )
        for skipped, why in plan.skipped:
            console.print(f"  skipped {skipped.name}: {why}", markup=False)
        every += plan.exports
    return every


def _transcribe(
    vault: Vault, path: Path, source: str | None, options: ParseOptions, keep_audio: bool
) -> None:
    """Transcribe the voice notes of an export just imported (see `twin.voice.exports`)."""
    from twin.voice.commands import print_voice_notes
    from twin.voice.exports import transcribe_export

    with notes.status(f"Transcribing the voice notes in {path.name}…"):
        found = transcribe_export(
            vault, path, source=source, options=options, keep_audio=keep_audio
        )
    print_voice_notes(found)


def _summarise_activity(vault: Vault, import_id: int, events: int) -> None:
    """Turn the days an activity import covers into recall passages (one per day)."""
    from twin.memory.activity import refresh_activity
    from twin.memory.embeddings import default_embedder

    with vault.transaction():
        index = refresh_activity(vault, default_embedder(), import_id)
    console.print(
        f"  {plural(events, 'activity event')}; {plural(index.added, 'day summary')} indexed "
        "for recall "
        "(never used as training targets)"
    )


def _print_lenient(lines: list[str]) -> None:
    """Say what was read leniently; nothing when every line was regular."""
    if lines:
        console.print("Read leniently:")
        for line in lines:
            console.print(f"  {line}", markup=False, highlight=False)


def _ask_me(senders: list[str]) -> str | None:
    """Ask at the terminal which sender is the user."""
    console.print("Which of these senders is you?")
    for number, name in enumerate(senders[:20], start=1):
        console.print(f"  {number}. {name}")
    answer = click.prompt(
        "Number (or Enter to decide later)", default="", show_default=False
    ).strip()
    if answer.isdigit() and 1 <= int(answer) <= min(len(senders), 20):
        return senders[int(answer) - 1]
    return None


def _print_senders(found: list[tuple[str, int]], name: str | None, out: Console = notes) -> None:
    """List the senders (most active first) and suggest the one `name` most likely means."""
    if not found:
        return
    listed = ", ".join(f"{who} ({plural(n, 'message')})" for who, n in found[:10])
    more = f" and {plural(len(found) - 10, 'more sender')}" if len(found) > 10 else ""
    out.print(f"Senders found: {listed}{more}", markup=False)
    suggestion = closest_sender(name, [who for who, _ in found]) if name else None
    if suggestion:
        out.print(f"Did you mean {suggestion!r}? `twin me {shlex.quote(suggestion)}`", markup=False)


@click.command(name="me")
@click.argument("name", required=False)
@click.option("--force", is_flag=True, help="Take NAME even if no stored sender has it.")
@pass_state
def me_command(state: State, name: str | None, force: bool) -> None:
    """Say which sender is you (in every source), or show what twin knows and who sent what."""
    with state.open_vault() as vault:
        found = senders(vault)
        if name:
            if not force:
                check_me(vault, name)
            with vault.transaction():
                matched = set_me(vault, name)
            console.print(
                f"{name} is you ({plural(matched, 'matching sender')} already in the vault)."
            )
        names = my_names(vault)
    if not name:
        console.print(", ".join(names) if names else "twin doesn't know yet. Run `twin me NAME`.")
        _print_senders(found, None, console)


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add this module's commands to the `twin` group."""
    for command in (init, preview_command, import_command, me_command):
        cli.add_command(command)
