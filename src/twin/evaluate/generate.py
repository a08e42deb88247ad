"""The replies an evaluation judges: each model answers through `twin.chat.twin.Twin`.

Base and twin get the same prompt, recall, guards and seed for each example, so what differs
between their replies is the model alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from twin.chat.twin import Reply, Twin
from twin.records import ChatTurn

MAX_NEW_TOKENS = 64
"""Longest generated reply in an evaluation: held-out replies are short, and time counts."""


@dataclass(frozen=True)
class Generated:
    """One reply and what the guards did to it."""

    text: str
    held_back: bool
    """Whether the grounding guard removed a claim the model made."""


def generated(reply: Reply) -> Generated:
    held = any(v.guard == "grounding" and not v.kept for v in reply.verdicts)
    return Generated(reply.text, held)


def reply_to(twin: Twin, conversation: Sequence[ChatTurn], seed: int) -> Generated:
    """The twin's guarded reply to `conversation`, sampled with `seed`."""
    settings = replace(
        twin.settings,
        seed=seed,
        max_new_tokens=min(twin.settings.max_new_tokens, MAX_NEW_TOKENS),
    )
    return generated(twin.ask(list(conversation), settings))


def replies(
    twin: Twin,
    conversations: Sequence[Sequence[ChatTurn]],
    *,
    seed: int = 0,
    advance: Callable[[], None] | None = None,
) -> list[Generated]:
    """The twin's reply to each conversation, the i-th sampled with seed ``seed + i``."""
    found = []
    for number, conversation in enumerate(conversations):
        found.append(reply_to(twin, conversation, seed + number))
        if advance is not None:
            advance()
    return found
