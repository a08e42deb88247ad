"""A trained adapter can repeat what it learned, so forgetting its data deletes it too."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

from tests.vault.helpers import ANN, BO
from twin.home import Home
from twin.train.presets import TrainConfig
from twin.train.runs import list_runs, new_run


def test_forget_deletes_runs_trained_on_forgotten_messages(
    twin: Callable[..., Result], vault_home: Home
) -> None:
    twin("import", str(ANN), str(BO), "--me", "Sam")  # conversations 1 (Ann) and 2 (Bo)
    values = {
        "base": "default",
        "base_dir": "",
        "dataset": "d",
        "dataset_hash": "",
        "config": TrainConfig(),
    }
    from_ann = new_run(vault_home, conversation_ids=[1], **values)
    from_bo = new_run(vault_home, conversation_ids=[2], **values)
    result = twin("forget", "--contact", "Ann", "--yes")
    assert f"training run {from_ann.id}" in result.stdout
    assert [run.id for run in list_runs(vault_home)] == [from_bo.id]
