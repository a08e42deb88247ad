"""DPO on the person's preference pairs: a few steps change the adapter toward the chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.train.test_training import request
from twin.errors import TwinError
from twin.home import Home
from twin.train.dpo import DpoSettings, Preference, encode, reply_logprob, train_preferences
from twin.train.runs import Run, latest_good_run
from twin.train.training import train

PROMPT = [
    {"role": "system", "content": "You are Sam."},
    {"role": "user", "content": "want to grab dinner?"},
]
PAIRS = [Preference(PROMPT, "bora! pizza at 8?", "I don't remember.")]


def weights(run: Run) -> dict[str, torch.Tensor]:
    return load_file(run.adapter_dir / "adapter_model.safetensors")


def margin(home: Home, run: Run) -> float:
    """log p(chosen) - log p(rejected) under `run`'s twin."""
    from transformers import AutoTokenizer

    from twin.train.training import _load_base, _with_adapter

    config = run.config
    tokenizer = AutoTokenizer.from_pretrained(run.base_path(home))
    model = _with_adapter(_load_base(run.base_path(home), config), config, run.adapter_dir).eval()
    with torch.no_grad():
        chosen = reply_logprob(model, encode(tokenizer, PROMPT, PAIRS[0].chosen, 512))
        rejected = reply_logprob(model, encode(tokenizer, PROMPT, PAIRS[0].rejected, 512))
    return float(chosen - rejected)


def test_a_dpo_round_moves_the_twin_toward_the_chosen_reply(
    tmp_home: Home, tiny_model: Path, dataset: Path
) -> None:
    first = train(tmp_home, request(tiny_model, max_steps=2), progress=False)
    settings = DpoSettings(learning_rate=5e-3, epochs=4, beta=0.5)
    second = train_preferences(tmp_home, PAIRS, settings)
    assert second.parent == first.id and second.status == "completed"
    assert latest_good_run(tmp_home) == second
    before, after = weights(first), weights(second)
    assert any(not torch.equal(before[name], after[name]) for name in before)
    assert margin(tmp_home, second) > margin(tmp_home, first)
    assert second.epochs[-1]["dpo_loss"] < second.epochs[0]["dpo_loss"]


def test_without_pairs_or_a_trained_twin_it_says_what_to_do(tmp_home: Home) -> None:
    with pytest.raises(TwinError, match="/said"):
        train_preferences(tmp_home, [])
    with pytest.raises(TwinError, match="train one first"):
        train_preferences(tmp_home, PAIRS)
