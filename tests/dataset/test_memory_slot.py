"""With --memory, training examples carry the same system message the twin chats with."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result

from tests.dataset.conftest import opened
from tests.vault.helpers import ANN
from twin.home import Home
from twin.persona.persona import Persona
from twin.persona.prompt import MEMORY_HEADER, RULE, persona_block

Twin = Callable[..., Result]


def systems(home: Home, name: str) -> dict[str, str]:
    """Each example's system message, keyed by its target (your reply)."""
    found = {}
    for file in ("train.jsonl", "val.jsonl"):
        for line in opened(home, name, file).splitlines():
            messages = json.loads(line)["messages"]
            found[messages[-1]["content"]] = messages[0]["content"]
    return found


def test_memory_puts_the_chat_system_message_into_each_example(
    twin: Twin, vault_home: Home
) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("journal", "add", "The zebra-crossing walk starts at the park gate.")
    twin("journal", "add", "--private", "The zebra-crossing walk is where I cried.")
    twin("dataset", "build", "--name", "plain", "--val-fraction", "0", "--no-memory")
    twin("dataset", "build", "--name", "mine", "--val-fraction", "0", "--memory")
    reply = "yes! 10 at the park\nyes! 10 at the park"  # two messages, merged into one turn
    assert (
        systems(vault_home, "plain")[reply] == "You are Sam, chatting with <PERSON_1> on WhatsApp."
    )
    system = systems(vault_home, "mine")[reply]
    assert system.startswith(persona_block(Persona(name="Sam")) + "\nYou are Sam, chatting with")
    assert MEMORY_HEADER in system and "starts at the park gate" in system
    assert "cried" not in system  # private entries never go into training data
    assert system.endswith(RULE)


def test_memory_build_is_repeatable_byte_for_byte(twin: Twin, vault_home: Home) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("journal", "add", "The zebra-crossing walk starts at the park gate.")
    twin("dataset", "build", "--name", "a", "--memory")
    twin("dataset", "build", "--name", "b", "--memory")
    for file in ("train.jsonl", "val.jsonl", "redactions.tsv"):
        assert opened(vault_home, "a", file) == opened(vault_home, "b", file)
