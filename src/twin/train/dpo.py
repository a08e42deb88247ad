"""Direct preference optimisation (DPO) of the twin, on the person's own preference pairs.

`twin train --preferences` continues the latest good run's LoRA adapter on the pairs the
person's feedback made (`twin.chat.feedback.preference_pairs`: "I would have said …"
corrections, and good against bad replies to the same context). The loss is DPO's (Rafailov
et al., 2023), in our own small loop rather than TRL's `DPOTrainer`, which would add a large
dependency for a few dozen pairs on a CPU::

    loss = -log sigmoid(beta * ((log pi(chosen) - log ref(chosen))
                                - (log pi(rejected) - log ref(rejected))))

where ``pi`` is the adapter being trained and ``ref`` the twin it started from (its log
probabilities are computed once, before the first step). Only the reply's tokens count, the
prompt (the chat as the twin saw it, memory slot included) is context. The result is a new
run whose parent is the run it started from, so `twin eval` can compare the two.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twin.errors import TwinError
from twin.home import Home
from twin.records import ChatTurn
from twin.train.adapter_files import read_adapter, save_adapter
from twin.train.loop import say
from twin.train.runs import Run, latest_good_run, new_run, now
from twin.vault.sealed import Sealer


@dataclass(frozen=True)
class Preference:
    """To `prompt` (chat turns, system message first), `chosen` is better than `rejected`."""

    prompt: list[ChatTurn]
    chosen: str
    rejected: str


@dataclass(frozen=True)
class DpoSettings:
    """How a DPO round trains."""

    beta: float = 0.1
    """How far from the starting twin the round may move: lower lets it move further."""
    learning_rate: float = 5e-5
    epochs: int = 2
    """Passes over the pairs."""
    max_tokens: int = 512
    """A prompt and reply longer than this keep the end of the prompt."""
    seed: int = 0


@dataclass
class _Encoded:
    ids: list[int]
    start: int
    """Where the reply begins: tokens before it are the prompt."""


def encode(tokenizer: Any, prompt: Sequence[ChatTurn], reply: str, max_tokens: int) -> _Encoded:
    """Prompt and reply as the chat template lays them out, the reply's first token marked."""
    head = list(
        tokenizer.apply_chat_template(
            list(prompt), add_generation_prompt=True, tokenize=True, return_dict=True
        )["input_ids"]
    )
    whole = list(
        tokenizer.apply_chat_template(
            [*prompt, {"role": "assistant", "content": reply}], tokenize=True, return_dict=True
        )["input_ids"]
    )
    if whole[: len(head)] != head:  # a template that rewrites earlier turns: join by hand
        whole = head + list(tokenizer(reply, add_special_tokens=False)["input_ids"])
        if tokenizer.eos_token_id is not None:
            whole.append(int(tokenizer.eos_token_id))
    start = len(head)
    if len(whole) > max_tokens:
        cut = min(len(whole) - max_tokens, start - 1)
        whole, start = whole[cut:], start - cut
    return _Encoded(whole, start)


def reply_logprob(model: Any, encoded: _Encoded) -> Any:
    """log p(reply | prompt): the sum over the reply's tokens."""
    import torch

    ids = torch.tensor([encoded.ids], device=model.device)
    logits = model(input_ids=ids).logits[0, :-1].float()
    targets = ids[0, 1:]
    chosen = torch.log_softmax(logits, dim=-1).gather(1, targets[:, None])[:, 0]
    return chosen[encoded.start - 1 :].sum()


def dpo_loss(policy: tuple[Any, Any], reference: tuple[float, float], beta: float) -> Any:
    """DPO's loss for one pair: (chosen, rejected) log probabilities under both models."""
    import torch

    margin = (policy[0] - reference[0]) - (policy[1] - reference[1])
    return -torch.nn.functional.logsigmoid(beta * margin)


def train_preferences(
    home: Home,
    pairs: Sequence[Preference],
    settings: DpoSettings | None = None,
    *,
    parent: Run | None = None,
    sealer: Sealer | None = None,
) -> Run:
    """A DPO round on `pairs` from the adapter of `parent` (the latest good run); the new run.

    `sealer` (from the unlocked vault) opens the parent's sealed adapter and seals the new one.
    """
    import torch
    from transformers import AutoTokenizer

    from twin.train.training import _load_base, _with_adapter

    settings = settings or DpoSettings()
    if not pairs:
        raise TwinError(
            "no preference pairs yet: judge replies in `twin chat` with /good, /bad or /said TEXT"
        )
    parent = parent or latest_good_run(home)
    if parent is None or not parent.has_adapter:
        raise TwinError("DPO improves a trained twin: train one first with `twin train`")
    config = parent.config
    torch.manual_seed(settings.seed)
    base_dir = parent.base_path(home)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    start_from = read_adapter(parent, sealer)
    model = _with_adapter(_load_base(base_dir, config), config, start_from)
    encoded = [
        (
            encode(tokenizer, p.prompt, p.chosen, settings.max_tokens),
            encode(tokenizer, p.prompt, p.rejected, settings.max_tokens),
        )
        for p in pairs
    ]
    model.eval()
    with torch.no_grad():
        reference = [
            (float(reply_logprob(model, c)), float(reply_logprob(model, r))) for c, r in encoded
        ]
    run = new_run(
        home,
        base=parent.base,
        base_dir=str(base_dir),
        dataset=parent.dataset,
        dataset_hash=parent.dataset_hash,
        config=parent.config,
        parent=parent.id,
        conversation_ids=parent.conversation_ids,
        examples=len(pairs),
    )
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=settings.learning_rate)
    order = list(range(len(pairs)))
    shuffle = random.Random(settings.seed)
    run.total_steps = settings.epochs * len(pairs)
    model.train()
    try:
        for epoch in range(settings.epochs):
            shuffle.shuffle(order)
            total = 0.0
            for index in order:
                chosen, rejected = encoded[index]
                policy = (reply_logprob(model, chosen), reply_logprob(model, rejected))
                loss = dpo_loss(policy, reference[index], settings.beta)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.detach())
                run.step += 1
            mean = total / len(pairs)
            run.epochs.append({"epoch": epoch + 1, "steps": run.step, "dpo_loss": mean})
            say(
                f"DPO epoch {epoch + 1}/{settings.epochs}: loss {mean:.4f} "
                f"(it starts at log 2 = {math.log(2):.4f})"
            )
            run.save()
    except BaseException as error:
        run.status, run.message = "failed", f"{type(error).__name__}: {error}"
        run.save()
        raise
    save_adapter(run, model, sealer)
    run.status, run.finished_at, run.pid = "completed", now(), None
    choices = ", ".join(f"{key}={value}" for key, value in vars(settings).items())
    run.message = f"DPO on {len(pairs)} preference pairs ({choices}), from run {parent.id}"
    run.save()
    return run
