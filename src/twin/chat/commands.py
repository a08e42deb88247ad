"""Commands for talking with the twin: persona, ask, chat and serve."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from twin.chat.access import DEFAULT_HOST, DEFAULT_PORT, is_loopback, new_token
from twin.chat.compose import Composer, ServerComposer, base_composer
from twin.chat.engine import GenerationSettings, load_engine
from twin.chat.feedback import record_feedback
from twin.chat.twin import Reply, Twin
from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.memory.embeddings import default_embedder
from twin.persona.persona import Persona, load_persona, save_persona
from twin.records import ChatTurn
from twin.state import State, pass_state
from twin.vault.vault import Vault

console = Console(highlight=False, soft_wrap=True)
notes = Console(stderr=True, highlight=False, soft_wrap=True)

PERSONA_HELP = """\
# Who your twin is. Keep it short and true; the twin treats these facts as things it knows.
# name: what the twin calls itself.   bio: a sentence or two.   facts: one per line, "- ".
"""


def model_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--model, --run and the sampling options shared by ask, chat and serve."""
    for option in reversed(
        [
            click.option(
                "--model",
                type=click.Path(path_type=Path, exists=True),
                help="Speak through this local model folder [default: $TWIN_MODEL, else the "
                "latest good training run, else the base model].",
            ),
            click.option("--run", "run_id", help="Speak through this training run."),
            click.option(
                "--max-tokens",
                type=int,
                help="Longest reply, in tokens [default: from the length of your own replies].",
            ),
            click.option(
                "--temperature",
                type=float,
                default=0.7,
                show_default=True,
                help="0 for the likeliest words, higher for more varied ones.",
            ),
            click.option("--seed", type=int, help="Fix the sampling, for repeatable replies."),
            click.option(
                "--context-weight",
                type=float,
                default=0.0,
                show_default=True,
                help="Context-aware decoding: how much more to trust the recalled passages "
                "than the model's own guess (0 off, 0.5 the paper's setting; about twice as slow).",
            ),
            click.option(
                "--compose",
                is_flag=True,
                help="The twin drafts, a composer model writes the reply with the facts of your "
                "notes (default composer: the base model without your adapter).",
            ),
            click.option(
                "--composer",
                "composer_url",
                envvar="TWIN_COMPOSER_URL",
                metavar="URL",
                help="With --compose: an OpenAI-compatible server of yours (Ollama, llama.cpp, "
                "LM Studio), e.g. http://127.0.0.1:11434/v1; on this machine or your home "
                "network only.",
            ),
            click.option(
                "--composer-model",
                envvar="TWIN_COMPOSER_MODEL",
                default="default",
                show_default=True,
                help="The model name the composer server knows.",
            ),
            click.option(
                "--composer-anywhere",
                is_flag=True,
                help="Allow a composer beyond your home network (the prompt leaves it).",
            ),
        ]
    ):
        command = option(command)
    return command


EMPTY_VAULT = (
    "Your vault is empty: twin has nothing of yours to speak from yet. Add some with "
    "`twin import EXPORT` (a chat export), `twin notes import DIR` (your notes) or "
    "`twin journal add TEXT` (a journal entry). Answering anyway."
)
"""What `twin ask` says first when the vault holds no messages, notes or journal entries."""
SAID_NOTE = (
    "Noted: your next `twin dataset build` trains on it as your reply, and `twin train "
    "--preferences` prefers it over the twin's."
)
"""What `twin chat` says to a /said: where the correction goes."""


class _Session(AbstractContextManager["_Session"]):
    """An open vault and a loaded twin, closed together."""

    def __init__(self, state: State, options: dict[str, Any]) -> None:
        self.vault: Vault = state.open_vault()
        try:
            engine = load_engine(
                state.home, options["model"], options["run_id"], self.vault.sealer
            )
        except BaseException:
            self.vault.close()
            raise
        self.twin = Twin(self.vault, engine, default_embedder())
        if options["compose"] or options["composer_url"]:
            self.twin.composer = _composer(state, options)
        shaped = self.twin.default_settings()
        self.twin.settings = GenerationSettings(
            options["max_tokens"] or shaped.max_new_tokens,
            options["temperature"],
            seed=options["seed"],
            context_weight=options["context_weight"],
        )

    def __exit__(self, *exc: object) -> None:
        self.vault.close()


