"""Fit: a model really trained on the person's lines finds their held-out replies likelier."""

from __future__ import annotations

from pathlib import Path

from twin.evaluate.heldout import held_out
from twin.evaluate.perplexity import reply_labels, score
from twin.home import Home
from twin.models.loading import load_model
from twin.train.data import IGNORE
from twin.train.load import load_twin
from twin.train.runs import Run
from twin.vault import Vault


def test_trained_twin_has_lower_perplexity_than_its_base_on_held_out_lines(
    vault: Vault, trained_run: Run, tiny_model: Path, tmp_home: Home
) -> None:
    examples = [
        [*e.context, {"role": "assistant", "content": e.reply}] for e in held_out(vault, "chats")
    ]
    base, tokenizer = load_model(tiny_model)
    twin, _, _ = load_twin(tmp_home, trained_run.id)
    before = score(base, tokenizer, examples)
    after = score(twin, tokenizer, examples)
    assert before is not None and after is not None
    assert before.tokens == after.tokens > 0  # the same tokens, scored both ways
    assert after.perplexity < before.perplexity


def test_only_the_last_reply_is_scored() -> None:
    labels = [IGNORE, 5, 6, IGNORE, IGNORE, 7, 8, IGNORE]
    assert reply_labels(labels) == [IGNORE] * 5 + [7, 8, IGNORE]


def test_examples_the_run_trained_on_are_never_counted_as_held_out(
    vault: Vault, trained_run: Run, dataset: Path
) -> None:
    from twin.evaluate.heldout import HeldOut, conversations
    from twin.evaluate.run import unseen

    trained = conversations(vault, "chats", "train.jsonl")[0]
    leaked = HeldOut(trained[:-1], trained[-1]["content"], "with Ana on WhatsApp")
    really = held_out(vault, "chats")
    assert unseen([leaked, *really], trained_run) == really
