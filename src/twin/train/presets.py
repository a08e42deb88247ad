"""Training settings, and the presets chosen from the hardware found; each is overridable."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from twin.models.loading import best_device


@dataclass(frozen=True)
class TrainConfig:
    """How a run trains. The CLI offers every attribute as an option of the same name."""

    device: str = field(default="cpu", metadata={"choices": ("cpu", "cuda", "mps")})
    """Where to train: cpu, cuda or mps [default: detected]."""
    dtype: str = field(
        default="float32", metadata={"choices": ("float32", "bfloat16", "float16")}
    )
    """Number format of the frozen base weights and their computation: float32, bfloat16 or
    float16 [default: detected]. The adapter itself is always learned in float32."""
    load_in_4bit: bool = False
    """Quantize the frozen base weights to 4 bits (QLoRA; CUDA with bitsandbytes only)."""
    seq_len: int = 256
    """Longest training row in tokens; a longer conversation keeps its end."""
    rank: int = 8
    """LoRA rank: the size of the learned update to each adapted weight."""
    alpha: int = 16
    """LoRA scale numerator; the update is multiplied by alpha / rank."""
    dropout: float = 0.05
    """Dropout on the LoRA input during training."""
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    """Which linear layers get an adapter."""
    top_layers: int | None = None
    """Adapt only the last N transformer layers (None or 0: all). The backward pass stops below the
    lowest adapted layer, so fewer layers train faster; the top layers carry most of a style."""
    batch_size: int = 4
    """Packed rows per optimizer step."""
    lr: float = 3e-4
    """Peak learning rate; warms up linearly, then decays along a cosine."""
    weight_decay: float = 0.0
    """AdamW weight decay on the adapter weights."""
    epochs: int = 2
    """Passes over the training examples."""
    max_steps: int | None = None
    """Stop after this many optimizer steps in all, whatever the epochs say."""
    patience: int = 1
    """Stop early when validation loss has not improved for this many epochs."""
    warmup_steps: int = 5
    """Steps over which the learning rate rises linearly to its peak."""
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    """CPU threads for PyTorch."""
    seed: int = 0
    """Seed of every random choice (shuffling, LoRA initialisation, dropout)."""
    max_minutes: float | None = None
    """Finish (keeping the adapter) once training has taken this long (None or 0: no limit)."""
    save_every: int = 25
    """Write a checkpoint every this many steps (and at each epoch end and on stop)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target_modules"] = list(self.target_modules)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        if "target_modules" in values:
            values["target_modules"] = tuple(values["target_modules"])
        return cls(**values)

    def override(self, **changes: Any) -> TrainConfig:
        """A copy with every change that is not None applied."""
        given = {key: value for key, value in changes.items() if value not in (None, ())}
        return replace(self, **given)


def fast_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices natively (AMX or AVX-512 BF16).

    Without either, PyTorch emulates bfloat16 on a CPU, slower than float32.
    """
    import torch

    return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())


def preset(device: str | None = None) -> TrainConfig:
    """Settings suited to `device` (detected when None).

    CPU: short rows, a small rank on the top layers only, every thread, and an 8-minute limit,
    so the built-in sample trains in minutes on two cores; the frozen base in bfloat16 where the
    CPU multiplies it natively (the adapter stays float32), which halves the memory and, with
    AMX, speeds every step. CUDA: bfloat16 where
    supported, 4-bit QLoRA when bitsandbytes is installed, longer rows, a larger rank and every
    linear layer adapted. MPS in between.
    """
    import torch

    device = device or best_device()
    if device == "cuda":
        bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        return TrainConfig(
            device="cuda",
            dtype="bfloat16" if bf16 else "float16",
            load_in_4bit=importlib.util.find_spec("bitsandbytes") is not None,
            seq_len=1024,
            rank=16,
            alpha=32,
            target_modules=(
                "q_proj",
                "k_proj",
                "v_proj",
                "o_proj",
                "gate_proj",
                "up_proj",
                "down_proj",
            ),
            batch_size=8,
            lr=2e-4,
            epochs=3,
            save_every=100,
        )
    if device == "mps":
        return TrainConfig(device="mps", seq_len=512, rank=16, alpha=32, batch_size=4, epochs=3)
    return TrainConfig(
        device="cpu",
        dtype="bfloat16" if fast_bfloat16() else "float32",
        seq_len=192,
        top_layers=10,
        lr=1e-3,
        epochs=3,
        max_minutes=8.0,
    )
