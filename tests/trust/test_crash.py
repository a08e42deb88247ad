"""Killed at any moment (SIGKILL), a build, a forget or a passphrase change leaves the old state
or the new one, never something between, and `twin check` finds nothing wrong."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.vault.helpers import ANN, BO
from twin.home import Home

Twin = Callable[..., Result]
KILLS = 20


def start(home: Home, *args: str, passphrase: str = "test passphrase") -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TWIN_HOME": str(home.path),
        "TWIN_PASSPHRASE": passphrase,
        "TWIN_NEW_PASSPHRASE": "the new one",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "twin", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_at_random(home: Home, args: list[str], seed: int, check: Callable[[], None]) -> None:
    """Run `twin ARGS` to the end once to time it, then SIGKILL it KILLS times, checking each."""
    began = time.monotonic()
    assert start(home, *args).wait(timeout=120) == 0
    took = time.monotonic() - began
    rng = random.Random(seed)
    for _ in range(KILLS):
        process = start(home, *args)
        moment = rng.uniform(0.2 * took, took)
        try:
            process.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        check()


@pytest.fixture
def filled(twin: Twin, vault_home: Home) -> Home:
    twin("import", str(ANN), "--me", "Sam")
    twin("import", str(BO), "--me", "Sam")
    twin("journal", "add", "A note about the cello.")
    twin("dataset", "build", "--name", "mine", "--context", "8")
    return vault_home


def test_killed_dataset_build_leaves_old_or_new(twin: Twin, filled: Home) -> None:
    def state() -> None:
        stats = json.loads(twin("dataset", "show", "mine", "--json").output)
        assert stats["options"]["context"] in (8, 2)
        assert "All is well" in twin("check").output

    kill_at_random(filled, ["dataset", "build", "--name", "mine", "--context", "2"], 1, state)


def test_killed_forget_leaves_old_or_new(twin: Twin, filled: Home) -> None:
    before = json.loads(twin("stats", "--json").output)

    def state() -> None:
        now = json.loads(twin("stats", "--json").output)
        if now != before:
            assert now["messages"] < before["messages"]
            assert "mine" not in twin("dataset", "list").output
        assert "All is well" in twin("check").output

    kill_at_random(filled, ["forget", "--contact", "Bo", "--yes"], 2, state)


def test_killed_passphrase_change_leaves_one_working_passphrase(
    twin: Twin, filled: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    stats = twin("stats", "--json").output
    card = twin("dataset", "show", "mine").output
    current = ["test passphrase"]

    def state() -> None:
        opened = []
        for phrase in ("test passphrase", "the new one"):
            monkeypatch.setenv("TWIN_PASSPHRASE", phrase)
            result = twin("stats", "--json", ok=False)
            if result.exit_code == 0:
                opened.append(phrase)
                assert result.output == stats
                assert twin("dataset", "show", "mine").output == card
                assert "All is well" in twin("check").output
        assert len(opened) == 1, opened
        current[0] = opened[0]

    def change_back_and_forth(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(KILLS):
            old = current[0]
            new = "the new one" if old == "test passphrase" else "test passphrase"
            env = {
                **os.environ,
                "TWIN_HOME": str(filled.path),
                "TWIN_PASSPHRASE": old,
                "TWIN_NEW_PASSPHRASE": new,
            }
            process = subprocess.Popen(
                [sys.executable, "-m", "twin", "passphrase", "change"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                process.wait(timeout=rng.uniform(0.3, 3.0))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
            state()

    change_back_and_forth(3)


def test_a_torn_dataset_swap_is_put_back(twin: Twin, filled: Home) -> None:
    folder = filled.datasets / "mine"
    folder.rename(filled.datasets / ".mine.old")
    assert "mine" in twin("dataset", "list").output
    assert folder.is_dir()


WRITER = """
import sys, itertools
from pathlib import Path
from twin.vault.sealed import Sealer
sealer, path = Sealer(b"k" * 32), Path(sys.argv[1])
for number in itertools.count():
    # the write `_save_checkpoint` makes: a whole payload sealed, then renamed into place
    sealer.seal_bytes(path, "runs/r/checkpoint.pt", str(number).encode() * 200_000)
    print(number, flush=True)
"""


def test_a_killed_checkpoint_write_leaves_a_whole_checkpoint(tmp_path: Path) -> None:
    from twin.vault.sealed import Sealer

    path = tmp_path / "checkpoint.pt.sealed"
    rng = random.Random(4)
    for _ in range(KILLS):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        process.stdout.readline()  # at least one whole checkpoint exists
        time.sleep(rng.uniform(0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        data = Sealer(b"k" * 32).open_bytes(path, "runs/r/checkpoint.pt")
        unit = data[: len(data) // 200_000]
        assert data == unit * 200_000
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != path.name]
    assert all(name.endswith(".tmp") for name in leftovers)


def test_killed_training_resumes_from_a_whole_checkpoint(
    twin: Twin, filled: Home, tiny_model: Path
) -> None:
    """A real `twin train` of the tiny model, SIGKILLed a few times mid-run, then resumed.

    After every kill the vault checks clean, the run is "stopped" with a sealed checkpoint that
    opens, at a step no earlier than the last kill's, and any sealed adapter opens; the last
    `--resume` finishes the run at its full step count.
    """
    from twin.train.adapter_files import read_adapter
    from twin.train.loop import load_checkpoint
    from twin.train.runs import list_runs
    from twin.vault.key import Secret
    from twin.vault.vault import Vault

    steps = 120  # more than a fast machine finishes between a step seen and the kill
    args = ["--base", str(tiny_model), "--threads", "1", "--seq-len", "64", "--batch-size", "1"]
    args += ["--max-steps", str(steps), "--epochs", "500", "--patience", "500", "--save-every", "1"]
    with Vault.open(filled, Secret(passphrase="test passphrase")) as vault:
        sealer = vault.sealer
    rng = random.Random(7)
    reached = 0
    for kill in range(3):
        command = ["train", "--dataset", "mine", *args] if kill == 0 else ["train", "--resume"]
        process = start(filled, *command)
        deadline = time.monotonic() + 120
        while not any(
            run.sealed_checkpoint.is_file() and run.step > reached for run in list_runs(filled)
        ):  # a step taken past the last kill: the process is in the middle of training
            assert process.poll() is None, "training ended before it could be killed"
            assert time.monotonic() < deadline, "no checkpoint within 120 s"
            time.sleep(0.05)
        time.sleep(rng.uniform(0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        (run,) = list_runs(filled)
        assert run.status == "stopped" and run.step < steps
        checkpoint = load_checkpoint(run, sealer)  # whole: it opens and says where it stood
        # run.json is written just after each checkpoint: a kill between leaves it one behind
        at = checkpoint["step"]
        assert reached <= at and run.step in (at - 1, at)
        reached = at
        if run.sealed_adapter.is_file():
            read_adapter(run, sealer)
        assert not (run.folder / "adapter").exists() and not run.checkpoint.exists()
        assert "All is well" in twin("check").output
    assert start(filled, "train", "--resume").wait(timeout=300) == 0
    (run,) = list_runs(filled)
    assert run.status == "completed" and run.step == steps
    assert read_adapter(run, sealer).weights and not run.sealed_checkpoint.exists()
    assert "All is well" in twin("check").output
