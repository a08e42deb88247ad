"""Token counts for a reply (the ``usage`` of an OpenAI-style answer), from the engine's tokenizer.

The prompt is counted as the twin builds it (persona, recalled passages, the conversation,
through the model's chat template); the completion as the text the model generated. An engine
without a tokenizer the twin can reach counts nothing (all zeros), rather than guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twin.chat.engine import Engine
from twin.chat.twin import Reply
from twin.persona.persona import Persona
from twin.persona.prompt import build_messages
from twin.records import ChatTurn


@dataclass(frozen=True)
class TokenUsage:
    """How many tokens the prompt and the completion took."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def _length(encoded: Any) -> int:
    """The number of ids in what `apply_chat_template` returned (a list, or a dict of them)."""
    if isinstance(encoded, dict) or hasattr(encoded, "keys"):
        encoded = encoded["input_ids"]
    if encoded and isinstance(encoded[0], list):  # a batch of one
        encoded = encoded[0]
    return len(encoded)


def reply_usage(
    engine: Engine, persona: Persona, conversation: Sequence[ChatTurn], reply: Reply
) -> TokenUsage:
    """The tokens `reply` took: its prompt as the twin built it, and what the model generated."""
    tokenizer = getattr(engine, "tokenizer", None)
    if tokenizer is None:
        return TokenUsage()
    messages = build_messages(persona, reply.passages, conversation)
    prompt = _length(
        tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=True)
    )
    model = getattr(engine, "model", None)
    limit = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if isinstance(limit, int) and limit > 1:
        prompt = min(prompt, limit - 1)  # the engine keeps only the end of an over-long prompt
    generated = reply.raw or reply.text
    completion = len(tokenizer.encode(generated, add_special_tokens=False)) if generated else 0
    return TokenUsage(prompt, completion)
