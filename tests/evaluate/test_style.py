"""The style profile: identical replies are at distance zero, different voices are not."""

from __future__ import annotations

from tests.evaluate.conftest import OTHERS, SAM
from twin.evaluate.style import differences, distance, halves, profile


def test_identical_replies_give_zero_style_distance() -> None:
    assert distance(profile(SAM), profile(list(SAM))) == 0.0
    assert set(differences(profile(SAM), profile(SAM)).values()) == {0.0}


def test_another_voice_is_further_than_the_persons_own_halves() -> None:
    first, second = halves(SAM)
    own = distance(profile(first), profile(second))
    other = distance(profile(SAM), profile(OTHERS))
    assert 0 < own < other <= 1


def test_profile_counts_what_a_reader_notices() -> None:
    found = profile(["ahah yes 😄", "Fine.", "one\ntwo three"])
    assert found.replies == 3
    assert found.words == (2 + 1 + 3) / 3
    assert found.lowercase == 2 / 3
    assert found.emoji == 1 / 3
    assert found.split == 1 / 3
    assert found.punctuation == 1 / 6
    assert profile([]).replies == 0
