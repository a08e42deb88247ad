"""Loading a trained twin: the base model of a run with its adapter merged in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twin.errors import TwinError
from twin.home import Home
from twin.models.loading import load_model
from twin.models.registry import resolve_model
from twin.train.adapter_files import merge, read_adapter
from twin.train.runs import Run, get_run, latest_good_run
from twin.vault.sealed import Sealer

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def load_twin(
    home: Home, run_id: str | None = None, device: str | None = None, sealer: Sealer | None = None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, Run | None]:
    """The twin of run `run_id` (the latest completed run when None), adapter merged in.

    With no completed run at all, the built-in default model is returned as it is, and the run
    is None. `sealer` (from the unlocked vault) opens the run's sealed adapter, in memory.
    """
    run = get_run(home, run_id) if run_id else latest_good_run(home)
    if run is None:
        model, tokenizer = load_model(resolve_model(home, None), device)
        return model, tokenizer, None
    if not run.has_adapter:
        raise TwinError(f"run {run.id} has no saved adapter yet (status: {run.status})")
    adapter = read_adapter(run, sealer)
    model, tokenizer = load_model(run.base_path(home), device)
    return merge(model, adapter), tokenizer, run
