"""Evaluations live in the vault with their run, and go when what they read is forgotten."""

from __future__ import annotations

import pytest

from twin.evaluate.blindtest import wilson
from twin.evaluate.results import EvalResult, ModelFigures, Sample
from twin.evaluate.store import evaluations, forget_evaluations, latest_evaluation, save_evaluation
from twin.vault import Vault
from twin.vault.forget import Forgotten


def made(run_id: str, chats: list[int], perplexity: float) -> EvalResult:
    return EvalResult(
        run_id,
        "chats",
        "2025-01-01T00:00:00+00:00",
        False,
        twin=ModelFigures("twin", perplexity=perplexity),
        samples=[Sample([{"role": "user", "content": "hi"}], "hey", "with Ana", twin="hello")],
        conversation_ids=chats,
    )


def test_latest_evaluation_reads_back_what_was_stored(vault: Vault) -> None:
    save_evaluation(vault, made("run-a", [1], 20.0))
    save_evaluation(vault, made("run-a", [1], 15.0))
    save_evaluation(vault, made("run-b", [2], 30.0))
    latest = latest_evaluation(vault, "run-a")
    assert latest is not None and latest.twin is not None
    assert latest.twin.perplexity == 15.0
    assert latest.samples[0].twin == "hello"
    assert [r.twin.perplexity for r in evaluations(vault, "run-a") if r.twin] == [20.0, 15.0]
    assert latest_evaluation(vault, "run-c") is None


def test_forgetting_a_conversation_deletes_the_evaluations_that_read_it(vault: Vault) -> None:
    save_evaluation(vault, made("run-a", [1, 2], 20.0))
    save_evaluation(vault, made("run-b", [3], 30.0))
    gone = Forgotten(conversation_ids={2})
    with vault.transaction():
        forget_evaluations(vault, gone)
    assert latest_evaluation(vault, "run-a") is None
    assert latest_evaluation(vault, "run-b") is not None
    assert any("run-a" in line for line in gone.derived)


def test_wilson_interval_brackets_the_share() -> None:
    low, high = wilson(7, 10)
    assert low < 0.7 < high
    assert round(low, 3) == 0.397 and round(high, 3) == 0.892
    assert wilson(0, 0) == (0.0, 1.0)


def test_sounds_like_you_is_the_share_over_the_ceiling_and_never_over_all() -> None:
    result = made("run-a", [1], 20.0)
    result.ceiling = 0.8
    result.twin = ModelFigures("twin", judged_as_you=0.6)
    assert result.sounds_like_you == pytest.approx(0.75)
    result.twin = ModelFigures("twin", judged_as_you=0.75)
    result.ceiling = 0.62
    assert result.sounds_like_you == 1.0
