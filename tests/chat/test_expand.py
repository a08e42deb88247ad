"""`twin dataset expand`: drafts to shipped openers, judged by the person, kept as feedback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.chat.test_twin import ScriptedModel
from tests.conftest import PASSPHRASE
from twin.chat.expand import OPENERS, expand, load_openers
from twin.chat.feedback import corrections, feedback_counts, preference_pairs
from twin.chat.twin import Twin
from twin.home import Home
from twin.memory.embeddings import Embedder
from twin.vault import Vault
from twin.vault.key import Secret


def test_a_few_hundred_varied_openers_ship_with_twin() -> None:
    openers = load_openers(OPENERS)
    assert len(openers) >= 200 and len(set(openers)) == len(openers)
    assert any("dinner" in o for o in openers) and any(o.endswith("?") for o in openers)


def test_decisions_become_feedback_and_judged_openers_do_not_return(
    memory_vault: Vault, embedder: Embedder
) -> None:
    twin = Twin(memory_vault, ScriptedModel("sure, sounds good"), embedder)
    answers = iter([("accept", None), ("edit", "bora! 8?"), ("reject", None), ("skip", None)])
    done = expand(twin, lambda _o, _d: next(answers), count=4, seed=1, openers=OPENERS_FEW)
    assert (done.accepted, done.edited, done.rejected, done.skipped) == (1, 1, 1, 1)
    assert feedback_counts(memory_vault) == {"good": 1, "bad": 2, "corrections": 1}
    assert [c.reply for c in corrections(memory_vault)] == ["bora! 8?"]
    assert len(preference_pairs(memory_vault)) == 1
    again = expand(twin, lambda _o, _d: ("accept", None), count=10, openers=OPENERS_FEW)
    assert again.accepted == 1  # only the skipped one comes back


OPENERS_FEW = ["want to grab dinner?", "how was your day?", "movie night?", "cats or dogs?"]


def test_the_command_asks_and_keeps(
    twin: Callable[..., Result], vault_home: Home, tiny_model: Path
) -> None:
    typed = "a\ne\nhaha no way\nq\n"
    result = twin(
        "dataset", "expand", "--count", "3", "--seed", "2", "--model", str(tiny_model), input=typed
    )
    assert "1 accepted, 1 edited, 0 rejected" in result.output
    with Vault.open(vault_home, Secret(passphrase=PASSPHRASE)) as vault:
        assert [c.reply for c in corrections(vault)] == ["haha no way"]
