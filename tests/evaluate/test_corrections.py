"""What corrections did: the new reply compared with the correction and the reply corrected."""

from __future__ import annotations

import time

from tests.memory.conftest import embedder, vault
from twin.chat.feedback import record_feedback
from twin.evaluate.corrections import checks, figures, given_before, score
from twin.memory.embeddings import Embedder
from twin.vault import Vault

__all__ = ["embedder", "vault"]

DINNER = [{"role": "user", "content": "want to grab dinner tonight?"}]


def test_a_reply_closer_to_the_correction_counts_as_its_work(
    vault: Vault, embedder: Embedder
) -> None:
    record_feedback(
        vault,
        context=DINNER,
        reply="My brother Tom works at the bank.",
        verdict="bad",
        correction="yes!! dinner tonight at 8, you pick the place",
    )
    record_feedback(vault, context=DINNER, reply="same", verdict="good", source="expand")
    found = given_before(vault, time.time() + 60, 10)
    assert [c.reply for c in found] == ["yes!! dinner tonight at 8, you pick the place"]
    made = checks(embedder, found)
    assert made[0].said_to == "want to grab dinner tonight?"
    score(embedder, made, "twin", ["yes! dinner tonight at 8? you choose where"])
    score(embedder, made, "base", ["The bank is closed on Sundays."])
    twin, base = figures(made, "twin"), figures(made, "base")
    assert twin["close"] == 1.0 and twin["closer_than_before"] == 1.0
    assert base["close"] == 0.0
    assert twin["similarity"] > twin["similarity_before"] == base["similarity_before"]


def test_only_corrections_given_before_the_run_count(vault: Vault) -> None:
    record_feedback(vault, context=DINNER, reply="no", verdict="bad", correction="yes!!")
    assert given_before(vault, time.time() - 3600, 10) == []
    assert len(given_before(vault, None, 10)) == 1
    assert given_before(vault, None, 0) == []


def test_a_blind_test_pick_never_trains_nor_counts_as_a_correction(vault: Vault) -> None:
    from twin.chat.feedback import preference_pairs
    from twin.dataset.corrections import in_your_voice

    record_feedback(
        vault, context=DINNER, reply="twin's", verdict="bad", correction="real", source="blind-test"
    )
    assert preference_pairs(vault) == [] and in_your_voice(vault) == []


def test_the_eval_says_in_words_whether_the_corrections_took() -> None:
    from twin.evaluate.corrections import in_words

    def made(similarity: float, closer: float) -> dict[str, float]:
        return {
            "checked": 8.0,
            "close": 0.0,
            "closer_than_before": closer,
            "similarity": similarity,
            "similarity_before": 0.3,
        }

    helped = in_words(made(0.5, 0.75), made(0.25, 0.25))
    assert helped.startswith("Your 8 corrections brought the twin closer")
    assert "6 of 8 replies closer" in helped and "never trained on them, 0.25" in helped
    assert "did not take" in in_words(made(0.2, 0.25))
    assert "no clear difference" in in_words(made(0.32, 0.5))
    assert "no clear difference" in in_words(made(0.4, 0.25))  # closer on average, by a few
    # closer than the replies corrected, but a model that never saw them comes as close
    assert "no clear difference" in in_words(made(0.36, 0.75), made(0.33, 0.62))


def test_twin_eval_prints_what_the_corrections_did_in_words(
    vault: Vault, embedder: Embedder
) -> None:
    from twin.evaluate.commands import extra_lines
    from twin.evaluate.results import EvalResult, ModelFigures

    record_feedback(
        vault, context=DINNER, reply="The bank is closed.", verdict="bad", correction="yes!! 8?"
    )
    made = checks(embedder, given_before(vault, None, 10))
    score(embedder, made, "twin", ["yes! 8 works?"])
    score(embedder, made, "base", ["Banks open at nine."])
    result = EvalResult("run", "sample", "2026-12-02T05:00:00+00:00", quick=True)
    result.twin = ModelFigures("twin", corrections=figures(made, "twin"))
    result.base = ModelFigures("base", corrections=figures(made, "base"))
    said = extra_lines(result)[-1]
    assert said.startswith("Your 1 correction brought the twin closer")
    base_only = EvalResult("base", "sample", "2026-12-02T05:00:00+00:00", quick=True)
    base_only.base = result.base
    assert not any(line.startswith("Your 1 correction ") for line in extra_lines(base_only))
