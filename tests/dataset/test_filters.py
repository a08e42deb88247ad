"""Each filter removes what it says, is counted in the report, and can be switched off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.dataset.conftest import Build, Chat


def targets(result: dict[str, object]) -> list[str]:
    examples = result["train"]
    assert isinstance(examples, list)
    return [example["messages"][-1]["content"] for example in examples]


def removed(result: dict[str, object], group: str, name: str) -> int:
    stats = result["stats"]
    assert isinstance(stats, dict)
    count: int = stats["filters"][group][name]
    return count


@pytest.mark.parametrize(
    ("kind", "text", "name"),
    [
        ("system", "Maya changed the subject", "system"),
        ("media", "<Media omitted>", "media"),
        ("deleted", "This message was deleted", "deleted"),
        ("call", "Missed voice call", "call"),
    ],
)
def test_message_kinds_are_filtered_and_counted(
    chat: Chat, build: Build, kind: str, text: str, name: str
) -> None:
    chat.say("Maya", "hello there")
    chat.say("Sam" if kind != "system" else None, text, kind=kind)
    chat.say("Sam", "a real reply", after=timedelta(minutes=20))
    result = build(redact=False, disabled=("refers-to-missing",))
    assert removed(result, "messages", name) == 1
    assert text not in str(result["train"])
    kept = build(redact=False, disabled=(name, "refers-to-missing"))
    assert removed(kept, "messages", name) == 0
    assert text in str(kept["train"])


def test_link_alone_is_dropped_and_the_reply_to_it_is_not_a_target(
    chat: Chat, build: Build
) -> None:
    chat.say("Maya", "what do you think")
    chat.say("Maya", "https://example.com/article")
    chat.say("Sam", "wow, interesting")
    chat.say("Maya", "right?", after=timedelta(minutes=20))
    chat.say("Sam", "yes, well argued")
    result = build(redact=False)
    assert removed(result, "messages", "link-only") == 1
    assert removed(result, "targets", "refers-to-missing") == 1
    assert "wow, interesting" not in targets(result)
    both_off = build(redact=False, disabled=("link-only",))
    assert "wow, interesting" in targets(both_off)
    assert "https://example.com/article" in str(both_off["train"])


def test_reply_to_a_photo_is_not_a_target(chat: Chat, build: Build) -> None:
    chat.say("Maya", "<Media omitted>", kind="media")
    chat.say("Sam", "haha amazing")
    chat.say("Maya", "right?")
    chat.say("Sam", "the best one yet")
    result = build(redact=False)
    assert targets(result) == ["the best one yet"]
    assert removed(result, "targets", "refers-to-missing") == 1
    assert "haha amazing" in targets(build(redact=False, disabled=("refers-to-missing",)))


def test_empty_and_one_character_turns_are_dropped(chat: Chat, build: Build) -> None:
    chat.say("Maya", "coming?")
    chat.say("Sam", "k")
    chat.say("Maya", "see you", after=timedelta(minutes=20))
    chat.say("Sam", "👍🏽")
    chat.say("Maya", "bye", after=timedelta(minutes=20))
    chat.say("Sam", "bye!")
    result = build(redact=False)
    assert targets(result) == ["bye!"]
    assert removed(result, "turns", "empty") == 2
    assert targets(build(redact=False, disabled=("empty",))) == ["k", "👍🏽", "bye!"]


def test_exact_duplicate_examples_are_dropped(chat: Chat, build: Build) -> None:
    for _ in range(2):
        chat.say("Maya", "good morning", after=timedelta(days=1))
        chat.say("Sam", "morning! coffee?")
    result = build(redact=False)
    assert len(result["train"]) == 1
    assert removed(result, "targets", "duplicate") == 1
    assert len(build(redact=False, disabled=("duplicate",))["train"]) == 2


def test_near_duplicate_replies_are_capped(chat: Chat, build: Build) -> None:
    for number, reply in enumerate(["Hahaha", "haha!", "HAHAHA 😂", "hahahahaha", "haha"]):
        chat.say("Maya", f"joke number {number} about a different thing {'x' * number}")
        chat.say("Sam", reply)
    result = build(redact=False, max_repeats=2)
    assert targets(result) == ["Hahaha", "haha!"]
    assert removed(result, "targets", "near-duplicate") == 3
    assert len(build(redact=False, disabled=("near-duplicate",))["train"]) == 5


def test_low_information_is_off_unless_asked(chat: Chat, build: Build) -> None:
    chat.say("Maya", "are you coming")
    chat.say("Sam", "ok")
    chat.say("Maya", "when", after=timedelta(minutes=20))
    chat.say("Sam", "around eight, after work")
    assert targets(build(redact=False)) == ["ok", "around eight, after work"]
    result = build(redact=False, low_information=True)
    assert targets(result) == ["around eight, after work"]
    assert removed(result, "targets", "low-information") == 1


def test_too_long_target_is_dropped(chat: Chat, build: Build) -> None:
    chat.say("Maya", "tell me everything")
    chat.say("Sam", "word " * 200)
    chat.say("Maya", "and briefly?", after=timedelta(minutes=20))
    chat.say("Sam", "all good")
    result = build(redact=False, max_tokens=64)
    assert targets(result) == ["all good"]
    assert removed(result, "targets", "too-long") == 1
    assert len(build(redact=False, max_tokens=64, disabled=("too-long",))["train"]) == 2
