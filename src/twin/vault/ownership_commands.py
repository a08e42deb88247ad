"""Commands for owning what the vault holds: sources, stats, rules, forget and export."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import NamedTuple

import click
from rich.console import Console
from rich.table import Table

from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.state import State, pass_state
from twin.vault.export import export_vault
from twin.vault.forget import forget
from twin.vault.forget_preview import preview_forget
from twin.vault.people import my_names
from twin.vault.rules import RULE_KINDS, add_rule, list_rules, parse_day, remove_rule
from twin.words import is_pipe, plain_rows, plural

console = Console(highlight=False, soft_wrap=True)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--all", "every_attempt", is_flag=True, help="Every import attempt, repeats of a file included."
)
@pass_state
def sources(state: State, as_json: bool, every_attempt: bool) -> None:
    """List every import: what, when, from which file, and how many messages it brought.

    A file imported again with the same content is one line, saying how many times.
    """
    with state.open_vault() as vault:
        rows = list(
            vault.rows(
                "SELECT imports.*, "
                "(SELECT count(*) FROM messages WHERE import_id = imports.id) AS messages_kept, "
                "(SELECT count(*) FROM notes WHERE import_id = imports.id) AS notes_kept "
                "FROM imports ORDER BY id"
            )
        )
    if not every_attempt:
        rows = distinct_imports(rows)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print("Nothing imported yet. Try `twin import EXPORT`.")
        return
    header = ("#", "source", "imported", "file", "sha256", "new", "skipped", "kept", "times")
    lines = [
        (
            str(row["id"]),
            str(row["source"]),
            str(row["imported_at"])[:10],
            Path(str(row["file_name"])).name,
            str(row["file_sha256"])[:8],
            str(row["added"]),
            str(row["skipped"]),
            str(int(str(row["messages_kept"])) + int(str(row["notes_kept"]))),
            str(row.get("times", 1)),
        )
        for row in rows
    ]
    if is_pipe():
        click.echo(plain_rows(header, lines))
        return
    table = Table(*header)
    for line in lines:
        table.add_row(*line)
    console.print(table)


def distinct_imports(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """One row per distinct file content: the first import of it, with what repeats added."""
    first: dict[object, dict[str, object]] = {}
    for row in rows:
        content = row.get("file_sha256") or f"import {row['id']}"
        if content not in first:
            first[content] = {**row, "times": 1}
            continue
        kept = first[content]
        kept["times"] = int(str(kept["times"])) + 1
        for count in ("added", "skipped", "messages_kept", "notes_kept"):
            kept[count] = int(str(kept[count] or 0)) + int(str(row[count] or 0))
    return list(first.values())


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_state
def stats(state: State, as_json: bool) -> None:
    """Show what your vault holds: messages, conversations, people and imports."""
    with state.open_vault() as vault:
        counts = vault.counts()
        by_source = dict(
            vault.db.execute(
                "SELECT source, count(*) FROM messages JOIN conversations "
                "ON conversations.id = conversation_id GROUP BY source ORDER BY source"
            ).fetchall()
        )
        by_kind = dict(
            vault.db.execute("SELECT kind, count(*) FROM messages GROUP BY kind ORDER BY kind")
        )
        mine = vault.db.execute(
            "SELECT count(*) FROM messages JOIN people ON people.id = sender_id WHERE is_me = 1"
        ).fetchone()[0]
        first, last = vault.db.execute(
            "SELECT min(sort_key), max(sort_key) FROM messages"
        ).fetchone()
        conversations = list(
            vault.rows(
                "SELECT conversations.id, source, title, count(messages.id) AS messages "
                "FROM conversations LEFT JOIN messages ON conversation_id = conversations.id "
                "GROUP BY conversations.id ORDER BY messages DESC, title"
            )
        )
        me = my_names(vault)
    report = {
        **counts,
        "my_messages": mine,
        "me": me,
        "by_source": by_source,
        "by_kind": by_kind,
        "first": first,
        "last": last,
        "conversation_list": conversations,
    }
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    console.print(
        f"[bold]{plural(counts['messages'], 'message')}[/bold] in "
        f"{plural(counts['conversations'], 'conversation')} with "
        f"{plural(counts['people'], 'person')}; "
        f"{plural(counts['notes'], 'note or journal entry', 'notes and journal entries')}; "
        f"from {plural(counts['imports'], 'import')}"
    )
    if first:
        console.print(f"from {first[:10]} to {last[:10]}")
    console.print(
        f"You: {', '.join(me) if me else 'not yet known (twin me NAME)'}; "
        f"{plural(mine, 'message is', 'messages are')} yours"
    )
    for name, count in by_source.items():
        console.print(f"  {name}: {plural(count, 'message')}")
    for row in conversations[:15]:
        console.print(f"  [{row['source']}] {row['title']}: {row['messages']:,}")


@click.group()
def rules() -> None:
    """List, add and remove your standing consent rules.

    Rules are checked on every import and every dataset build.
    """


@rules.command(name="list")
@pass_state
def rules_list(state: State) -> None:
    """Show the rules in force."""
    with state.open_vault() as vault:
        found = list_rules(vault)
    if not found:
        console.print("No rules yet. Kinds of rule: " + ", ".join(RULE_KINDS))
    for rule in found:
        console.print(f"{rule.id}. {rule.kind} {rule.value}  (since {rule.created_at[:10]})")


@rules.command(name="add")
@click.argument("kind", type=click.Choice(list(RULE_KINDS)))
@click.argument("value")
@pass_state
def rules_add(state: State, kind: str, value: str) -> None:
    """Add a rule, e.g. `twin rules add exclude-contact "Ann"`.

    \b
    exclude-contact NAME         never collect or use messages from NAME, nor 1:1 chats with them
    exclude-conversation TITLE   never collect or use this conversation
    exclude-source SOURCE        never collect or use anything from this source
    exclude-before YYYY-MM-DD    nothing sent before this day
    exclude-after YYYY-MM-DD     nothing sent after this day
    """
    with state.open_vault() as vault, vault.transaction():
        rule = add_rule(vault, kind, value)
    console.print(
        f"Rule {rule.id}: {rule.kind} {rule.value}. It applies to future imports and "
        "datasets; `twin forget` removes what is already stored."
    )


@rules.command(name="remove")
@click.argument("rule_id", type=int)
@pass_state
def rules_remove(state: State, rule_id: int) -> None:
    """Remove the rule with this number (see `twin rules list`)."""
    with state.open_vault() as vault, vault.transaction():
        rule = remove_rule(vault, rule_id)
    console.print(f"Removed rule {rule.id}: {rule.kind} {rule.value}.")


class Criteria(NamedTuple):
    """What `twin forget` was asked to forget, as `forget` and `preview_forget` take it."""

    contact: str | None
    conversation: str | None
    source: str | None
    import_id: int | None
    before: date | None


@click.command(name="forget")
@click.option("--contact", help="A person: their messages, 1:1 chats with them, and them.")
@click.option("--conversation", help="A conversation, by title or id.")
@click.option("--source", help="Everything from one source, e.g. whatsapp.")
@click.option(
    "--import", "import_id", type=int, help="What one import brought (see `twin sources`)."
)
@click.option("--before", metavar="YYYY-MM-DD", help="Everything sent before this day.")
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Say what would go, and change nothing.")
@pass_state
def forget_command(
    state: State,
    contact: str | None,
    conversation: str | None,
    source: str | None,
    import_id: int | None,
    before: str | None,
    yes: bool,
    dry_run: bool,
) -> None:
    """Delete records, and everything derived from them, for good.

    It first says what goes (messages, conversations, notes, datasets, runs), then asks.
    """
    from twin.train.forget_preview import datasets_going, runs_going

    day = parse_day(before, "--before") if before else None
    criteria = Criteria(contact, conversation, source, import_id, day)
    with state.open_vault() as vault:
        going = preview_forget(vault, **criteria._asdict())
        datasets, runs = datasets_going(vault, going), runs_going(vault, going)
        console.print(
            f"{'This would forget' if dry_run else 'This forgets, for good'}: "
            f"{plural(going.messages, 'message')} ({going.mine:,} of them yours), "
            f"{plural(going.conversations, 'conversation')}, "
            f"{plural(going.notes, 'note or journal entry', 'notes and journal entries')}, "
            f"{plural(len(datasets), 'dataset')}"
            + (f" ({', '.join(datasets)})" if datasets else "")
            + f", {plural(len(runs), 'training run')}"
            + (f" ({', '.join(runs)})" if runs else "")
            + "."
        )
        if dry_run:
            console.print("Nothing was changed (--dry-run).")
            return
        if not yes:
            if not sys.stdin.isatty():
                raise TwinError("forgetting cannot be undone: add --yes to confirm")
            click.confirm("Go on?", abort=True)
        gone = forget(vault, **criteria._asdict())
    console.print(
        f"Forgot {plural(gone.messages, 'message')}, {plural(gone.notes, 'note')}, "
        f"{plural(gone.conversations, 'conversation')}, {plural(gone.people, 'person')} and "
        f"{plural(gone.imports, 'import record')}."
    )
    for line in gone.derived:
        console.print(f"  also removed {line}")


@click.command(name="export")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists, without asking.")
@pass_state
def export_command(state: State, path: Path, force: bool) -> None:
    """Write everything the vault holds to PATH as JSON Lines (not encrypted)."""
    if path.exists() and not force:
        if not sys.stdin.isatty():
            raise TwinError(f"{path}: the file exists; add --force to overwrite it")
        click.confirm(f"{path} exists. Overwrite it?", abort=True)
    with state.open_vault() as vault:
        counts = export_vault(vault, path)
    summary = ", ".join(plural(n, kind) for kind, n in counts.items())
    console.print(f"Wrote {summary} to {path}. This file is NOT encrypted; keep it safe.")


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add this module's commands to the `twin` group."""
    for command in (sources, stats, rules, forget_command, export_command):
        cli.add_command(command)
