"""Context hybridization (`--compose`): the twin drafts, a general model writes the reply.

The fine-tuned model holds the person's style and how they drift from topic to topic; a
general model holds facts better. With ``--compose`` the twin's own model first drafts a short
reply (its simulated continuation of the conversation), then a *composer* gets that draft,
the recalled passages and the persona, with the instruction to keep the draft's style and
length and the passages' facts, and writes the reply. The guards run on what the composer
wrote, exactly as on a plain reply.

The composer is, by default, the base model without the twin's adapter (nothing leaves the
machine). It can instead be an OpenAI-compatible server the person runs themselves (Ollama,
llama.cpp's server, LM Studio, another `twin serve`), at an address on this machine or the
home network: loopback, private (RFC 1918, IPv6 unique-local) or link-local. Any other address
is refused unless the person overrides it explicitly (``--composer-anywhere``), and
`ServerComposer.notice` says, before the first reply, that the prompt (with the recalled
notes and persona) leaves this machine.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from twin.chat.engine import Engine, GenerationSettings
from twin.errors import TwinError
from twin.home import Home
from twin.memory.recall import Passage
from twin.persona.persona import Persona
from twin.persona.prompt import memory_block, persona_block
from twin.records import ChatTurn

INSTRUCTION = (
    "Below is a draft reply written in this person's own style. Rewrite it as their reply to "
    "the last message. Keep the draft's style, tone, language, casing and length. Take every "
    "fact (names, dates, places, numbers) only from what they remember above, never from the "
    "draft; if what they remember doesn't answer, say they don't remember. Write only the "
    "reply."
)
TIMEOUT_SECONDS = 120.0


class Composer(Protocol):
    """Writes the reply from the composer prompt."""

    name: str

    def stream(self, messages: Sequence[ChatTurn], settings: GenerationSettings) -> Iterator[str]:
        """Yield the reply's text."""
        ...


def composer_messages(
    persona: Persona,
    passages: Sequence[Passage],
    conversation: Sequence[ChatTurn],
    draft: str,
) -> list[ChatTurn]:
    """The composer's prompt: persona, memory slot, instruction and draft, then the chat."""
    system = (
        f"{persona_block(persona)}\n\n{memory_block(passages)}\n\n{INSTRUCTION}\n\n"
        f"Draft: {draft.strip() or '(empty)'}"
    )
    turns: list[ChatTurn] = [{"role": "system", "content": system}]
    for turn in conversation:
        if turn.get("role") in {"user", "assistant"}:
            turns.append({"role": turn["role"], "content": str(turn.get("content") or "")})
    return turns


class EngineComposer:
    """A local model as composer: by default the twin's base model, without the adapter."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = f"{engine.name} (composer)"

    def stream(self, messages: Sequence[ChatTurn], settings: GenerationSettings) -> Iterator[str]:
        return self.engine.stream(messages, settings)


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None)
    except OSError as error:
        raise TwinError(f"composer: cannot resolve {host!r} ({error})") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


def is_home_address(host: str) -> bool:
    """Whether every address `host` names is this machine or the home network."""
    addresses = _addresses(host)
    return bool(addresses) and all(
        a.is_loopback or a.is_private or a.is_link_local for a in addresses
    )


class ServerComposer:
    """An OpenAI-compatible chat server as composer (`POST {url}/chat/completions`)."""

    def __init__(
        self, url: str, model: str, *, api_key: str | None = None, anywhere: bool = False
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise TwinError(f"composer: {url!r} is not an http(s) URL")
        if not anywhere and not is_home_address(parts.hostname):
            raise TwinError(
                f"composer: {parts.hostname} is not on this machine or your home network; the "
                "prompt (with your recalled notes and persona) would leave it. Pass "
                "--composer-anywhere if you mean it."
            )
        self.url = url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.name = f"{model} at {parts.hostname} (composer)"
        local = _addresses(parts.hostname)
        elsewhere = "this machine" if all(a.is_loopback for a in local) else parts.hostname
        self.notice = (
            f"--compose: each reply's prompt (the conversation, your recalled notes and persona) "
            f"goes to {self.url}"
            + ("" if elsewhere == "this machine" else f", on {elsewhere}")
            + "."
        )

    def stream(self, messages: Sequence[ChatTurn], settings: GenerationSettings) -> Iterator[str]:
        body: dict[str, object] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": settings.max_new_tokens,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "stream": False,
        }
        if settings.seed is not None:
            body["seed"] = settings.seed
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            f"{self.url}/chat/completions", json.dumps(body).encode(), headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise TwinError(f"composer at {self.url}: {error}") from None
        try:
            text = str(answer["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError):
            raise TwinError(f"composer at {self.url}: not an OpenAI chat completion") from None
        yield text


def base_composer(
    home: Home, run_id: str | None = None, model: Path | None = None
) -> EngineComposer:
    """The base model of the twin's run (or the built-in default), without the adapter; or
    `model`, when the twin speaks through a model folder given as is."""
    from twin.chat.engine import load_folder
    from twin.models.registry import resolve_model
    from twin.train.runs import get_run, latest_good_run

    if model is not None:
        return EngineComposer(load_folder(model))
    run = get_run(home, run_id) if run_id else latest_good_run(home)
    folder = run.base_path(home) if run is not None else resolve_model(home, None)
    return EngineComposer(load_folder(folder))
