"""A run trained from the vault keeps its checkpoint sealed, and resumes from it in memory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.vault.helpers import ANN, BO
from twin.home import Home
from twin.train.runs import Run
from twin.train.training import TrainRequest, train
from twin.vault.key import Secret
from twin.vault.vault import Vault

Twin = Callable[..., Result]
FAST = {"max_steps": 4, "threads": 1, "seq_len": 64, "save_every": 1, "epochs": 4, "batch_size": 1}


def test_checkpoint_is_sealed_and_resumes(twin: Twin, vault_home: Home, tiny_model: Path) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("import", str(BO), "--me", "Sam")
    twin("dataset", "build", "--name", "mine", "--val-fraction", "0.2")
    with Vault.open(vault_home, Secret(passphrase="test passphrase")) as vault:
        sealer = vault.sealer

    def stop_after_two(run: Run, _loss: float) -> bool:
        return run.step >= 2

    request = TrainRequest("mine", str(tiny_model), dict(FAST), sealer=sealer)
    stopped = train(vault_home, request, on_step=stop_after_two, progress=False)
    assert stopped.status == "stopped"
    assert stopped.sealed_checkpoint.read_bytes().startswith(b"TWINSEAL")
    assert not stopped.checkpoint.exists()
    resumed = train(vault_home, TrainRequest(resume=True, sealer=sealer), progress=False)
    assert resumed.id == stopped.id and resumed.status == "completed" and resumed.step == 4
    assert not resumed.sealed_checkpoint.exists()
