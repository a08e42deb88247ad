"""Context-aware decoding moves the next token toward what only the passages say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from twin.chat.engine import ContextAwareDecoding, GenerationSettings, contrast, load_folder
from twin.records import ChatTurn

WORDS = ["cat", "cello", "music", "walk", "rain", "sun"]


def test_the_contrast_amplifies_what_the_context_adds() -> None:
    with_passage = torch.tensor([[2.0, 1.9, 0.0]])  # the passage lifts token 1
    without = torch.tensor([[2.0, 0.0, 0.0]])
    plain = torch.softmax(with_passage, -1)[0]
    aware = torch.softmax(contrast(with_passage, without, 0.5), -1)[0]
    assert aware[1] > plain[1] and aware[0] < plain[0]


def test_tokens_the_context_finds_implausible_are_ruled_out() -> None:
    with_passage = torch.tensor([[5.0, -5.0, 0.0]])
    without = torch.tensor([[5.0, -20.0, 0.0]])  # token 1 gains most, but stays implausible
    aware = contrast(with_passage, without, 1.0)
    assert aware[0, 1] == float("-inf") and torch.isfinite(aware[0, 0])


def chat(word: str | None) -> list[ChatTurn]:
    system = f"hello {word}" if word else "hello"
    return [{"role": "system", "content": system}, {"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def copying_model(tiny_model: Path) -> Any:
    """The tiny model, trained for a moment to repeat the word its system message names."""
    engine = load_folder(tiny_model)
    model, tokenizer = engine.model, engine.tokenizer  # type: ignore[attr-defined]
    torch.manual_seed(0)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    batch = []
    for word in WORDS:
        prompt = engine._prompt(chat(word))["input_ids"][0]
        answer = torch.tensor(tokenizer.convert_tokens_to_ids([word]))
        batch.append((torch.cat([prompt, answer]), len(prompt)))
    ids = torch.stack([row for row, _ in batch])
    labels = ids.clone()
    for row, (_, start) in enumerate(batch):
        labels[row, :start] = -100  # learn the answer only: the word the system message names
    model.train()
    for _ in range(12):  # enough to lean toward the word, not to be sure of it
        loss = model(input_ids=ids, labels=labels).loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    return engine


def next_token_probability(engine: Any, alpha: float, word: str) -> float:
    model, tokenizer = engine.model, engine.tokenizer
    inputs = engine._prompt(chat(word))
    ids = inputs["input_ids"]
    with torch.inference_mode():
        scores = model(input_ids=ids).logits[:, -1, :]
        if alpha:
            plain = engine._prompt(chat(None))["input_ids"]
            scores = ContextAwareDecoding(model, plain, int(ids.shape[1]), alpha)(ids, scores)
    token = tokenizer.convert_tokens_to_ids(word)
    return float(torch.softmax(scores.float(), -1)[0, token])


@pytest.mark.parametrize("word", ["cello", "rain"])
def test_decoding_trusts_a_word_only_the_passage_holds(copying_model: Any, word: str) -> None:
    plain = next_token_probability(copying_model, 0.0, word)
    aware = next_token_probability(copying_model, 1.0, word)
    assert aware > plain


def test_a_whole_reply_streams_with_context_aware_decoding(copying_model: Any) -> None:
    settings = GenerationSettings(max_new_tokens=6, temperature=0, context_weight=0.5)
    text = "".join(copying_model.stream(chat("cello"), settings, plain=chat(None)))
    assert text.strip()
