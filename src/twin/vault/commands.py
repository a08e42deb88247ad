"""Commands for collecting and owning your data: init, preview, import, sources, stats, rules,
forget, export and me."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from twin.context import State, pass_state
from twin.errors import TwinError
from twin.importers import importers
from twin.importers.base import DATE_ORDERS, DateOrder, ParseOptions
from twin.vault.collect import import_file, preview
from twin.vault.export import export_vault
from twin.vault.forget import forget
from twin.vault.key import write_key_file
from twin.vault.people import my_names, set_me
from twin.vault.rules import RULE_KINDS, RuleSet, add_rule, list_rules, parse_day, remove_rule
from twin.vault.vault import Vault

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
  twin stats              see what the vault holds
"""


def _date(value: str | None, what: str) -> date | None:
    return parse_day(value, what) if value else None


def _source_choice() -> click.Choice[str]:
    return click.Choice(sorted(importers()))


source_option = click.option(
    "--source",
    type=click.Choice(["whatsapp", "telegram"]),
    help="What kind of export the file is [default: detected from the file].",
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
def preview_command(path: Path, source: str | None, date_order: DateOrder | None) -> None:
    """Print what PATH holds, one JSON object per message, without keeping anything.

    Each line has the keys source, conversation, sender, sent_at, kind and text.
    """
    out = sys.stdout
    for message in preview(path, source, ParseOptions(date_order=date_order)):
        out.write(json.dumps(message.preview(), ensure_ascii=False) + "\n")


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@source_option
@date_order_option
@click.option("--me", help="Your name as it appears in the export (kept for later imports).")
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
@pass_state
def import_command(
    state: State,
    paths: tuple[Path, ...],
    source: str | None,
    date_order: DateOrder | None,
    me: str | None,
    exclude_contact: tuple[str, ...],
    since: str | None,
    until: str | None,
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
        for path in paths:
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

                summary = import_file(
                    vault,
                    path,
                    source=source,
                    options=ParseOptions(date_order=date_order),
                    rules=rules,
                    me=me,
                    choose_me=_ask_me if sys.stdin.isatty() else None,
                    progress=show,
                )
            console.print(
                f"{path}: [bold]{summary.added:,} new[/bold], {summary.already_there:,} already "
                f"there, {summary.skipped:,} skipped by your rules "
                f"({summary.source}, {summary.conversations} conversation"
                f"{'s' if summary.conversations != 1 else ''}, import #{summary.import_id})"
            )
            if not summary.me:
                notes.print(
                    "twin can't tell which sender is you in this export. Say so with "
                    "`twin me NAME` (or `--me NAME` when importing) before building a dataset."
                )


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


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def sources(state: State, as_json: bool) -> None:
    """List every import: what, when, from which file, and how many messages it brought."""
    with state.open_vault() as vault:
        rows = list(
            vault.rows(
                "SELECT imports.*, "
                "(SELECT count(*) FROM messages WHERE import_id = imports.id) AS messages_kept, "
                "(SELECT count(*) FROM notes WHERE import_id = imports.id) AS notes_kept "
                "FROM imports ORDER BY id"
            )
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print("Nothing imported yet. Try `twin import EXPORT`.")
        return
    table = Table("#", "source", "imported", "file", "sha256", "new", "already", "skipped", "kept")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["source"]),
            str(row["imported_at"])[:16].replace("T", " "),
            Path(str(row["file_name"])).name,
            str(row["file_sha256"])[:12],
            str(row["added"]),
            str(row["already_there"]),
            str(row["skipped"]),
            str(int(str(row["messages_kept"])) + int(str(row["notes_kept"]))),
        )
    console.print(table)


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
        f"[bold]{counts['messages']:,}[/bold] messages in {counts['conversations']:,} "
        f"conversations with {counts['people']:,} people; {counts['notes']:,} notes and "
        f"journal entries; from {counts['imports']:,} imports"
    )
    if first:
        console.print(f"from {first[:10]} to {last[:10]}")
    console.print(
        f"You: {', '.join(me) if me else 'not yet known (twin me NAME)'}; "
        f"{mine:,} messages are yours"
    )
    for name, count in by_source.items():
        console.print(f"  {name}: {count:,} messages")
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


@click.command(name="forget")
@click.option("--contact", help="A person: their messages, 1:1 chats with them, and them.")
@click.option("--conversation", help="A conversation, by title or id.")
@click.option("--source", help="Everything from one source, e.g. whatsapp.")
@click.option(
    "--import", "import_id", type=int, help="What one import brought (see `twin sources`)."
)
@click.option("--before", metavar="YYYY-MM-DD", help="Everything sent before this day.")
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@pass_state
def forget_command(
    state: State,
    contact: str | None,
    conversation: str | None,
    source: str | None,
    import_id: int | None,
    before: str | None,
    yes: bool,
) -> None:
    """Delete records, and everything derived from them, for good."""
    if not yes:
        if not sys.stdin.isatty():
            raise TwinError("forgetting cannot be undone: add --yes to confirm")
        click.confirm("This deletes for good. Go on?", abort=True)
    with state.open_vault() as vault:
        gone = forget(
            vault,
            contact=contact,
            conversation=conversation,
            source=source,
            import_id=import_id,
            before=_date(before, "--before"),
        )
    console.print(
        f"Forgot {gone.messages:,} messages, {gone.notes:,} notes, "
        f"{gone.conversations:,} conversations, {gone.people:,} people and "
        f"{gone.imports:,} import records."
    )
    for line in gone.derived:
        console.print(f"  also removed {line}")


@click.command(name="export")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@pass_state
def export_command(state: State, path: Path) -> None:
    """Write everything the vault holds to PATH as JSON Lines (not encrypted)."""
    with state.open_vault() as vault:
        counts = export_vault(vault, path)
    summary = ", ".join(f"{n:,} {kind}s" for kind, n in counts.items())
    console.print(f"Wrote {summary} to {path}. This file is NOT encrypted; keep it safe.")


@click.command(name="me")
@click.argument("name", required=False)
@pass_state
def me_command(state: State, name: str | None) -> None:
    """Say which sender is you (in every source), or show what twin knows."""
    with state.open_vault() as vault:
        if name:
            with vault.transaction():
                matched = set_me(vault, name)
            console.print(
                f"{name} is you ({matched} matching sender{'s' if matched != 1 else ''} "
                "already in the vault)."
            )
        names = my_names(vault)
    if not name:
        console.print(", ".join(names) if names else "twin doesn't know yet. Run `twin me NAME`.")


def register(cli: click.Group) -> None:
    """Add this module's commands to the `twin` group."""
    for command in (
        init,
        preview_command,
        import_command,
        sources,
        stats,
        rules,
        forget_command,
        export_command,
        me_command,
    ):
        cli.add_command(command)
