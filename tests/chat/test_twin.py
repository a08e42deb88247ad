"""A reply: recall into the prompt, guarded sentence by sentence, abstaining when unsupported."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from click.testing import Result

from twin.chat.engine import GenerationSettings, load_folder
from twin.chat.guards import ABSTAIN
from twin.chat.twin import Twin
from twin.memory.embeddings import Embedder
from twin.records import ChatTurn
from twin.vault import Vault


class ScriptedModel:
    """Stands in for the language model where a test needs to know its exact words; it also
    records the prompt it was given. Every other part of the reply is real."""

    name = "scripted"

    def __init__(self, words: str) -> None:
        self.words = words
        self.prompts: list[Sequence[ChatTurn]] = []

    def stream(self, messages: Sequence[ChatTurn], settings: GenerationSettings) -> Iterator[str]:
        self.prompts.append(messages)
        for start in range(0, len(self.words), 5):  # arbitrary pieces, as tokens come
            yield self.words[start : start + 5]


def ask(vault: Vault, embedder: Embedder, words: str, question: str) -> tuple[Twin, str]:
    twin = Twin(vault, ScriptedModel(words), embedder)
    return twin, twin.ask([{"role": "user", "content": question}]).text


def test_recalled_passages_reach_the_prompt_and_the_reply_lists_them(
    memory_vault: Vault, embedder: Embedder
) -> None:
    model = ScriptedModel("Her name is Pixel!")
    reply = Twin(memory_vault, model, embedder).ask(
        [{"role": "user", "content": "What's my cat called?"}]
    )
    assert "Pixel" in model.prompts[0][0]["content"]
    assert reply.passages and "Pixel" in reply.passages[0].text
    assert reply.describe()["passages"][0]["source"] == "journal"


def test_supported_claim_is_kept_and_invented_one_removed(
    memory_vault: Vault, embedder: Embedder
) -> None:
    _, text = ask(
        memory_vault,
        embedder,
        "I adopted a grey cat called Pixel. I also have a brother named Tom.",
        "Tell me about my cat",
    )
    assert text == "I adopted a grey cat called Pixel."


def test_reply_abstains_when_nothing_supports_it(memory_vault: Vault, embedder: Embedder) -> None:
    _, text = ask(
        memory_vault,
        embedder,
        "My favourite food is sushi, I eat it every Friday.",
        "What's my favourite food?",
    )
    assert text == "I don't remember."


def test_private_entry_grounds_but_is_never_quoted(memory_vault: Vault, embedder: Embedder) -> None:
    leaky = ScriptedModel(
        "Sure. It's the name of the street where grandma lived followed by the year we moved."
    )
    reply = Twin(memory_vault, leaky, embedder).ask(
        [{"role": "user", "content": "What is the password hint for the old laptop?"}]
    )
    assert any(p.private for p in reply.passages)
    shown = reply.describe()["passages"]
    assert all(d["passage"] == "(private entry)" for d in shown if d["private"])
    assert "grandma" not in reply.text
    assert [v.guard for v in reply.verdicts if not v.kept] == ["leak"]


def test_streamed_pieces_are_whole_guarded_sentences(
    memory_vault: Vault, embedder: Embedder
) -> None:
    twin = Twin(
        memory_vault,
        ScriptedModel("Hi! I named my cat Pixel. I own a boat called Wave. Bye."),
        embedder,
    )
    reply, pieces = twin.respond([{"role": "user", "content": "my cat?"}])
    streamed = list(pieces)
    assert streamed == ["Hi!", " I named my cat Pixel.", " Bye."]
    assert "".join(streamed) == reply.text
    assert reply.finished


def test_the_tiny_model_answers_through_transformers(
    memory_vault: Vault, embedder: Embedder, tiny_model: Path
) -> None:
    twin = Twin(memory_vault, load_folder(tiny_model), embedder)
    greedy = GenerationSettings(max_new_tokens=12, temperature=0)
    reply = twin.ask([{"role": "user", "content": "hello"}], greedy)
    again = twin.ask([{"role": "user", "content": "hello"}], greedy)

    assert reply.raw.strip()
    assert (again.raw, again.text) == (reply.raw, reply.text)
    kept = [verdict.sentence for verdict in reply.verdicts if verdict.kept]
    assert all(sentence.strip() in reply.raw for sentence in kept)
    assert reply.text == ABSTAIN or all(sentence.strip() in reply.text for sentence in kept)


def test_ask_prints_reply_passages_and_guards_as_json(
    twin: Callable[..., Result], vault_home: object, tiny_model: Path
) -> None:
    twin("journal", "add", "Adopted a grey cat from the shelter and named her Pixel.")
    result = twin(
        "ask", "What is my cat called?", "--model", str(tiny_model), "--json", "--max-tokens", "8"
    )
    answer = json.loads(result.stdout)
    assert set(answer) == {"reply", "model", "passages", "guards"}
    assert answer["passages"][0]["passage"].startswith("Adopted a grey cat")
    assert answer["model"] == tiny_model.name


def test_persona_edit_and_show(twin: Callable[..., Result], vault_home: object) -> None:
    twin("persona", "edit", "--name", "Sam", "--bio", "Nurse.", "--fact", "I have a beagle.")
    twin("persona", "edit", "--fact", "I play cello.")
    shown = json.loads(twin("persona", "show", "--json").stdout)
    assert shown == {"name": "Sam", "bio": "Nurse.", "facts": ["I have a beagle.", "I play cello."]}
    twin("persona", "edit", input="name: Sam R\nbio: Nurse in Lisbon.\nfacts:\n- I run.\n")
    shown = json.loads(twin("persona", "show", "--json").stdout)
    assert shown == {"name": "Sam R", "bio": "Nurse in Lisbon.", "facts": ["I run."]}


def test_a_fact_question_whose_every_fact_was_held_back_abstains_whole(
    memory_vault: Vault, embedder: Embedder
) -> None:
    _, text = ask(
        memory_vault, embedder, "oh that sounds fun\nI have a brother named Tom.", "Any brothers?"
    )
    assert text == "I don't remember."


def test_everyday_talk_keeps_what_stands_and_never_a_fragment(
    memory_vault: Vault, embedder: Embedder
) -> None:
    _, text = ask(
        memory_vault,
        embedder,
        "I'm. I'm off to a conference with my boss. Probably just relaxing at home, you?",
        "what are you up to this weekend?",
    )
    assert text == "Probably just relaxing at home, you?"


def test_moods_opinions_and_plans_pass_the_guards(memory_vault: Vault, embedder: Embedder) -> None:
    words = "I'm tired but happy! Honestly pineapple on pizza is great. Let's grab dinner later."
    _, text = ask(memory_vault, embedder, words, "how are you?")
    assert text == words


def test_a_reply_the_token_limit_cut_off_ends_at_its_last_clause(
    memory_vault: Vault, embedder: Embedder
) -> None:
    words = "no, just walking home, the road is wet, and the only thing i"
    _, text = ask(memory_vault, embedder, words, "how are you?")
    assert text == "no, just walking home, the road is wet."


def test_a_reply_that_ends_without_a_full_stop_is_left_as_written(
    memory_vault: Vault, embedder: Embedder
) -> None:
    _, text = ask(memory_vault, embedder, "yes, a good idea", "dinner?")
    assert text == "yes, a good idea"
