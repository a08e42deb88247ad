"""Training a tiny model: the loss falls, a stopped run resumes, and runs are recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from click.testing import Result
from safetensors.torch import load_file

from tests.tiny import write_dataset
from twin.atomic import write_file
from twin.errors import TwinError
from twin.home import Home
from twin.train.before import estimate_run
from twin.train.estimate import Estimate, refuse_if_too_big
from twin.train.runs import Run, get_run, latest_good_run, list_runs
from twin.train.training import TrainRequest, train

FAST = {"lr": 3e-3, "batch_size": 2, "threads": 1, "save_every": 2, "warmup_steps": 1}


def request(model: Path, **overrides: object) -> TrainRequest:
    return TrainRequest(dataset="chats", base=str(model), overrides={**FAST, **overrides})


def adapter_weights(run: Run) -> dict[str, torch.Tensor]:
    return load_file(run.adapter_dir / "adapter_model.safetensors")


def test_loss_falls(tmp_home: Home, tiny_model: Path, dataset: Path) -> None:
    run = train(tmp_home, request(tiny_model, epochs=3, patience=3), progress=False)
    assert run.status == "completed"
    train_losses = [epoch["train_loss"] for epoch in run.epochs]
    val_losses = [epoch["val_loss"] for epoch in run.epochs]
    assert train_losses[-1] < train_losses[0] - 0.5
    assert val_losses[-1] < val_losses[0]
    assert run.tokens_per_second and run.tokens_per_second > 0
    assert run.has_adapter and not run.checkpoint.exists()


def test_resume_goes_on_from_the_step_it_stopped_at(
    tmp_home: Home, tiny_model: Path, dataset: Path
) -> None:
    whole = train(tmp_home, request(tiny_model, max_steps=8), progress=False)

    def stop_at_step_3(run: Run, loss: float) -> bool:
        return run.step == 3

    stopped = train(
        tmp_home, request(tiny_model, max_steps=8), on_step=stop_at_step_3, progress=False
    )
    assert stopped.status == "stopped" and stopped.step == 3
    assert get_run(tmp_home, stopped.id).status == "stopped"

    steps: list[int] = []
    resumed = train(
        tmp_home,
        TrainRequest(resume=True),
        on_step=lambda run, loss: steps.append(run.step) and False,
        progress=False,
    )
    assert resumed.id == stopped.id and resumed.status == "completed"
    assert steps[0] == 4 and resumed.step == 8
    for name, weights in adapter_weights(whole).items():
        torch.testing.assert_close(adapter_weights(resumed)[name], weights, rtol=1e-4, atol=1e-5)


def test_the_estimate_counts_the_steps_and_tokens_the_run_takes(
    tmp_home: Home, tiny_model: Path, dataset: Path
) -> None:
    ahead = estimate_run(tmp_home, request(tiny_model, epochs=2, patience=3))
    run = train(tmp_home, request(tiny_model, epochs=2, patience=3), progress=False)
    assert ahead.steps == run.total_steps == run.step > 2
    assert ahead.epoch_tokens * 2 == run.seen_tokens
    assert ahead.examples == run.examples

    def stop_at_step_3(run: Run, loss: float) -> bool:
        return run.step == 3

    train(tmp_home, request(tiny_model, max_steps=7), on_step=stop_at_step_3, progress=False)
    assert estimate_run(tmp_home, TrainRequest(resume=True)).steps == 7 - 3


def test_a_killed_run_shows_as_stopped_and_resumes(
    tmp_home: Home, tiny_model: Path, dataset: Path
) -> None:
    def crash_at_step_5(run: Run, loss: float) -> bool:
        if run.step == 5:
            raise KeyboardInterrupt
        return False

    with pytest.raises(KeyboardInterrupt):
        train(tmp_home, request(tiny_model, max_steps=8), on_step=crash_at_step_5, progress=False)
    [run] = list_runs(tmp_home)
    assert run.status == "stopped"
    # The checkpoint written at step 4 survived; the run resumes from there.
    resumed = train(tmp_home, TrainRequest(resume=True), progress=False)
    assert resumed.status == "completed" and resumed.step == 8


def test_a_failed_checkpoint_write_keeps_the_last_good_one(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(b"good")

    def crash(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_file(path, crash)
    assert path.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_continue_trains_on_what_was_added_since(
    tmp_home: Home, tiny_model: Path, dataset: Path
) -> None:
    first = train(tmp_home, request(tiny_model, max_steps=3), progress=False)
    with pytest.raises(TwinError, match="nothing was added"):
        train(tmp_home, TrainRequest(dataset="chats", continue_training=True, overrides=FAST))
    write_dataset(dataset, train=30)  # six new conversations at the end
    second = train(
        tmp_home,
        TrainRequest(dataset="chats", continue_training=True, overrides={**FAST, "max_steps": 2}),
        progress=False,
    )
    assert second.parent == first.id and second.base == first.base
    assert second.examples == 12  # the 6 new ones and 6 replayed
    assert latest_good_run(tmp_home) == get_run(tmp_home, second.id)


def test_a_run_that_would_not_fit_in_memory_is_refused() -> None:
    with pytest.raises(TwinError, match="more than is free"):
        refuse_if_too_big(Estimate(seconds=60, memory_bytes=8 << 30, available_bytes=1 << 30))


def test_runs_list_and_show(
    tmp_home: Home, tiny_model: Path, dataset: Path, twin: Callable[..., Result]
) -> None:
    run = train(tmp_home, request(tiny_model, epochs=1), progress=False)
    [line] = twin("runs", "list", "--json").output.splitlines()
    listed = json.loads(line)
    assert listed["id"] == run.id and listed["status"] == "completed"
    assert listed["dataset"] == "chats" and len(listed["dataset_hash"]) == 64
    assert listed["epochs"][0]["train_loss"] > 0 and listed["tokens_per_second"] > 0
    shown = twin("runs", "show", run.id[:15]).output
    assert "validation loss" in shown and "rank=8" in shown


def test_accelerate_config_is_printed(twin: Callable[..., Result]) -> None:
    import yaml

    config = yaml.safe_load(twin("train", "--print-accelerate-config").output)
    assert config["distributed_type"] == "FSDP" and config["num_processes"] >= 1


def test_a_time_limit_finishes_the_run_with_its_adapter(
    tmp_home: Home, tiny_model: Path, dataset: Path
) -> None:
    run = train(tmp_home, request(tiny_model, epochs=50, max_minutes=1e-9), progress=False)
    assert run.status == "completed" and run.step == 1
    assert run.has_adapter and run.epochs[0]["partial"]
    assert "time limit" in (run.message or "")


def test_train_command_applies_overrides_to_the_preset(
    tmp_home: Home, tiny_model: Path, dataset: Path, twin: Callable[..., Result]
) -> None:
    args = ["--base", str(tiny_model), "--max-steps", "2", "--threads", "1", "--seq-len", "64"]
    twin("train", *args, "--top-layers", "0", "--max-minutes", "0", "--rank", "4")
    [run] = list_runs(tmp_home)
    assert run.status == "completed" and run.step == 2 and run.dataset == "chats"
    assert run.config.rank == 4 and run.config.seq_len == 64
    assert run.config.top_layers == 0 and run.config.max_minutes == 0


def test_resume_with_nothing_stopped_says_so(twin: Callable[..., Result]) -> None:
    result = twin("train", "--resume", ok=False)
    assert result.exit_code == 1 and "no stopped run to resume" in result.output
