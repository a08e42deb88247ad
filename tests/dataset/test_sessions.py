"""Sessions split at silences longer than the gap; one sender's quick messages become one turn."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.dataset.conftest import Build, Chat
from twin.dataset.options import format_duration, parse_duration
from twin.errors import TwinError


def assistant_turns(example: dict[str, object]) -> list[str]:
    messages = example["messages"]
    assert isinstance(messages, list)
    return [m["content"] for m in messages if m["role"] == "assistant"]


def test_gap_of_one_day_and_five_minutes_splits_session(chat: Chat, build: Build) -> None:
    chat.say("Maya", "are you around?")
    chat.say("Sam", "yes, what's up")
    # timedelta(days=1, minutes=5).seconds is only 300: a naive check would not split here.
    chat.say("Maya", "sorry, only saw this now", after=timedelta(days=1, minutes=5))
    chat.say("Sam", "no worries at all")
    result = build(gap=3 * 3600)
    assert result["stats"]["sessions"]["total"] == 2
    last = result["train"][-1]["messages"]
    assert [m["content"] for m in last[1:]] == ["sorry, only saw this now", "no worries at all"]


def test_silence_shorter_than_gap_keeps_one_session(chat: Chat, build: Build) -> None:
    chat.say("Maya", "are you around?")
    chat.say("Sam", "yes, what's up", after=timedelta(hours=2, minutes=59))
    assert build(gap=3 * 3600)["stats"]["sessions"]["total"] == 1
    assert build(gap=3600)["stats"]["sessions"]["total"] == 2


def test_consecutive_messages_of_one_sender_merge_within_window(chat: Chat, build: Build) -> None:
    chat.say("Maya", "dinner?")
    chat.say("Sam", "yes!")
    chat.say("Sam", "where", after=timedelta(minutes=2))
    chat.say("Sam", "and when", after=timedelta(minutes=30))
    result = build(merge_window=10 * 60, disabled=("near-duplicate",))
    targets = [assistant_turns(example)[-1] for example in result["train"]]
    assert targets == ["yes!\nwhere", "and when"]
    assert result["stats"]["merged_messages"] == 1


def test_merge_window_zero_keeps_every_message_a_turn(chat: Chat, build: Build) -> None:
    chat.say("Maya", "dinner?")
    chat.say("Sam", "yes!")
    chat.say("Sam", "where", after=timedelta(seconds=30))
    targets = [assistant_turns(e)[-1] for e in build(merge_window=0)["train"]]
    assert targets == ["yes!", "where"]


@pytest.mark.parametrize(
    ("text", "seconds"), [("3h", 10800), ("90m", 5400), ("1d", 86400), ("1h30m", 5400)]
)
def test_durations_read_as_people_write_them(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "3", "three hours", "-3h", "3x"])
def test_bad_duration_is_a_clear_error(text: str) -> None:
    with pytest.raises(TwinError, match="not a duration"):
        parse_duration(text)
