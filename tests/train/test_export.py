"""Exported twins load again and compute what the adapter on its base computes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from click.testing import Result
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from twin.home import Home
from twin.train.load import load_twin
from twin.train.runs import Run
from twin.train.training import TrainRequest, train

PROMPT = "<|im_start|>user\nhow was the hike ?<|im_end|>\n<|im_start|>assistant\nsounds"


@pytest.fixture
def trained(tmp_home: Home, tiny_model: Path, dataset: Path) -> Run:
    # A high learning rate, so the adapter moves the logits well away from the base model's.
    overrides = {"lr": 3e-2, "batch_size": 2, "threads": 1, "max_steps": 6, "warmup_steps": 0}
    return train(tmp_home, TrainRequest(base=str(tiny_model), overrides=overrides), progress=False)


def next_token_logits(model: torch.nn.Module, tokenizer: object) -> torch.Tensor:
    ids = tokenizer(PROMPT, return_tensors="pt", add_special_tokens=False).input_ids  # type: ignore[operator]
    with torch.no_grad():
        return model(ids).logits[0, -1].float()  # type: ignore[no-any-return]


def adapter_on_base(run: Run) -> tuple[torch.Tensor, object]:
    base = AutoModelForCausalLM.from_pretrained(run.base_dir, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(run.base_dir)
    reference = next_token_logits(PeftModel.from_pretrained(base, run.adapter_dir), tokenizer)
    plain = next_token_logits(
        AutoModelForCausalLM.from_pretrained(run.base_dir, dtype=torch.float32), tokenizer
    )
    assert (reference - plain).abs().max() > 0.5, "the adapter should change the logits"
    return reference, tokenizer


def test_merged_hf_export_computes_the_same(
    trained: Run, tmp_path: Path, twin: Callable[..., Result]
) -> None:
    reference, tokenizer = adapter_on_base(trained)
    twin("model", "export", "--run", trained.id, "--format", "hf", "--out", str(tmp_path / "hf"))
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "hf", dtype=torch.float32)
    logits = next_token_logits(merged, tokenizer)
    torch.testing.assert_close(logits, reference, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(("quantization", "tolerance"), [("f16", 0.01), ("q8_0", 0.1)])
def test_gguf_export_loads_back_and_computes_the_same(
    trained: Run, tmp_path: Path, twin: Callable[..., Result], quantization: str, tolerance: float
) -> None:
    reference, tokenizer = adapter_on_base(trained)
    out = tmp_path / "twin.gguf"
    twin("model", "export", "--format", "gguf", "--quantization", quantization, "--out", str(out))
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file=out.name, dtype=torch.float32)
    logits = next_token_logits(loaded, tokenizer)
    # Relative to the largest logit; a wrong q/k permutation is off by more than 100%.
    assert (logits - reference).abs().max() < tolerance * reference.abs().max()
    assert logits.topk(3).indices.tolist() == reference.topk(3).indices.tolist()
    gguf_tokenizer = AutoTokenizer.from_pretrained(tmp_path, gguf_file=out.name)
    assert gguf_tokenizer(PROMPT).input_ids == tokenizer(PROMPT).input_ids  # type: ignore[operator]
    assert gguf_tokenizer.chat_template == tokenizer.chat_template  # type: ignore[attr-defined]


def test_ollama_export_writes_a_modelfile_beside_the_gguf(
    trained: Run, tmp_path: Path, twin: Callable[..., Result]
) -> None:
    out = tmp_path / "ollama"
    twin("model", "export", "--format", "ollama", "--out", str(out))
    modelfile = (out / "Modelfile").read_text()
    assert (out / "twin.gguf").stat().st_size > 0
    assert "FROM ./twin.gguf" in modelfile
    assert "<|im_start|>{{ .Role }}" in modelfile and 'PARAMETER stop "<|im_end|>"' in modelfile


def test_peft_export_is_the_adapter_alone(
    trained: Run, tmp_path: Path, twin: Callable[..., Result]
) -> None:
    reference, tokenizer = adapter_on_base(trained)
    twin("model", "export", "--format", "peft", "--out", str(tmp_path / "adapter"))
    base = AutoModelForCausalLM.from_pretrained(trained.base_dir, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, tmp_path / "adapter")
    torch.testing.assert_close(next_token_logits(model, tokenizer), reference)


def test_load_twin_gives_the_latest_run_merged(trained: Run, tmp_home: Home) -> None:
    reference, tokenizer = adapter_on_base(trained)
    model, _, run = load_twin(tmp_home, device="cpu")
    assert run is not None and run.id == trained.id
    torch.testing.assert_close(next_token_logits(model, tokenizer), reference, atol=1e-4, rtol=1e-4)
