"""Commands for memory: the journal, notes, the recall index and recall itself."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.importers.notes import note_importers
from twin.memory.embeddings import default_embedder
from twin.memory.index import index_counts, index_messages, index_notes
from twin.memory.recall import recall
from twin.memory.relevance import used_by_twin, why_left_out
from twin.memory.store import add_journal_entry, forget_notes, import_notes, list_notes
from twin.records import NoteKind
from twin.state import State, pass_state
from twin.words import plural

console = Console(highlight=False, soft_wrap=True)
notes_console = Console(stderr=True, highlight=False, soft_wrap=True)

EDITOR_TEMPLATE = "\n# Write your journal entry above. Lines starting with # are dropped.\n"


def _confirm(yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise TwinError("forgetting cannot be undone: add --yes to confirm")
    click.confirm("This deletes for good. Go on?", abort=True)


def _entry_text(text: str | None) -> str:
    """The entry from the argument, else from stdin, else written in $EDITOR."""
    if text is not None and text != "-":
        return text
    if text == "-" or not sys.stdin.isatty():
        return sys.stdin.read()
    written = click.edit(EDITOR_TEMPLATE, extension=".md")
    if written is None:
        raise TwinError("no entry written; nothing was saved")
    return "\n".join(line for line in written.splitlines() if not line.startswith("#"))


@click.group()
def journal() -> None:
    """Write and read your journal: short dated entries the twin can recall."""


@journal.command(name="add")
@click.argument("text", required=False)
@click.option(
    "--private",
    is_flag=True,
    help="The twin may use this entry to answer, but never quotes it at length.",
)
@click.option(
    "--date", "when", metavar="YYYY-MM-DD[THH:MM]", help="When it happened [default: now]."
)
@pass_state
def journal_add(state: State, text: str | None, private: bool, when: str | None) -> None:
    """Add an entry: TEXT, or stdin (TEXT '-' or piped), or written in $EDITOR."""
    body = _entry_text(text)
    moment = None
    if when:
        try:
            moment = datetime.fromisoformat(when).astimezone()
        except ValueError:
            raise TwinError(f"--date: {when!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    with state.open_vault() as vault:
        note_id = add_journal_entry(vault, body, None, private=private, when=moment)
    console.print(f"Saved journal entry {note_id}{' (private)' if private else ''}.")


@journal.command(name="import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@pass_state
def journal_import(state: State, path: Path) -> None:
    """Import entries from a JSON Lines file ({"date", "text", "private"} a line)."""
    with state.open_vault() as vault, notes_console.status(f"Reading {path.name}…"):
        summary = import_notes(vault, path, default_embedder(), only="journal")
    console.print(
        f"{path}: [bold]{summary.added} new[/bold] entries, {summary.updated} updated, "
        f"{summary.unchanged} unchanged (import #{summary.import_id})"
    )


@journal.command(name="list")
@click.option("--limit", type=int, default=20, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_state
def journal_list(state: State, limit: int, as_json: bool) -> None:
    """Show your latest journal entries."""
    with state.open_vault() as vault:
        rows = list_notes(vault, NoteKind.JOURNAL, limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print('No entries yet. Try `twin journal add "…"`.')
    for row in rows:
        mark = " [private]" if row["private"] else ""
        console.print(f"[bold]{row['id']}[/bold]  {str(row['created_at'])[:16]}{escape(mark)}")
        console.print(f"    {escape(str(row['text']))}")


@journal.command(name="forget")
@click.argument("entry_ids", nargs=-1, type=int)
@click.option("--all", "everything", is_flag=True, help="Every journal entry.")
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@pass_state
def journal_forget(state: State, entry_ids: tuple[int, ...], everything: bool, yes: bool) -> None:
    """Delete entries (by number, see `twin journal list`) and their recall passages."""
    if not entry_ids and not everything:
        raise TwinError("say which entries: their numbers, or --all")
    _confirm(yes)
    with state.open_vault() as vault:
        gone = forget_notes(
            vault, note_ids=entry_ids, kind=NoteKind.JOURNAL if everything else None
        )
    console.print(
        f"Forgot {plural(gone.notes, 'entry')} and {plural(gone.passages, 'recall passage')}."
    )
    for line in gone.derived:
        console.print(f"  also removed {line}")


@click.group()
def notes() -> None:
    """Import, list and forget notes (Markdown and Obsidian, text files, TiddlyWiki)."""


@notes.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--format",
    "only",
    type=click.Choice(sorted(note_importers())),
    help="Read only files of this format [default: every format found].",
)
@click.option("--private", is_flag=True, help="Mark every note of this import private.")
@pass_state
def notes_import(state: State, paths: tuple[Path, ...], only: str | None, private: bool) -> None:
    """Collect notes from folders or files and index them for recall.

    A folder is read whole (an Obsidian vault's settings and trash are skipped). Importing
    again updates the notes that changed and adds nothing else.
    """
    with state.open_vault() as vault:
        for path in paths:
            with notes_console.status(f"Reading and indexing {path.name}…"):
                summary = import_notes(vault, path, default_embedder(), private=private, only=only)
            formats = ", ".join(f"{n} {name}" for name, n in sorted(summary.formats.items()))
            console.print(
                f"{path}: [bold]{summary.added} new[/bold], {summary.updated} updated, "
                f"{summary.unchanged} unchanged ({formats}; "
                f"{plural(summary.index.added, 'passage')} "
                f"indexed; import #{summary.import_id})"
            )


@notes.command(name="list")
@click.option("--limit", type=int, default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_state
def notes_list(state: State, limit: int, as_json: bool) -> None:
    """Show your imported notes."""
    with state.open_vault() as vault:
        rows = list_notes(vault, NoteKind.NOTE, limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print("No notes yet. Try `twin notes import FOLDER`.")
    for row in rows:
        mark = " [private]" if row["private"] else ""
        console.print(
            f"[bold]{row['id']}[/bold]  {str(row['created_at'])[:10]}  "
            f"{escape(str(row['title']))}{escape(mark)}  ({row['source']}: "
            f"{escape(str(row['location']))}, {plural(int(str(row['passages'])), 'passage')})"
        )


@notes.command(name="forget")
@click.argument("note_ids", nargs=-1, type=int)
@click.option(
    "--import", "import_id", type=int, help="Every note one import brought (see `twin sources`)."
)
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@pass_state
def notes_forget(state: State, note_ids: tuple[int, ...], import_id: int | None, yes: bool) -> None:
    """Delete notes (by number, see `twin notes list`, or by import) and their recall passages."""
    if not note_ids and import_id is None:
        raise TwinError("say which notes: their numbers, or --import N")
    _confirm(yes)
    with state.open_vault() as vault:
        gone = forget_notes(vault, note_ids=note_ids, import_id=import_id)
    console.print(
        f"Forgot {plural(gone.notes, 'note')}, {plural(gone.passages, 'recall passage')} and "
        f"{plural(gone.imports, 'import record')}."
    )
    for line in gone.derived:
        console.print(f"  also removed {line}")


@click.command(name="recall")
@click.argument("query")
@click.option("--limit", "-n", type=int, default=5, show_default=True, help="How many passages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: source, date and passage.")
@pass_state
def recall_command(state: State, query: str, limit: int, as_json: bool) -> None:
    """Find the passages of your journal and notes that best answer QUERY."""
    with state.open_vault() as vault:
        passages = recall(vault, default_embedder(), query, limit)
        used = used_by_twin(vault, default_embedder(), query) if passages else set()
    if as_json:
        described = [
            {**p.describe(), "used_by_twin": p.chunk_id in used, "why_not": why_left_out(p, used)}
            for p in passages
        ]
        click.echo(json.dumps(described, indent=2, ensure_ascii=False))
        return
    if not passages:
        console.print(
            "Nothing recalled. Add entries with `twin journal add` or `twin notes import`."
        )
    for number, passage in enumerate(passages, start=1):
        mark = " [private]" if passage.private else ""
        console.print(
            f"[bold]{number}. {escape(passage.source)}[/bold]  {passage.date[:10]}"
            f"  {escape(passage.heading)}{escape(mark)}"
        )
        console.print(f"   {escape(passage.text)}")
        why = why_left_out(passage, used)
        said = f"not used by twin ask: {why}" if why else "used by twin ask"
        console.print(f"   [dim]{escape(said)}[/dim]")


@click.group()
def memory() -> None:
    """The recall index over your journal and notes (and, if you choose, your messages)."""


@memory.command(name="index")
@click.option(
    "--messages", is_flag=True, help="Also index your chat messages, so the twin can recall them."
)
@pass_state
def memory_index(state: State, messages: bool) -> None:
    """Bring the recall index up to date; passages that did not change are kept as they are."""
    with state.open_vault() as vault:
        with notes_console.status("Indexing…"), vault.transaction():
            summary = index_notes(vault, default_embedder())
            if messages:
                summary += index_messages(vault, default_embedder())
        counts = index_counts(vault)
    console.print(
        f"{summary.added} passages added, {summary.kept} unchanged, {summary.removed} removed; "
        f"the index holds {counts['note']:,} passages of notes and {counts['message']:,} of "
        "messages."
    )


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add this module's commands to the `twin` group."""
    for command in (journal, notes, recall_command, memory):
        cli.add_command(command)
