"""Everyday openers: real replies, and details of the person's life nothing supports."""

from __future__ import annotations

from twin.evaluate.everyday import details, is_real_reply, openers, shares, unsupported

KNOWN = {"pastel", "orchestra", "cello", "maya", "sister", "13", "december", "work"}


def test_everyday_talk_states_no_detail() -> None:
    for talk in ["haha yes!! let's do it", "so tired today ugh", "want to come over?", "💛"]:
        assert details(talk) == set(), talk


def test_invented_relatives_places_names_and_numbers_are_unsupported() -> None:
    assert unsupported("my brother is coming over", KNOWN) == {"brother"}
    assert unsupported("I'm at the beach right now", KNOWN) == {"beach"}
    assert unsupported("Going with Tomás to see Dune.", KNOWN) == {"tomás", "dune"}
    assert unsupported("I ran 21 km today", KNOWN) == {"21"}
    assert unsupported("my sister Maya says hi", KNOWN) == set()
    assert unsupported("playing cello with the orchestra on 13 December", KNOWN) == set()
    assert unsupported("are you at the beach?", KNOWN) == set()  # a question states nothing


def test_shares_count_real_replies_and_invented_facts() -> None:
    replies = ["yes! dinner at 8", "I don't remember.", "I'm at the gym", "and the"]
    real, invented = shares(replies, KNOWN | {"8"})
    assert real == 0.5  # the abstention and the fragment are not real replies
    assert invented == 0.25  # the gym
    assert not is_real_reply("") and is_real_reply("haha sure")
    assert shares([], KNOWN) == (None, None)


def test_openers_are_a_fixed_spread_of_the_shipped_ones() -> None:
    assert openers(10) == openers(10) and len(set(openers(10))) == 10
    assert set(openers(5)) <= set(openers(1000))
