"""`twin refine`: a worse candidate leaves the old twin in place; a not-worse one becomes it."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from twin.errors import TwinError
from twin.evaluate.refine import chatting, not_worse, refine
from twin.evaluate.results import EvalResult, ModelFigures
from twin.evaluate.run import Sizes, evaluate
from twin.home import Home
from twin.train.dpo import DpoSettings, Preference, train_preferences
from twin.train.runs import Run, latest_good_run
from twin.vault import Vault

PAIRS = [Preference([{"role": "user", "content": "dinner?"}], "bora!", "I don't remember.")]


def copy_of(home: Home, run: Run) -> Run:
    """A new run with the very same adapter (a DPO round that cannot move)."""
    return train_preferences(home, PAIRS, DpoSettings(learning_rate=0.0, epochs=1), parent=run)


def broken(home: Home, run: Run) -> Run:
    """A candidate whose adapter is noise."""
    candidate = copy_of(home, run)
    path = candidate.adapter_dir / "adapter_model.safetensors"
    weights = load_file(path)
    torch.manual_seed(0)
    save_file({k: v + 3 * torch.randn_like(v) for k, v in weights.items()}, path)
    return candidate


def evaluator(vault: Vault, home: Home):  # type: ignore[no-untyped-def]
    small = Sizes(replies=2, facts=1, unanswerable=1, fit=8)
    return lambda run: evaluate(vault, home, run.id, sizes=small, progress=False)


@pytest.mark.parametrize(("make", "kept"), [(broken, False), (copy_of, True)])
def test_refine_keeps_the_old_twin_unless_the_candidate_is_not_worse(
    person_vault: Vault, tmp_home: Home, trained_run: Run, make: object, kept: bool
) -> None:
    done = refine(
        tmp_home,
        person_vault,
        [],
        evaluator(person_vault, tmp_home),
        train_candidate=lambda run: make(tmp_home, run),  # type: ignore[operator]
    )
    assert done.kept is kept, done.reason
    twin = latest_good_run(tmp_home)
    assert twin is not None
    assert twin.id == (done.candidate if kept else trained_run.id)
    if not kept:
        assert "perplexity" in done.reason


def test_refine_waits_for_the_chat_to_end(tmp_home: Home, person_vault: Vault) -> None:
    with chatting(tmp_home), pytest.raises(TwinError, match="chatting"):
        refine(tmp_home, person_vault, [], lambda run: None)  # type: ignore[arg-type,return-value]


def test_not_worse_compares_the_headline_figures() -> None:
    def result(perplexity: float, facts: float, leaks: int = 0) -> EvalResult:
        figures = ModelFigures("twin", perplexity=perplexity, facts_correct=facts, leaks=leaks)
        return EvalResult("r", "d", "now", True, twin=figures)

    assert not_worse(result(10, 0.5), result(10.1, 0.5))[0]
    assert not not_worse(result(10, 0.5), result(12, 0.5))[0]
    assert not not_worse(result(10, 0.5), result(9, 0.4))[0]
    assert not not_worse(result(10, 0.5), result(9, 0.6, leaks=1))[0]
