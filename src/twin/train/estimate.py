"""Before training: how long it will take and how much memory it needs, and whether it fits."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from twin.errors import TwinError
from twin.models.speed import training_seconds
from twin.train.loop import LOSS_CHUNK
from twin.train.presets import TrainConfig

GIB = 1 << 30


@dataclass(frozen=True)
class Estimate:
    """The expected cost of a run."""

    seconds: float
    memory_bytes: int
    available_bytes: int | None
    limited: bool = False
    """True when the time limit (--max-minutes) will end the run before its last step."""

    def describe(self) -> str:
        minutes = self.seconds / 60
        when = f"{minutes:.0f} min" if minutes >= 1.5 else f"{self.seconds:.0f} s"
        if self.limited:
            when += " (the time limit; --max-minutes 0 trains to the end)"
        text = f"about {when}, about {self.memory_bytes / GIB:.1f} GiB of memory"
        if self.available_bytes is not None:
            text += f" ({self.available_bytes / GIB:.1f} GiB available)"
        return text


def available_memory(device: str) -> int | None:
    """Free bytes on `device`: GPU memory for CUDA, else available system memory."""
    if device == "cuda":
        import torch

        free, _ = torch.cuda.mem_get_info()
        return int(free)
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def measured_flops(device: str) -> float:
    """Floating point operations per second this device reaches on a matrix product."""
    import torch

    size = 512 if device == "cpu" else 2048
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    (a @ b).sum().item()
    repeats = 4 if device == "cpu" else 20
    started = time.perf_counter()
    for _ in range(repeats):
        c = a @ b
    c.sum().item()
    return 2 * size**3 * repeats / max(time.perf_counter() - started, 1e-9)


RUNTIME_BYTES = int(1.0 * GIB)
"""`twin train` before any weights: Python with PyTorch, Transformers, PEFT, the tokenizer, the
vault and what unlocking it held (Argon2id's 256 MiB). Measured: the sample run peaked at
1.74 GiB, of which loading the float32 file into bfloat16 weights is ~0.75 GiB."""
LORA_INPUT_COPIES = 2
"""Float32 copies of its input each adapted projection keeps (the cast, and dropout's output)."""


def _width(dtype: str) -> int:
    return 2 if dtype in ("bfloat16", "float16") else 4


def memory_bytes(model_config: Any, parameters: int, config: TrainConfig) -> int:
    """Peak resident memory of a run: the larger of loading the base and taking a step.

    Loading reads the weights file while the model is built, so for a moment both are resident.
    A step holds the weights, and for each adapted layer only (the layers below keep nothing
    for the backward pass) the activations of every token of the batch: the block's own in the
    base's number format, and the float32 inputs of the LoRA projections. The vocabulary
    projection holds one chunk of logits at a time (`loop.LOSS_CHUNK`).
    """
    hidden = int(getattr(model_config, "hidden_size", 1024))
    layers = int(getattr(model_config, "num_hidden_layers", 24))
    inner = int(getattr(model_config, "intermediate_size", 4 * hidden))
    heads = int(getattr(model_config, "num_attention_heads", 16))
    vocab = int(getattr(model_config, "vocab_size", 32000))
    width = _width(config.dtype)
    weights = int(parameters * (0.6 if config.load_in_4bit else width))
    file_width = _width(str(getattr(model_config, "dtype", None) or "float32").split(".")[-1])
    loading = weights + parameters * file_width
    adapted = min(config.top_layers or layers, layers)
    row_tokens = config.batch_size * config.seq_len
    per_token_layer = (12 * hidden + 5 * inner) * width
    per_token_layer += len(config.target_modules) * LORA_INPUT_COPIES * hidden * 4
    attention = config.batch_size * heads * config.seq_len**2 * width
    activations = adapted * (row_tokens * per_token_layer + attention)
    logits = LOSS_CHUNK * vocab * (width + 8)
    step = weights + activations + logits
    return RUNTIME_BYTES + max(loading, step)


def estimate(
    model_config: Any, parameters: int, config: TrainConfig, tokens: int, steps: int
) -> Estimate:
    """Estimated time and peak memory to train `steps` steps over `tokens` tokens in all.

    Compute: `twin.models.speed`, at the matrix speed measured on the device now.
    Memory: `memory_bytes`.
    """
    hidden = int(getattr(model_config, "hidden_size", 1024))
    layers = int(getattr(model_config, "num_hidden_layers", 24))
    memory = memory_bytes(model_config, parameters, config)
    vocab = int(getattr(model_config, "vocab_size", 0))
    body = max(parameters - vocab * hidden, parameters // 2)
    adapted = min(config.top_layers or layers, layers) / layers
    flops = measured_flops(config.device)
    seconds = training_seconds(tokens, flops, body, adapted, config.dtype, config.device)
    limit = (config.max_minutes or 0) * 60
    limited = 0 < limit < seconds
    if limited:
        seconds = limit
    return Estimate(seconds, memory, available_memory(config.device), limited)


def refuse_if_too_big(found: Estimate) -> None:
    """Raise a clear error when the run would not fit in the memory available."""
    if found.available_bytes is not None and found.memory_bytes > found.available_bytes:
        raise TwinError(
            f"this run needs {found.describe()}, more than is free: lower --batch-size or "
            "--seq-len, or close other programs"
        )
