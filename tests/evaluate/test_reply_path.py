"""`twin eval` hears the twin through the same reply path as `twin chat` and `twin ask`."""

from __future__ import annotations

from twin.chat.engine import base_step_store, step_store
from twin.evaluate.run import _load
from twin.home import Home
from twin.memory.embeddings import Embedder
from twin.train.runs import Run
from twin.vault import Vault


def test_eval_replies_through_the_exported_step_chat_uses(
    person_vault: Vault, tmp_home: Home, trained_run: Run, embedder: Embedder
) -> None:
    twin, base = _load(tmp_home, person_vault, trained_run, embedder, with_twin=True)
    assert twin.twin.engine.step_store == step_store(tmp_home, trained_run, person_vault.sealer)
    expected = base_step_store(trained_run.base_path(tmp_home))
    assert expected is not None and base.twin.engine.step_store == expected
