"""Turning dataset lines into training rows: loss on the user's turns only, packed whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny import build_tokenizer, write_dataset
from twin.errors import TwinError
from twin.home import Home
from twin.train import data

CHAT = [
    {"role": "system", "content": "You are Sam."},
    {"role": "user", "content": "did you finish the report ?"},
    {"role": "assistant", "content": "not yet , maybe tonight ."},
    {"role": "user", "content": "how was the hike ?"},
    {"role": "assistant", "content": "long but beautiful"},
]


def test_only_the_users_own_turns_carry_loss() -> None:
    tokenizer = build_tokenizer()
    example = data.tokenize(tokenizer, CHAT, seq_len=512)
    trained = [
        token
        for token, label in zip(example.input_ids, example.labels, strict=True)
        if label != -100
    ]
    text = tokenizer.decode(trained)  # type: ignore[attr-defined]
    assert text == "not yet , maybe tonight .<|im_end|>\nlong but beautiful<|im_end|>\n"
    assert all(
        label in (-100, token)
        for token, label in zip(example.input_ids, example.labels, strict=True)
    )


def test_a_conversation_too_long_even_alone_keeps_its_end() -> None:
    tokenizer = build_tokenizer()
    example = data.tokenize(tokenizer, CHAT, seq_len=12)
    assert len(example.input_ids) == 12
    assert tokenizer.decode(example.input_ids).endswith("long but beautiful<|im_end|>\n")  # type: ignore[attr-defined]


def test_packing_keeps_examples_whole_and_restarts_positions() -> None:
    tokenizer = build_tokenizer()
    examples = [data.tokenize(tokenizer, CHAT[: n + 1], 64) for n in (2, 4, 2)]
    rows = data.pack(examples, seq_len=64)
    assert sum(len(row.input_ids) for row in rows) == sum(len(e.input_ids) for e in examples)
    assert all(len(row.input_ids) <= 64 for row in rows)
    for row in rows:
        starts = [i for i, position in enumerate(row.position_ids) if position == 0]
        # No example learns to predict its first token from the end of the one before it.
        assert all(row.labels[i] == -100 for i in starts)


def test_padding_in_a_batch_carries_no_loss() -> None:
    rows = [data.Row([5, 6, 7], [-100, 6, 7], [0, 1, 2]), data.Row([5], [-100], [0])]
    batch = data.collate(rows, pad_id=0)
    assert batch["labels"].tolist() == [[-100, 6, 7], [-100, -100, -100]]


def test_dataset_hash_follows_the_bytes(tmp_home: Home) -> None:
    folder = write_dataset(tmp_home.datasets / "a")
    before = data.dataset_hash(folder)
    assert data.dataset_hash(folder) == before
    with (folder / "val.jsonl").open("a") as handle:
        handle.write("\n")
    assert data.dataset_hash(folder) != before


def test_newest_dataset_is_the_default(tmp_home: Home) -> None:
    import os

    old = write_dataset(tmp_home.datasets / "old")
    new = write_dataset(tmp_home.datasets / "new")
    os.utime(old / "train.jsonl", (1, 1))
    assert data.dataset_dir(tmp_home, None) == new
    assert data.dataset_dir(tmp_home, "old") == old


def test_missing_dataset_is_a_clear_error(tmp_home: Home) -> None:
    with pytest.raises(TwinError, match="no dataset"):
        data.dataset_dir(tmp_home, None)


def test_a_line_that_does_not_end_with_the_user_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    with pytest.raises(TwinError, match="assistant"):
        data.read_conversations(path)


def test_a_long_conversation_drops_its_oldest_turns_but_keeps_the_persona() -> None:
    tokenizer = build_tokenizer()
    whole = data.tokenize(tokenizer, CHAT, seq_len=512)
    short = data.tokenize(tokenizer, CHAT, seq_len=len(whole.input_ids) - 1)
    text = tokenizer.decode(short.input_ids)  # type: ignore[attr-defined]
    assert text.startswith("<|im_start|>system\nYou are Sam.<|im_end|>")
    assert "did you finish" not in text and text.endswith("long but beautiful<|im_end|>\n")
    assert short.key == whole.key
