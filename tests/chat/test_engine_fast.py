"""The fast path says what `model.generate` says: the same tokens, the same text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tests.tiny import CHAT
from twin.chat.decode import CachedForward, decode, stop_tokens
from twin.chat.engine import GenerationSettings, TransformersEngine, load_folder
from twin.models.loading import load_model
from twin.models.runner import LlamaRunner, native_bfloat16, supports
from twin.records import ChatTurn
from twin.train.adapter_files import Adapter, merge


def generate_tokens(model: Any, ids: Any, count: int, **options: Any) -> list[int]:
    """What `model.generate` appends to `ids`, the stop token left out."""
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=count,
            pad_token_id=0,
            **options,
        )
    tokens = [int(token) for token in out[0, ids.shape[1] :]]
    ends = stop_tokens(model, None)
    return tokens[: next((i for i, t in enumerate(tokens) if t in ends), len(tokens))]


def prompt_ids(model_folder: Path) -> Any:
    engine = load_folder(model_folder)
    return engine._prompt(CHAT)["input_ids"]


def test_the_runner_gives_the_logits_of_the_model(gqa_model: Path) -> None:
    model, _ = load_model(gqa_model, "cpu")
    ids = prompt_ids(gqa_model)
    with torch.inference_mode():
        expected = model(input_ids=ids).logits[:, -1, :]
        runner = LlamaRunner(model)
        runner.start(ids.shape[1] + 1)
        got = runner.step(ids)
    assert torch.allclose(got, expected, atol=1e-4, rtol=1e-4)
    assert not torch.equal(got, torch.zeros_like(got))


@pytest.mark.parametrize("lean", [True, False], ids=["runner", "model-forward"])
def test_greedy_tokens_equal_generate(gqa_model: Path, lean: bool) -> None:
    model, tokenizer = load_model(gqa_model, "cpu")
    ids = prompt_ids(gqa_model)
    expected = generate_tokens(model, ids, 40, do_sample=False)
    forward = LlamaRunner(model) if lean else CachedForward(model)
    got = list(
        decode(forward, ids, max_new_tokens=40, temperature=0, stop=stop_tokens(model, tokenizer))
    )
    assert len(expected) > 5
    assert got == expected


def test_repetition_penalty_as_generate_applies_it(gqa_model: Path) -> None:
    model, tokenizer = load_model(gqa_model, "cpu")
    ids = prompt_ids(gqa_model)
    expected = generate_tokens(model, ids, 30, do_sample=False, repetition_penalty=1.5)
    got = list(
        decode(
            LlamaRunner(model),
            ids,
            max_new_tokens=30,
            temperature=0,
            repetition_penalty=1.5,
            stop=stop_tokens(model, tokenizer),
        )
    )
    assert got == expected
    assert got != generate_tokens(model, ids, 30, do_sample=False)


def test_a_seeded_sample_draws_what_generate_draws(gqa_model: Path) -> None:
    model, tokenizer = load_model(gqa_model, "cpu")
    ids = prompt_ids(gqa_model)
    torch.manual_seed(7)
    expected = generate_tokens(model, ids, 30, do_sample=True, temperature=0.7, top_p=0.9)
    torch.manual_seed(7)
    got = list(
        decode(
            LlamaRunner(model),
            ids,
            max_new_tokens=30,
            temperature=0.7,
            top_p=0.9,
            stop=stop_tokens(model, tokenizer),
        )
    )
    assert got == expected


def test_a_merged_twin_takes_the_fast_path_and_says_the_same(gqa_model: Path) -> None:
    from peft import LoraConfig, get_peft_model

    base, _ = load_model(gqa_model, "cpu")
    adapted = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj", "up_proj"]))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, parameter in adapted.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.5)  # a trained adapter is not zero
    adapter = Adapter.from_model(adapted)
    model, tokenizer = load_model(gqa_model, "cpu")
    twin = merge(model, adapter)
    assert supports(twin)
    ids = prompt_ids(gqa_model)
    expected = generate_tokens(twin, ids, 30, do_sample=False)
    assert expected != generate_tokens(load_model(gqa_model, "cpu")[0], ids, 30, do_sample=False)
    stop = stop_tokens(twin, tokenizer)
    got = list(decode(LlamaRunner(twin), ids, max_new_tokens=30, temperature=0, stop=stop))
    assert got == expected


@pytest.mark.parametrize(
    "settings",
    [
        GenerationSettings(max_new_tokens=24, temperature=0),
        GenerationSettings(max_new_tokens=24, temperature=0.8, seed=3),
        GenerationSettings(max_new_tokens=24, temperature=0, context_weight=0.5),
    ],
    ids=["greedy", "seeded-sample", "context-aware"],
)
def test_the_engine_streams_the_text_of_the_plain_path(
    tiny_model: Path, settings: GenerationSettings
) -> None:
    engine = load_folder(tiny_model)
    assert isinstance(engine, TransformersEngine) and engine.fast
    plain_chat: list[ChatTurn] = [CHAT[0] | {"content": "hello"}, CHAT[1]]
    fast = list(engine.stream(CHAT, settings, plain=plain_chat))
    assert isinstance(engine.forward_pass(), LlamaRunner)
    slow = TransformersEngine(engine.model, engine.tokenizer, "plain", fast=False)
    plain = list(slow.stream(CHAT, settings, plain=plain_chat))
    assert "".join(fast).strip()
    assert "".join(fast) == "".join(plain)


def test_a_model_the_runner_does_not_compute_keeps_its_own_forward(tmp_path: Path) -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        attention_bias=True,  # biases: not a plain Llama
    )
    model = LlamaForCausalLM(config)
    model.eval()  # type: ignore[no-untyped-call]
    assert not supports(model)
    ids = torch.tensor([[1, 5, 9, 3]])
    expected = generate_tokens(model, ids, 12, do_sample=False)
    stop = stop_tokens(model, None)
    got = list(decode(CachedForward(model), ids, max_new_tokens=12, temperature=0, stop=stop))
    assert got == expected


@pytest.mark.skipif(not native_bfloat16(), reason="this CPU has no native bfloat16")
def test_bfloat16_when_asked_says_what_generate_says_in_bfloat16(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWIN_DECODE", "bfloat16")
    engine = load_folder(tiny_model)
    assert isinstance(engine, TransformersEngine) and engine.fast
    assert engine.model.dtype == torch.bfloat16
    settings = GenerationSettings(max_new_tokens=24, temperature=0)
    fast = "".join(engine.stream(CHAT, settings))
    slow = TransformersEngine(engine.model, engine.tokenizer, "plain", fast=False)
    assert fast.strip() and fast == "".join(slow.stream(CHAT, settings))


@pytest.mark.parametrize("mode", ["", "generate"])
def test_float32_stays_by_default_and_on_the_plain_path(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("TWIN_DECODE", mode)
    engine = load_folder(tiny_model)
    assert engine.model.dtype == torch.float32
    assert engine.fast == (mode == "")
