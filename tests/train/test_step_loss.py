"""The loss of twin's optimised training step equals a plain computation of the same loss.

twin packs examples into rows, projects onto the vocabulary only where a label is, and on a CPU
with native bfloat16 runs the frozen base in bfloat16 with the adapter kept in float32. The
reference here is the plain way: each example alone, the model's full logits, cross-entropy
in float32.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from tests.tiny import conversations
from twin.train import data
from twin.train.loop import batch_loss
from twin.train.presets import TrainConfig, fast_bfloat16, preset
from twin.train.training import _load_base, _with_adapter

CONFIG = TrainConfig(rank=4, alpha=8, dropout=0.0, threads=1, seq_len=128)


def setup(model_dir: Path, dtype: str) -> tuple[Any, list[data.TokenizedExample]]:
    """The tiny model with a trained-looking adapter (B not zero), and tokenized examples."""
    from transformers import AutoTokenizer

    torch.manual_seed(0)
    config = CONFIG.override(dtype=dtype, target_modules=("q_proj", "v_proj"))
    model = _with_adapter(_load_base(model_dir, config), config, None)
    with torch.no_grad():  # a fresh adapter adds nothing; make it matter
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.5)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    chats = [chat["messages"] for chat in conversations(6, seed=3)]
    return model, data.tokenize_all(tokenizer, chats, CONFIG.seq_len)


def reference_loss(model: Any, examples: list[data.TokenizedExample]) -> tuple[torch.Tensor, int]:
    """Summed float32 cross-entropy, each example run alone through the whole model."""
    total, count = torch.zeros(()), 0
    for example in examples:
        ids = torch.tensor([example.input_ids])
        logits = model(input_ids=ids).logits[0, :-1].float()
        targets = torch.tensor(example.labels[1:])
        total = total + F.cross_entropy(logits, targets, ignore_index=data.IGNORE, reduction="sum")
        count += int((targets != data.IGNORE).sum())
    return total, count


def packed_loss(model: Any, examples: list[data.TokenizedExample]) -> tuple[torch.Tensor, int]:
    """twin's step: examples packed into rows, batched, the loss on labelled positions only."""
    rows = data.pack(examples, CONFIG.seq_len)
    assert len(rows) < len(examples)  # several examples really share a row
    loss, count = batch_loss(model, data.collate(rows, pad_id=0))
    return loss, count


def lora_grads(model: Any) -> torch.Tensor:
    grads = [p.grad.flatten() for n, p in model.named_parameters() if "lora_" in n]
    model.zero_grad(set_to_none=True)
    return torch.cat(grads)


def test_packed_loss_equals_each_example_alone_in_float32(tiny_model: Path) -> None:
    model, examples = setup(tiny_model, "float32")
    model.train()
    expected, expected_count = reference_loss(model, examples)
    expected.backward()  # type: ignore[no-untyped-call]
    expected_grads = lora_grads(model)
    got, count = packed_loss(model, examples)
    got.backward()  # type: ignore[no-untyped-call]
    assert count == expected_count > 0
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(lora_grads(model), expected_grads, rtol=1e-3, atol=1e-4)


def test_packing_without_restarted_positions_would_leak_and_the_check_sees_it(
    tiny_model: Path,
) -> None:
    """The comparison above is sharp enough: letting packed examples see each other shows."""
    model, examples = setup(tiny_model, "float32")
    rows = data.pack(examples, CONFIG.seq_len)
    leaky = [data.Row(r.input_ids, r.labels, list(range(len(r.input_ids)))) for r in rows]
    with torch.no_grad():
        expected, _ = reference_loss(model, examples)
        got, _ = batch_loss(model, data.collate(leaky, pad_id=0))
    assert abs(float(got) - float(expected)) > 1e-3 * float(expected)


def test_bfloat16_step_keeps_float32_adapter_and_the_same_loss(tiny_model: Path) -> None:
    model, examples = setup(tiny_model, "bfloat16")
    base_dtypes = {p.dtype for n, p in model.named_parameters() if "lora_" not in n}
    adapter_dtypes = {p.dtype for n, p in model.named_parameters() if "lora_" in n}
    assert base_dtypes == {torch.bfloat16} and adapter_dtypes == {torch.float32}
    model.train()
    got, count = packed_loss(model, examples)
    got.backward()  # type: ignore[no-untyped-call]
    grads = lora_grads(model)
    assert grads.dtype == torch.float32

    reference, _ = setup(tiny_model, "float32")  # the same adapter, on float32 weights
    reference.train()
    expected, expected_count = reference_loss(reference, examples)
    expected.backward()  # type: ignore[no-untyped-call]
    expected_grads = lora_grads(reference)
    assert count == expected_count
    # bfloat16 keeps 8 bits of mantissa: the loss agrees to about a percent, the update's
    # direction almost exactly.
    assert abs(float(got) - float(expected)) < 0.02 * float(expected)
    assert F.cosine_similarity(grads, expected_grads, dim=0) > 0.99


