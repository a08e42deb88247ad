"""The authorship judge tells the person's lines from other people's."""

from __future__ import annotations

from tests.evaluate.conftest import OTHERS, SAM
from twin.evaluate.judge import train_judge


def test_judge_ranks_the_persons_held_out_lines_above_another_persons() -> None:
    judge = train_judge(SAM[:7], OTHERS[:6])
    assert judge is not None
    mine = judge.probabilities(SAM[7:])
    theirs = judge.probabilities(OTHERS[6:])
    assert min(mine) > max(theirs)
    assert (judge.share(SAM[7:]) or 0) > (judge.share(OTHERS[6:]) or 0)


def test_no_judge_without_enough_lines_on_both_sides() -> None:
    assert train_judge(SAM, OTHERS[:2]) is None
    assert train_judge(SAM[:1], OTHERS) is None
