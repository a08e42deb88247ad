"""Validation holds the latest sessions; no session is in both; nothing later leaks into train."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.dataset.conftest import Build, Chat
from twin.dataset.split import SessionSpan, split_sessions


def test_latest_sessions_are_held_out(chat: Chat, build: Build) -> None:
    for day in range(10):
        chat.say("Maya", f"day {day}: how are things", after=timedelta(days=1))
        chat.say("Sam", f"day {day}: fine, busy with project {'x' * day}")
    result = build(redact=False, val_fraction=0.2, disabled=("near-duplicate",))
    train = [e["messages"][-1]["content"][:6] for e in result["train"]]
    val = [e["messages"][-1]["content"][:6] for e in result["val"]]
    assert train == [f"day {d}:" for d in range(8)]
    assert val == ["day 8:", "day 9:"]


def test_overlapping_session_of_another_chat_goes_nowhere(chat: Chat, build: Build) -> None:
    chat.say("Maya", "early chat with Maya", after=timedelta(days=1))
    chat.say("Sam", "early reply to Maya")
    long_start = chat.say("Ana", "a long chat begins", chat="Ana", after=timedelta(days=1))
    chat.say("Sam", "reply to Ana", chat="Ana")
    chat.say("Maya", "late chat with Maya", after=timedelta(minutes=5))
    chat.say("Sam", "late reply to Maya")
    chat.say("Ana", "still going", chat="Ana", after=timedelta(minutes=5))
    chat.say("Sam", "still here", chat="Ana")
    result = build(redact=False, val_fraction=0.25)
    assert long_start
    val = [e["messages"][-1]["content"] for e in result["val"]]
    train = [e["messages"][-1]["content"] for e in result["train"]]
    assert val == ["late reply to Maya"]
    assert train == ["early reply to Maya"]
    assert result["stats"]["sessions"]["straddling"] == 1


@given(
    st.lists(
        st.tuples(st.integers(0, 1000), st.integers(0, 200), st.integers(0, 5)),
        min_size=1,
        max_size=40,
    ),
    st.floats(0, 0.9),
)
def test_split_never_leaks(sessions: list[tuple[int, int, int]], fraction: float) -> None:
    spans = [
        SessionSpan((n, 0), float(start), float(start + length), examples)
        for n, (start, length, examples) in enumerate(sessions)
    ]
    split = split_sessions(spans, fraction)
    assert not split.train & split.val
    by_key = {span.key: span for span in spans}
    if split.val and split.train:
        assert max(by_key[k].end for k in split.train) < min(by_key[k].start for k in split.val)
    assert all(by_key[k].examples for k in split.train | split.val | split.straddling)