def test_lower_layers_below_the_adapter_keep_no_graph(tiny_model: Path) -> None:
    """With only the top layer adapted, nothing below it takes part in the backward pass."""
    config = CONFIG.override(top_layers=1)
    model = _with_adapter(_load_base(tiny_model, config), config, None)
    seen: list[bool] = []
    layers = model.get_base_model().get_decoder().layers
    handle = layers[0].register_forward_hook(lambda m, i, out: seen.append(_needs_grad(out)))
    rows = [data.Row([5, 6, 7, 8], [-100, 6, 7, 8], [0, 1, 2, 3])]
    loss, _ = batch_loss(model, data.collate(rows, pad_id=0))
    handle.remove()
    assert seen == [False] and loss.requires_grad


def _needs_grad(output: Any) -> bool:
    tensor = output[0] if isinstance(output, tuple) else output
    return bool(tensor.requires_grad)


def test_cpu_preset_uses_bfloat16_only_where_the_cpu_has_it() -> None:
    expected = "bfloat16" if fast_bfloat16() else "float32"
    assert preset("cpu").dtype == expected


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_evaluation_loss_matches_the_reference(tiny_model: Path, dtype: str) -> None:
    model, examples = setup(tiny_model, dtype)
    model.eval()
    with torch.no_grad():
        got, _ = packed_loss(model, examples)
        expected, _ = reference_loss(model, examples)
    assert abs(float(got) - float(expected)) < 0.02 * float(expected)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_chunked_loss_and_its_gradient_equal_plain_cross_entropy(
    monkeypatch: pytest.MonkeyPatch, dtype: torch.dtype
) -> None:
    """Across chunk boundaries (23 positions, chunks of 5), loss and gradient are autograd's."""
    from twin.train import loop

    monkeypatch.setattr(loop, "LOSS_CHUNK", 5)
    generator = torch.Generator().manual_seed(0)
    head = torch.nn.Linear(16, 50, bias=False).to(dtype).requires_grad_(False)
    hidden = torch.randn(23, 16, generator=generator).to(dtype).requires_grad_(True)
    targets = torch.randint(0, 50, (23,), generator=generator)
    got = loop.labelled_loss(hidden, head, targets)
    (got * 0.5).backward()
    assert hidden.grad is not None
    got_grad, hidden.grad = hidden.grad.clone(), None
    expected = F.cross_entropy(head(hidden).float(), targets, reduction="sum")
    (expected * 0.5).backward()  # type: ignore[no-untyped-call]
    close = 1e-2 if dtype == torch.bfloat16 else 1e-5
    torch.testing.assert_close(got, expected, rtol=close, atol=close)
    torch.testing.assert_close(got_grad, hidden.grad, rtol=close, atol=close)


def test_memory_estimate_follows_what_a_step_keeps() -> None:
    """Fewer adapted layers and bfloat16 weights each need less; loading can be the peak."""
    from types import SimpleNamespace

    from twin.train.estimate import memory_bytes

    model = SimpleNamespace(
        hidden_size=576,
        num_hidden_layers=30,
        intermediate_size=1536,
        num_attention_heads=9,
        vocab_size=49152,
        dtype="float32",
    )
    parameters = 134_515_008
    cpu = TrainConfig(seq_len=192, top_layers=10, dtype="float32")
    top10 = memory_bytes(model, parameters, cpu)
    assert memory_bytes(model, parameters, cpu.override(top_layers=30)) > top10
    assert memory_bytes(model, parameters, cpu.override(dtype="bfloat16")) < top10
    tiny_batch = cpu.override(batch_size=1, seq_len=8, dtype="bfloat16")
    # Loading a float32 file into bfloat16 holds both for a moment: 6 bytes a weight.
    assert memory_bytes(model, parameters, tiny_batch) >= 6 * parameters
