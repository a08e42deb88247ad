"""`twin serve` counts tokens: ``usage`` was all zeros (issue 16, item 14)."""

from __future__ import annotations

from typing import Any, cast

from tests.chat.test_server import client, server
from twin.chat.engine import GenerationSettings
from twin.chat.twin import Twin
from twin.persona.prompt import build_messages
from twin.records import ChatTurn

__all__ = ["server"]

QUESTION: list[ChatTurn] = [{"role": "user", "content": "What is my cat called?"}]


def _expected(twin: Twin) -> tuple[int, int]:
    reply = twin.ask(QUESTION, GenerationSettings(max_new_tokens=10, seed=3))
    tokenizer: Any = cast(Any, twin.engine).tokenizer
    prompt = tokenizer.apply_chat_template(
        build_messages(twin.persona, reply.passages, QUESTION),
        add_generation_prompt=True,
        tokenize=True,
    )
    ids = prompt["input_ids"] if hasattr(prompt, "keys") else prompt
    return len(ids), len(tokenizer.encode(reply.raw, add_special_tokens=False))


def test_usage_counts_the_prompt_and_the_reply(server: tuple[str, Twin]) -> None:
    base_url, twin = server
    completion = client(base_url).chat.completions.create(
        model=twin.engine.name, messages=QUESTION, max_tokens=10
    )
    assert completion.usage is not None
    prompt, generated = _expected(twin)
    assert completion.usage.prompt_tokens == prompt > 10  # persona, passages and the question
    assert completion.usage.completion_tokens == generated > 0
    assert completion.usage.total_tokens == prompt + generated


def test_streaming_sends_usage_when_asked(server: tuple[str, Twin]) -> None:
    base_url, twin = server
    chunks = list(
        client(base_url).chat.completions.create(
            model=twin.engine.name,
            messages=QUESTION,
            max_tokens=10,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == _expected(twin)
    assert chunks[-2].choices[0].finish_reason == "stop"
