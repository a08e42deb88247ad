"""Every target is the user's own turn; others speak as `user`; openers and groups as documented."""

from __future__ import annotations

from datetime import timedelta

from tests.dataset.conftest import Build, Chat
from twin.dataset.prompt import opener, system_prompt
from twin.vault.vault import Vault


def test_targets_are_only_the_users_turns(imported: Vault, build: Build) -> None:
    mine = {
        text
        for (text,) in imported.db.execute(
            "SELECT text FROM messages JOIN people ON people.id = sender_id WHERE is_me = 1"
        )
    }
    result = build(redact=False, val_fraction=0.2)
    examples = result["train"] + result["val"]
    assert examples
    for example in examples:
        messages = example["messages"]
        assert messages[0]["role"] == "system"
        assert messages[-1]["role"] == "assistant"
        for message in messages[1:]:
            if message["role"] == "assistant":
                # Every assistant turn is made only of the user's own messages.
                assert all(part in mine for part in message["content"].split("\n"))
            else:
                assert message["role"] == "user"


def test_other_peoples_words_are_never_assistant(chat: Chat, build: Build) -> None:
    chat.say("Maya", "I am Maya and these are my words")
    chat.say("Sam", "mine")
    chat.say("Maya", "more of Maya's words")
    for example in build(redact=False)["train"]:
        for message in example["messages"]:
            if "Maya" in message["content"] and message["role"] != "system":
                assert message["role"] == "user"


def test_session_the_user_starts_gets_the_opener(chat: Chat, build: Build) -> None:
    chat.say("Sam", "hey, free tonight?")
    chat.say("Maya", "yes")
    (example,) = build(redact=False)["train"]
    assert example["messages"] == [
        {"role": "system", "content": system_prompt("Sam", "Maya", "whatsapp")},
        {"role": "user", "content": opener("Maya")},
        {"role": "assistant", "content": "hey, free tonight?"},
    ]
    assert example["messages"][1]["content"] == "(new conversation with Maya)"


def test_group_context_names_each_speaker(chat: Chat, build: Build) -> None:
    chat.say("Inês", "who is cooking?", chat="Family", group=True)
    chat.say("Tom", "not me", chat="Family", group=True)
    chat.say("Sam", "I will", chat="Family", group=True)
    (example,) = build(redact=False)["train"]
    assert example["messages"] == [
        {
            "role": "system",
            "content": "You are Sam, chatting in the group Family with Inês and Tom on WhatsApp.",
        },
        {"role": "user", "content": "Inês: who is cooking?"},
        {"role": "user", "content": "Tom: not me"},
        {"role": "assistant", "content": "I will"},
    ]


def test_context_is_limited_to_n_turns_of_the_same_session(chat: Chat, build: Build) -> None:
    for number in range(5):
        chat.say("Maya", f"question {number}")
        chat.say("Sam", f"answer {number}")
    chat.say("Maya", "next day", after=timedelta(days=1))
    chat.say("Sam", "reply next day")
    examples = build(redact=False, context=2, disabled=("near-duplicate",))["train"]
    assert [m["content"] for m in examples[4]["messages"][1:]] == [
        "answer 3",
        "question 4",
        "answer 4",
    ]
    assert [m["content"] for m in examples[5]["messages"][1:]] == ["next day", "reply next day"]


def test_token_budget_drops_oldest_context(chat: Chat, build: Build) -> None:
    chat.say("Maya", "x" * 400)
    chat.say("Maya", "short question", after=timedelta(minutes=20))
    chat.say("Sam", "short answer")
    (example,) = build(redact=False, max_tokens=80)["train"]
    assert [m["content"] for m in example["messages"][1:]] == ["short question", "short answer"]


def test_system_prompt_shape_is_shared_with_chat() -> None:
    assert (
        system_prompt("Sam", "Maya", "whatsapp") == "You are Sam, chatting with Maya on WhatsApp."
    )
    assert system_prompt("Sam", "Crew", "telegram", ["Ana", "Bo", "Cy"]) == (
        "You are Sam, chatting in the group Crew with Ana, Bo and Cy on Telegram."
    )
