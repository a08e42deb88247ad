"""Everyday talk gets a reply: no abstention offered or let through, no repeat of a turn."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from click.testing import Result

from twin.chat.engine import GenerationSettings
from twin.chat.guards import Guards, reads_as_fragment
from twin.chat.twin import Twin
from twin.memory.embeddings import Embedder
from twin.persona.persona import Persona
from twin.persona.prompt import ABSTAIN
from twin.records import ChatTurn
from twin.vault import Vault


class TakesModel:
    """Says its takes in turn, one a call (the last again once they run out), as sampling again
    gives another reply; records each prompt. Every other part of the reply is real."""

    name = "takes"

    def __init__(self, *takes: str) -> None:
        self.takes = list(takes)
        self.prompts: list[Sequence[ChatTurn]] = []

    def stream(self, messages: Sequence[ChatTurn], settings: GenerationSettings) -> Iterator[str]:
        self.prompts.append(messages)
        words = self.takes[min(len(self.prompts), len(self.takes)) - 1]
        for start in range(0, len(words), 4):
            yield words[start : start + 4]


def reply(vault: Vault, embedder: Embedder, model: TakesModel, *turns: str) -> str:
    roles = ["user", "assistant"] * len(turns)
    conversation = [{"role": r, "content": t} for r, t in zip(roles, turns, strict=False)]
    return Twin(vault, model, embedder).ask(conversation).text


def test_the_models_own_abstention_to_talk_is_sampled_again(
    memory_vault: Vault, embedder: Embedder
) -> None:
    model = TakesModel("yes, I don't remember the plan", "nothing much, maybe a movie?")
    assert reply(memory_vault, embedder, model, "any plans for tonight?") == (
        "nothing much, maybe a movie?"
    )


def test_a_question_to_the_twin_that_no_note_answers_is_talk(
    memory_vault: Vault, embedder: Embedder
) -> None:
    model = TakesModel("I don't remember.", "saturday works!")
    assert reply(memory_vault, embedder, model, "when are you free this week?") == (
        "saturday works!"
    )


def test_talk_keeps_its_other_sentences_when_one_abstains(
    memory_vault: Vault, embedder: Embedder
) -> None:
    model = TakesModel("haha. I'm not sure. let's get pizza!")
    assert reply(memory_vault, embedder, model, "dinner?") == "haha. let's get pizza!"


def test_a_reply_already_given_in_the_conversation_is_sampled_again(
    memory_vault: Vault, embedder: Embedder
) -> None:
    model = TakesModel("sounds good!", "see you at 8 then")
    text = reply(memory_vault, embedder, model, "pizza later?", "sounds good!", "8 ok?")
    assert text == "see you at 8 then"


def test_a_near_repeat_of_an_earlier_turn_is_sampled_again(
    memory_vault: Vault, embedder: Embedder
) -> None:
    earlier = "she did a part of it, the part on my desk"
    model = TakesModel("she did a part of it, the part on her desk", "long day, pizza?")
    assert reply(memory_vault, embedder, model, "how was work?", earlier, "ugh") == (
        "long day, pizza?"
    )


def test_a_time_the_other_person_named_may_be_said_back(
    memory_vault: Vault, embedder: Embedder
) -> None:
    model = TakesModel("see you at 8 then")
    assert reply(memory_vault, embedder, model, "cool, 8 o'clock ok?") == "see you at 8 then"


def test_their_sister_is_not_the_persons_sister(memory_vault: Vault, embedder: Embedder) -> None:
    model = TakesModel("my sister Ana is visiting too.", "fun!")
    assert reply(memory_vault, embedder, model, "my sister Ana is visiting") == "fun!"


def test_talk_that_only_ever_abstains_ends_as_one_whole_abstention(
    memory_vault: Vault, embedder: Embedder
) -> None:
    model = TakesModel("I don't remember.")
    assert reply(memory_vault, embedder, model, "how are you?") == ABSTAIN
    assert len(model.prompts) == 3  # the first take and two fresh samples


def test_only_the_talk_guards_hold_back_an_abstention(embedder: Embedder) -> None:
    persona = Persona("Sam", "", [])
    talk = Guards(embedder, [], persona, [], talk=True)
    question = Guards(embedder, [], persona, [])
    assert talk.check("I'm not sure.")[1][0].guard == "talk"
    assert question.check("I'm not sure.")[0]


TEN_TURNS = [
    "hey you",
    "how was work?",
    "ugh I had the longest day",
    "my boss made me redo the whole report",
    "anyway, what are you doing tonight?",
    "want to get pizza instead?",
    "haha fair. which place?",
    "cool, 8 o'clock ok?",
    "did you see the rain today?",
    "ok see you later!",
]


def test_a_ten_turn_chat_through_twin_chat_never_shows_a_fragment(
    twin: Callable[..., Result], vault_home: object, tiny_model: Path
) -> None:
    typed = "\n".join([*TEN_TURNS, "/quit"]) + "\n"
    result = twin("chat", "--model", str(tiny_model), "--max-tokens", "12", input=typed)
    lines = result.output.splitlines()
    replies = [line.split("twin> ", 1)[1] for line in lines if "twin> " in line]
    assert len(replies) == len(TEN_TURNS)
    assert not [reply for reply in replies if reads_as_fragment(reply)]
