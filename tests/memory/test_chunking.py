"""Passages keep the headings they sit under and stay short enough to embed well."""

from __future__ import annotations

from twin.memory.chunking import MAX_WORDS, chunk_markdown


def test_each_section_is_a_passage_under_its_heading_path() -> None:
    text = "# Trip\nintro words\n## Day 1\nrain\n### Evening\ncards\n## Day 2\nhike"
    chunks = chunk_markdown(text, title="Trip")
    assert [(c.heading, c.text) for c in chunks] == [
        ("Trip", "intro words"),
        ("Trip > Day 1", "rain"),
        ("Trip > Day 1 > Evening", "cards"),
        ("Trip > Day 2", "hike"),
    ]


def test_a_hash_line_inside_a_code_block_is_not_a_heading() -> None:
    chunks = chunk_markdown("# Notes\n```\n# comment\n```\nafter", title="Notes")
    assert len(chunks) == 1
    assert "# comment" in chunks[0].text


def test_long_sections_are_cut_between_sentences_and_nothing_is_lost() -> None:
    sentence = "This sentence has exactly eight words in it."
    text = " ".join([sentence] * 60)
    chunks = chunk_markdown(text)
    assert len(chunks) > 1
    assert all(len(c.text.split()) <= MAX_WORDS for c in chunks)
    assert all(c.text.endswith("in it.") for c in chunks)
    assert sum(len(c.text.split()) for c in chunks) == 480


def test_unchanged_passages_keep_their_identity() -> None:
    before = chunk_markdown("# A\none\n# B\ntwo")
    after = chunk_markdown("# A\none\n# B\ntwo, edited")
    assert before[0].sha256 == after[0].sha256
    assert before[1].sha256 != after[1].sha256
