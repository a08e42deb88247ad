"""Feedback: thumbs and corrections stored in the vault, and the pairs DPO learns from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import PASSPHRASE
from twin.chat.feedback import corrections, feedback_counts, preference_pairs, record_feedback
from twin.errors import TwinError
from twin.home import Home
from twin.vault import Vault
from twin.vault.key import Secret

ASKED = [{"role": "user", "content": "want to grab dinner?"}]


def test_a_correction_makes_a_pair_and_an_example(vault: Vault) -> None:
    ident = record_feedback(
        vault, context=ASKED, reply="I don't remember.", verdict="bad", correction="bora! 20h?"
    )
    [pair] = preference_pairs(vault)
    assert (pair.prompt, pair.chosen, pair.rejected) == (ASKED, "bora! 20h?", "I don't remember.")
    assert pair.feedback_ids == (ident,)
    [example] = corrections(vault)
    assert (example.prompt, example.reply) == (ASKED, "bora! 20h?")


def test_a_good_and_a_bad_reply_to_one_context_make_a_pair(vault: Vault) -> None:
    record_feedback(vault, context=ASKED, reply="yes! where?", verdict="good", source="hub")
    record_feedback(vault, context=ASKED, reply="My brother Tom cooks.", verdict="bad")
    record_feedback(vault, context=[{"role": "user", "content": "hi"}], reply="no", verdict="bad")
    [pair] = preference_pairs(vault)
    assert (pair.chosen, pair.rejected) == ("yes! where?", "My brother Tom cooks.")
    assert feedback_counts(vault) == {"good": 1, "bad": 2, "corrections": 0}


@pytest.mark.parametrize(
    "bad",
    [
        {"verdict": "meh"},
        {"source": "internet"},
        {"reply": "  "},
        {"correction": ""},
        {"context": []},
        {"context": [{"role": "tool", "content": "x"}]},
    ],
)
def test_bad_feedback_is_refused_and_nothing_is_stored(
    vault: Vault, bad: dict[str, object]
) -> None:
    arguments: dict[str, object] = {"context": ASKED, "reply": "ok", "verdict": "good", **bad}
    with pytest.raises(TwinError):
        record_feedback(vault, **arguments)  # type: ignore[arg-type]
    assert feedback_counts(vault) == {"good": 0, "bad": 0, "corrections": 0}


def test_chat_good_bad_and_said_reach_the_vault(
    twin: Callable[..., Result], vault_home: Home, tiny_model: Path
) -> None:
    typed = "hello\n/good\nhello again\n/said bora, 20h at the usual place?\n/quit\n"
    result = twin("chat", "--model", str(tiny_model), "--max-tokens", "6", input=typed)
    assert result.output.count("Noted") == 2
    with Vault.open(vault_home, Secret(passphrase=PASSPHRASE)) as vault:
        [pair] = preference_pairs(vault)
        assert pair.chosen == "bora, 20h at the usual place?"
        assert pair.prompt[-1] == {"role": "user", "content": "hello again"}
        assert pair.prompt[0]["role"] == "user" and pair.prompt[0]["content"] == "hello"
        assert feedback_counts(vault) == {"good": 1, "bad": 1, "corrections": 1}


def test_train_preferences_runs_dpo_on_a_chat_correction(
    twin: Callable[..., Result], vault_home: Home, tmp_path: Path
) -> None:
    from tests.tiny import build_model, write_dataset
    from twin.train.runs import latest_good_run
    from twin.train.training import TrainRequest, train

    model = build_model(tmp_path / "tiny-llama")
    write_dataset(vault_home.datasets / "chats")
    fast = {"lr": 3e-3, "batch_size": 2, "threads": 1, "max_steps": 2, "warmup_steps": 1}
    first = train(vault_home, TrainRequest("chats", str(model), fast), progress=False)
    with Vault.open(vault_home, Secret(passphrase=PASSPHRASE)) as vault:
        record_feedback(
            vault, context=ASKED, reply="I don't remember.", verdict="bad", correction="bora! 20h?"
        )
    result = twin("train", "--preferences")
    second = latest_good_run(vault_home)
    assert second is not None and second.parent == first.id
    assert "DPO on 1 preference pairs" in result.output
