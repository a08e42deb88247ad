"""A dataset built again with the options it was first built with takes in what was added."""

from __future__ import annotations

from datetime import date

from tests.dataset.conftest import Build, Chat, sealed_lines
from twin.dataset.options import BuildOptions
from twin.dataset.rebuild import rebuild_dataset
from twin.dataset.store import load_stats
from twin.vault import Vault


def test_options_read_back_from_their_description() -> None:
    options = BuildOptions(
        name="mine",
        gap=5400,
        since=date(2024, 1, 2),
        sources=("whatsapp",),
        disabled=("media",),
        memory=True,
    )
    assert BuildOptions.from_description(options.describe()) == options


def test_rebuild_takes_in_a_message_added_since_with_the_same_options(
    vault: Vault, chat: Chat, build: Build
) -> None:
    chat.person("Sam", me=True)
    chat.say("Maya", "dinner on friday?")
    chat.say("Sam", "yes!! the usual place ahah")
    build(name="mine", context=3, val_fraction=0.0)
    assert not rebuild_dataset(vault, "mine")  # nothing new: the same examples
    chat.say("Maya", "and the concert?")
    chat.say("Sam", "wouldn't miss it for anything")
    assert rebuild_dataset(vault, "mine")
    lines = str(sealed_lines(vault, "mine", "train.jsonl"))
    assert "wouldn't miss it" in lines
    assert load_stats(vault, "mine")["options"]["context"] == 3


def test_a_dataset_twin_did_not_build_is_left_alone(vault: Vault) -> None:
    assert not rebuild_dataset(vault, "handmade")
