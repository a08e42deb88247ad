"""The chat step exported for ONNX Runtime computes the model's logits, and stays sealed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.tiny import CHAT
from twin.chat.decode import decode, fast_forward, stop_tokens
from twin.chat.engine import GenerationSettings, TransformersEngine, load_folder
from twin.errors import TwinError
from twin.models import onnx_runner
from twin.models.loading import load_model
from twin.models.onnx_runner import OnnxForward, StepStore, export, fingerprint, load_step
from twin.models.runner import LlamaRunner
from twin.train.adapter_files import Adapter, merge
from twin.vault.sealed import Sealer

pytestmark = pytest.mark.skipif(not onnx_runner.available(), reason="onnxruntime/onnx missing")


@pytest.fixture(scope="module")
def twin_model(gqa_model: Path) -> Any:
    """The tiny Llama with a LoRA adapter of non-zero weights merged in: a twin."""
    from peft import LoraConfig, get_peft_model

    base, _ = load_model(gqa_model, "cpu")
    adapted = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj", "up_proj"]))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, parameter in adapted.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.5)
    model, _ = load_model(gqa_model, "cpu")
    return merge(model, Adapter.from_model(adapted))


def prompt_ids(folder: Path) -> Any:
    return load_folder(folder)._prompt(CHAT)["input_ids"]


def test_the_float32_export_gives_the_models_logits_step_after_step(gqa_model: Path) -> None:
    model, _ = load_model(gqa_model, "cpu")
    ids = prompt_ids(gqa_model)
    forward = OnnxForward(export(model, int8=False), model)
    forward.start(ids.shape[1] + 2)
    first = forward.step(ids)
    second = forward.step(torch.tensor([[7]]))
    with torch.inference_mode():
        expected_first = model(input_ids=ids).logits[:, -1, :]
        longer = torch.cat([ids, torch.tensor([[7]])], dim=1)
        expected_second = model(input_ids=longer).logits[:, -1, :]
    assert first.dtype == torch.float32
    assert torch.allclose(first, expected_first, atol=1e-4, rtol=1e-4)
    assert torch.allclose(second, expected_second, atol=1e-4, rtol=1e-4)


def test_the_8_bit_export_keeps_the_models_logits_close(gqa_model: Path) -> None:
    model, _ = load_model(gqa_model, "cpu")
    ids = prompt_ids(gqa_model)
    graph = export(model)
    assert b"MatMulNBits" in graph and b"MatMulNBits" not in export(model, int8=False)
    forward = OnnxForward(graph, model)
    forward.start(ids.shape[1] + 1)
    got = forward.step(ids)[0]
    with torch.inference_mode():
        expected = model(input_ids=ids).logits[0, -1, :]
    assert torch.nn.functional.cosine_similarity(got, expected, dim=0) > 0.99
    assert not torch.allclose(got, expected, atol=1e-6)  # 8 bits, not float32


def test_a_prompt_fed_in_two_parts_gives_what_it_gives_whole(gqa_model: Path) -> None:
    model, _ = load_model(gqa_model, "cpu")
    ids = prompt_ids(gqa_model)
    forward = OnnxForward(export(model, int8=False), model)
    forward.start(ids.shape[1])
    whole = forward.step(ids)
    forward.start(ids.shape[1])
    forward.step(ids[:, :5])
    parts = forward.step(ids[:, 5:])
    assert torch.allclose(whole, parts, atol=1e-4, rtol=1e-4)


def test_greedy_decoding_through_the_export_agrees_with_the_runner(gqa_model: Path) -> None:
    model, tokenizer = load_model(gqa_model, "cpu")
    ids = prompt_ids(gqa_model)
    stop = stop_tokens(model, tokenizer)
    exported = OnnxForward(export(model, int8=False), model)
    got = list(decode(exported, ids, max_new_tokens=30, temperature=0, stop=stop))
    lean = list(decode(LlamaRunner(model), ids, max_new_tokens=30, temperature=0, stop=stop))
    assert len(got) > 5
    assert got == lean


def _windows(data: bytes, count: int = 8, size: int = 64) -> list[bytes]:
    """Byte strings from across `data`, each long enough to be found nowhere by chance."""
    step = (len(data) - size) // (count + 1)
    return [data[step * (n + 1) : step * (n + 1) + size] for n in range(count)]


def _files_under(*roots: Path) -> list[Path]:
    found = []
    for root in roots:
        for folder, _, names in os.walk(root):
            found += [Path(folder) / name for name in names]
    return [path for path in found if path.is_file() and not path.is_symlink()]


def test_a_twins_export_is_stored_sealed_and_nothing_of_it_in_the_clear(
    twin_model: Any, tmp_path: Path
) -> None:
    temporary = Path(tempfile.gettempdir())
    before = set(temporary.iterdir())
    sealer = Sealer(b"k" * 32)
    run_folder = tmp_path / "runs" / "run-1"
    run_folder.mkdir(parents=True)
    store = StepStore(run_folder, "abc", sealer, "runs/run-1/chat-step")
    graph = load_step(twin_model, store)
    assert store.path.name.endswith(".onnx.sealed")
    assert [path.name for path in run_folder.iterdir()] == [store.path.name]
    assert store.read() == graph
    with pytest.raises(TwinError):
        sealer.open_bytes(store.path, "runs/another/chat-step")
    pieces = _windows(graph)
    new_in_temporary = [temporary / path for path in set(temporary.iterdir()) - before]
    for path in _files_under(tmp_path, *new_in_temporary):
        data = path.read_bytes()
        assert not any(piece in data for piece in pieces), f"{path} holds the export in the clear"
    with store.opened() as opened:
        assert OnnxForward(opened, twin_model).session is not None
    assert [path.name for path in run_folder.iterdir()] == [store.path.name]  # nothing left


def test_a_stored_export_of_other_weights_is_built_again(gqa_model: Path, tmp_path: Path) -> None:
    model, _ = load_model(gqa_model, "cpu")
    old = StepStore(tmp_path, "old")
    old.write(b"an export of weights long gone")
    new = StepStore(tmp_path, fingerprint(*gqa_model.glob("*.safetensors")))
    graph = load_step(model, new)
    assert not old.path.exists()
    assert new.read() == graph
    assert load_step(model, new) == graph  # the second time it is read, not built


def test_the_engine_speaks_through_onnx_runtime_where_it_has_a_store(
    gqa_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWIN_DECODE", "")
    engine = load_folder(gqa_model)
    assert isinstance(engine, TransformersEngine)
    engine.step_store = StepStore(tmp_path, "tiny")
    settings = GenerationSettings(max_new_tokens=16, temperature=0)
    text = "".join(engine.stream(CHAT, settings))
    assert isinstance(engine.forward_pass(), OnnxForward)
    assert text.strip()


@pytest.mark.parametrize("mode", ["lean", "bfloat16"])
def test_the_lean_knob_keeps_the_pytorch_runner(
    gqa_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("TWIN_DECODE", mode)
    model, _ = load_model(gqa_model, "cpu")
    assert isinstance(fast_forward(model, StepStore(tmp_path, "tiny")), LlamaRunner)
    assert not list(tmp_path.iterdir())


def test_without_a_store_the_pytorch_runner_speaks(
    gqa_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWIN_DECODE", "")
    model, _ = load_model(gqa_model, "cpu")
    assert isinstance(fast_forward(model, None), LlamaRunner)
