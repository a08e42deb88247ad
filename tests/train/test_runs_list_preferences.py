"""`twin runs list` and `runs show` read a preference (DPO) round: no LM loss."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

from twin.home import Home
from twin.train.presets import TrainConfig
from twin.train.runs import new_run


def test_a_preference_round_is_listed_with_its_dpo_loss(
    twin: Callable[..., Result], vault_home: Home
) -> None:
    run = new_run(
        vault_home, base="default", base_dir="", dataset="d", dataset_hash="", config=TrainConfig()
    )
    run.status, run.step, run.total_steps = "completed", 30, 30
    run.epochs.append({"epoch": 1, "steps": 30, "dpo_loss": 0.662})  # what train/dpo.py records
    run.save()

    assert "0.662" in twin("runs", "list").stdout
    assert "1: DPO loss 0.662, validation loss -" in twin("runs", "show", run.id).stdout
