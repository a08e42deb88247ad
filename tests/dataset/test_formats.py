"""Every format loads with Hugging Face `datasets`; chatml follows a model folder's template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dataset.conftest import Build
from tests.tiny import build_tokenizer_folder
from twin.dataset.formats import formats
from twin.dataset.store import export_dataset
from twin.vault.vault import Vault

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
)


@pytest.mark.parametrize("name", tuple(formats()))
def test_each_format_loads_with_datasets(imported: Vault, build: Build, name: str) -> None:
    from datasets import load_dataset

    result = build(format=name, val_fraction=0.2)
    folder = imported.home.path.parent / "plain"
    export_dataset(imported, "default", folder)
    loaded = load_dataset(
        "json",
        data_files={"train": str(folder / "train.jsonl"), "val": str(folder / "val.jsonl")},
        cache_dir=str(folder.parent / ".hf-cache"),
    )
    assert loaded["train"].num_rows == len(result["train"]) > 0
    assert loaded["val"].num_rows == len(result["val"]) > 0


def test_openai_lines_have_exactly_the_documented_shape(imported: Vault, build: Build) -> None:
    for example in build(format="openai")["train"]:
        assert list(example) == ["messages"]
        for message in example["messages"]:
            assert list(message) == ["role", "content"]
            assert message["role"] in ("system", "user", "assistant")


def test_chatml_uses_the_model_template_and_tokenizer(
    imported: Vault, build: Build, tmp_path: Path
) -> None:
    texts = [row[0] for row in imported.db.execute("SELECT text FROM messages")]
    template = CHATML.replace("<|im_start|>", "[[").replace("<|im_end|>", "]]")
    model = build_tokenizer_folder(tmp_path / "tiny-model", texts, template)
    result = build(format="chatml", model=model)
    first = result["train"][0]["text"]
    assert first.startswith("[[system\nYou are Sam")
    assert "tokenizer of tiny-model" in result["stats"]["token_method"]
    plain = build(format="chatml")
    assert plain["train"][0]["text"].startswith("<|im_start|>system\nYou are Sam")
    assert "estimated" in plain["stats"]["token_method"]


def test_alpaca_and_text_end_with_the_users_reply(imported: Vault, build: Build) -> None:
    openai = build(format="openai", redact=False)["train"]
    alpaca = build(format="alpaca", redact=False)["train"]
    text = build(format="text", redact=False)["train"]
    for chat, instruction, plain in zip(openai, alpaca, text, strict=True):
        reply = chat["messages"][-1]["content"]
        assert instruction["output"] == reply
        assert instruction["instruction"].endswith("Reply as Sam.")
        assert plain["text"].endswith(f"Sam: {reply}")
    assert json.dumps(openai[0])
