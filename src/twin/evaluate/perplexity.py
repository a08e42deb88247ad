"""Fit: how likely a model finds the person's real held-out replies.

Each held-out example is rendered with the model's chat template, as in training
(`twin.train.data.tokenize`), and only the tokens of the final reply are scored, so base and
twin are scored on exactly the same tokens. Perplexity is exp of the mean negative
log-likelihood per reply token; lower means the model expects the person's words more.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from twin.records import ChatTurn
from twin.train.data import IGNORE, tokenize


@dataclass(frozen=True)
class Fit:
    perplexity: float
    tokens: int
    """Reply tokens scored."""


def reply_labels(labels: list[int]) -> list[int]:
    """Labels kept only on the last trained span: the held-out reply itself."""
    end = len(labels)
    while end and labels[end - 1] == IGNORE:
        end -= 1
    start = end
    while start and labels[start - 1] != IGNORE:
        start -= 1
    return [IGNORE] * start + labels[start:end] + [IGNORE] * (len(labels) - end)


def score(
    model: Any,
    tokenizer: Any,
    conversations: Sequence[list[ChatTurn]],
    *,
    seq_len: int = 1024,
    advance: Callable[[], None] | None = None,
) -> Fit | None:
    """Perplexity of each conversation's last reply under `model` (None if nothing to score)."""
    import torch

    total, count = 0.0, 0
    device = next(model.parameters()).device
    for messages in conversations:
        example = tokenize(tokenizer, messages, seq_len)
        labels = reply_labels(example.labels)
        if sum(label != IGNORE for label in labels) and len(labels) > 1:
            ids = torch.tensor([example.input_ids], device=device)
            target = torch.tensor([labels[1:]], device=device)
            with torch.inference_mode():
                logits = model(input_ids=ids).logits[:, :-1].float()
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]),
                target.reshape(-1),
                ignore_index=IGNORE,
                reduction="sum",
            )
            total += float(loss)
            count += int((target != IGNORE).sum())
        if advance is not None:
            advance()
    if not count:
        return None
    return Fit(math.exp(total / count), count)
