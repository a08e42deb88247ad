"""The blind test with people: the real reply or the twin's, which is which?

Each round shows a held-out context and two replies in random order, the person's real one
and the twin's (from the run's latest evaluation); whoever takes the test picks the one they
think is real. The pass rate is the share of rounds in which the twin's reply was taken for
the real one (0.5 is indistinguishable), with a 95% Wilson interval. Every pick is stored
with the run and recorded as feedback (`twin.chat.feedback.record_feedback`): a twin reply
taken for real is a good reply, one told apart is a bad one whose correction is the real one.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from twin.chat.feedback import record_feedback
from twin.evaluate.results import EvalResult, Sample
from twin.evaluate.store import HEADLINE_FILE, Pick, picks, save_pick
from twin.vault.vault import Vault

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Round:
    """One question of the blind test."""

    sample: Sample
    twin_first: bool
    """Whether the twin's reply is shown as reply 1."""

    @property
    def replies(self) -> tuple[str, str]:
        twin = self.sample.twin or ""
        return (twin, self.sample.real) if self.twin_first else (self.sample.real, twin)

    def is_twin(self, choice: int) -> bool:
        """Whether reply `choice` (1 or 2) is the twin's."""
        return (choice == 1) == self.twin_first


@dataclass(frozen=True)
class PassRate:
    """How often the twin was taken for the real person."""

    rate: float | None
    rounds: int
    low: float | None
    high: float | None

    def describe(self) -> str:
        if self.rate is None:
            return "no rounds yet"
        return (
            f"{self.rate:.0%} of {self.rounds} rounds took the twin for you "
            f"(95% interval {self.low:.0%} to {self.high:.0%}; 50% is indistinguishable)"
        )


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a share; good for small counts."""
    if total == 0:
        return 0.0, 1.0
    share = successes / total
    centre = share + z * z / (2 * total)
    spread = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    denominator = 1 + z * z / total
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def rounds(result: EvalResult, rng: random.Random) -> list[Round]:
    """The rounds an evaluation offers: samples with a twin reply unlike the real one."""
    usable = [
        s for s in result.samples if s.twin and s.twin.strip() and s.twin.strip() != s.real.strip()
    ]
    rng.shuffle(usable)
    return [Round(sample, rng.random() < 0.5) for sample in usable]


def record_pick(vault: Vault, result: EvalResult, round_: Round, choice: int) -> bool:
    """Store the pick (1 or 2) with the run, and as feedback; whether the twin was picked."""
    twin_picked = round_.is_twin(choice)
    sample = round_.sample
    twin = sample.twin or ""
    save_pick(
        vault,
        Pick(result.run_id, sample.context, sample.real, twin, twin_picked),
        datetime.now(UTC).isoformat(timespec="seconds"),
        result.conversation_ids,
    )
    record_feedback(
        vault,
        context=sample.context,
        reply=twin,
        verdict="good" if twin_picked else "bad",
        correction=None if twin_picked else sample.real,
        source="blind-test",
    )
    return twin_picked


def pass_rate(vault: Vault, run_id: str) -> PassRate:
    """The pass rate over every stored round of `run_id`'s blind test."""
    found = picks(vault, run_id)
    if not found:
        return PassRate(None, 0, None, None)
    low, high = wilson(sum(found), len(found))
    return PassRate(sum(found) / len(found), len(found), low, high)


def store_pass_rate(vault: Vault, run_id: str) -> PassRate:
    """The pass rate, also written into the run's headline figures."""
    rate = pass_rate(vault, run_id)
    path = vault.home.runs / run_id / HEADLINE_FILE
    if path.is_file() and rate.rate is not None:
        from twin.atomic import write_text

        data = json.loads(path.read_text(encoding="utf-8"))
        data["blind_test"] = {
            "pass_rate": rate.rate,
            "rounds": rate.rounds,
            "low": rate.low,
            "high": rate.high,
        }
        write_text(path, json.dumps(data, indent=2) + "\n")
    return rate