def _composer(state: State, options: dict[str, Any]) -> Composer:
    if options["composer_url"]:
        server = ServerComposer(
            options["composer_url"],
            options["composer_model"],
            api_key=os.environ.get("TWIN_COMPOSER_KEY"),
            anywhere=options["composer_anywhere"],
        )
        notes.print(escape(server.notice))
        return server
    return base_composer(state.home, options["run_id"], options["model"])


def _print_sources(reply: Reply) -> None:
    if not reply.passages:
        console.print("[dim]No passage recalled.[/dim]")
    for number, passage in enumerate(reply.passages, start=1):
        text = "(private entry)" if passage.private else passage.text
        console.print(
            f"[dim][{number}] {passage.date[:10]} {escape(passage.source)}: {escape(text)}[/dim]"
        )
    for verdict in reply.verdicts:
        if not verdict.kept:
            console.print(
                f"[dim]held back ({verdict.guard}): {escape(verdict.sentence)} "
                f"({escape(verdict.reason)})[/dim]"
            )


@click.group()
def persona() -> None:
    """Show or edit who your twin is: name, short bio and stable facts."""


@persona.command(name="show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_state
def persona_show(state: State, as_json: bool) -> None:
    """Show the persona your twin speaks as."""
    with state.open_vault() as vault:
        found = load_persona(vault)
    if as_json:
        click.echo(json.dumps({"name": found.name, "bio": found.bio, "facts": found.facts}))
        return
    if found.is_empty():
        console.print("No persona yet. Write one with `twin persona edit`.")
        return
    console.print(escape(found.to_text()))


@persona.command(name="edit")
@click.option("--name", help="The name your twin goes by.")
@click.option("--bio", help="A sentence or two about you.")
@click.option("--fact", "facts", multiple=True, help="Add a stable fact (repeat for several).")
@click.option("--clear-facts", is_flag=True, help="Remove every fact first.")
@pass_state
def persona_edit(
    state: State, name: str | None, bio: str | None, facts: tuple[str, ...], clear_facts: bool
) -> None:
    """Change the persona with options, or, without any, in $EDITOR (or from stdin)."""
    with state.open_vault() as vault:
        current = load_persona(vault)
        if name is None and bio is None and not facts and not clear_facts:
            if sys.stdin.isatty():
                written = click.edit(PERSONA_HELP + current.to_text(), extension=".txt")
                if written is None:
                    console.print("Nothing changed.")
                    return
            else:
                written = sys.stdin.read()
            current = Persona.from_text(written)
        else:
            current.name = current.name if name is None else name
            current.bio = current.bio if bio is None else bio
            current.facts = ([] if clear_facts else current.facts) + list(facts)
        save_persona(vault, current)
    console.print(escape(current.to_text()))


@click.command()
@click.argument("text")
@model_options
@click.option("--json", "as_json", is_flag=True, help="Print the reply, passages and guards.")
@click.option("--show-sources", is_flag=True, help="Print the passages the reply drew on.")
@pass_state
def ask(state: State, /, text: str, as_json: bool, show_sources: bool, **options: Any) -> None:
    """Ask your twin one thing and print its reply (for scripts)."""
    with state.open_vault() as vault:
        held = vault.counts()
    empty = held["messages"] == 0 and held["notes"] == 0
    if empty:  # said before the model loads, which can take a while
        notes.print(EMPTY_VAULT)
    with _Session(state, options) as session:
        reply = session.twin.ask([{"role": "user", "content": text}])
    if empty:
        notes.print(
            f"This reply speaks from the model ({escape(reply.model)}) alone: "
            "nothing of yours to recall, and no run trained on your words."
        )
    if as_json:
        click.echo(json.dumps(reply.describe(), indent=2, ensure_ascii=False))
        return
    click.echo(reply.text)
    if show_sources:
        _print_sources(reply)
        if not reply.passages:
            from twin.memory.embeddings import default_embedder
            from twin.memory.relevance import nothing_used_because

            with state.open_vault() as vault:
                why = nothing_used_because(vault, default_embedder(), text)
            console.print(f"[dim]{escape(why)}[/dim]")


@click.command()
@model_options
@click.option("--show-sources", is_flag=True, help="Print the passages after every reply.")
@click.option("--speak", is_flag=True, help="Say every reply aloud (Piper, or espeak-ng).")
@pass_state
def chat(state: State, /, show_sources: bool, speak: bool = False, **options: Any) -> None:
    """Talk with your twin. /sources shows what it recalled, /quit ends.

    /good and /bad judge the last reply, /said TEXT says what you would have said instead;
    they are kept in the vault and become training data (`twin train --preferences`); a /said
    is also an example in your voice in the next `twin dataset build`.
    """
    from twin.evaluate.refine import chatting  # `twin refine` waits while this is held
    from twin.voice.speak import player

    if speak and player() is None:
        raise TwinError("--speak: no audio player here (aplay, pw-play, paplay, ffplay)")
    with _Session(state, options) as session, chatting(state.home):
        notes.print(
            f"Talking with your twin ({escape(session.twin.engine.name)}). "
            "/sources shows what it recalled, /good or /bad judge a reply, /said TEXT corrects "
            "it, /new starts over, /quit ends."
        )
        conversation: list[ChatTurn] = []
        last: Reply | None = None
        while True:
            try:
                line = click.prompt("you", prompt_suffix="> ", default="", show_default=False)
            except (EOFError, click.Abort):
                break
            text = line.strip()
            if not text:
                continue
            if text in {"/quit", "/exit"}:
                break
            if text == "/sources":
                if last is None:
                    console.print("Nothing asked yet.")
                else:
                    _print_sources(last)
                continue
            if text in {"/good", "/bad"} or text == "/said" or text.startswith("/said "):
                if last is None:
                    console.print("Nothing to judge yet.")
                    continue
                said = text.removeprefix("/said").strip() if text.startswith("/said") else None
                if text.startswith("/said") and not said:
                    console.print("Say what you would have said: /said TEXT")
                    continue
                record_feedback(
                    session.vault,
                    context=conversation[:-1],
                    reply=last.text,
                    verdict="good" if text == "/good" else "bad",
                    correction=said,
                    source="chat",
                )
                if said:
                    conversation[-1] = {"role": "assistant", "content": said}
                console.print(SAID_NOTE if said else "Noted; it goes into the next training round.")
                continue
            if text == "/new":
                conversation, last = [], None
                continue
            conversation.append({"role": "user", "content": text})
            last, pieces = session.twin.respond(conversation)
            console.print("twin> ", end="")
            for piece in pieces:
                console.print(escape(piece), end="")
            console.print()
            conversation.append({"role": "assistant", "content": last.text})
            if speak and last.text.strip():
                from twin.voice.speak import play
                from twin.voice.speak import speak as spoken

                play(spoken(last.text, state.home))
            if show_sources:
                _print_sources(last)


@click.command(name="serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port.")
@click.option(
    "--token",
    envvar="TWIN_API_TOKEN",
    help="Bearer token clients must send; required (and made for you) off 127.0.0.1.",
)
@model_options
@pass_state
def serve_command(state: State, /, host: str, port: int, token: str | None, **options: Any) -> None:
    """Serve an OpenAI-compatible API (/v1/chat/completions, /v1/models) for your twin."""
    if not is_loopback(host) and not token:
        token = new_token()
        notes.print(f"Listening beyond this machine needs a token. Clients must send:\n  {token}")
    with _Session(state, options) as session:
        scheme = "http" if is_loopback(host) else "https"
        notes.print(
            f"Serving {escape(session.twin.engine.name)} at {scheme}://{host}:{port}/v1 "
            "(Ctrl+C stops)."
        )
        try:
            from twin.chat.server import serve  # FastAPI loads only when serving

            serve(session.twin, host, port, token, state.home.path / "tls")
        except OSError as error:
            raise TwinError(f"cannot listen on {host}:{port} ({error})") from None


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add this module's commands to the `twin` group."""
    for command in (persona, ask, chat, serve_command):
        cli.add_command(command)
