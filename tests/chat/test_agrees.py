"""A supported reply to a fact question stands only if it says what the answering line says."""

from __future__ import annotations

from twin.chat.answers import agrees, key_items

SECRET = "What did I note about C (secret) (Half marathon plan)?"


def test_a_reply_naming_another_figure_of_the_note_does_not_agree() -> None:
    assert key_items("C (secret): 1:55.", SECRET) == {"1:55"}
    assert not agrees("a: finish smiling, b: under 2:00", "C (secret): 1:55.", SECRET)
    assert agrees("the secret one is 1:55", "C (secret): 1:55.", SECRET)


def test_the_same_date_in_other_words_agrees() -> None:
    line = "13 December, parish hall in Alvalade."
    assert agrees("it's on the 13th of dec!", line, "when is the winter concert?")
    assert not agrees("on the 20th", line, "when is the winter concert?")


def test_a_who_answer_agrees_by_the_name_and_a_line_without_specifics_always() -> None:
    line = "Maya, my sister, 2 years older."
    assert agrees("my sister is Maya", line, "who is my sister?")
    assert agrees("anything at all", "sourdough, slow and sour.", "what is my bread like?")


def test_a_who_answer_needs_the_whole_name() -> None:
    question = 'Who in my notes on Running Club is described as "started it"?'
    assert not agrees("Small group Inês started in August.", "Inês Costa: started it.", question)
    assert agrees("that's Inês Costa!", "Inês Costa: started it.", question)
