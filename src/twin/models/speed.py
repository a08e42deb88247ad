"""How fast a model trains: the one speed model behind every training-time estimate.

A LoRA step costs 2 floating point operations per weight per token forward, and 2 more
backward through the adapted layers only (the embedding table is a lookup and costs nothing).
A step reaches a share (`efficiency`) of the matrix speed the device shows on a plain float32
product: `EFFICIENCY` in float32, `BFLOAT16_CPU_EFFICIENCY` with the base in bfloat16 on a CPU
that multiplies it natively (AMX, AVX-512 BF16), where a step runs faster than the float32
product the trainer times. The trainer measures that speed on the machine before each run;
the dataset card, which measures nothing, assumes `CPU_CORE_FLOPS` a core and the CPU preset's
number format.
"""

from __future__ import annotations

EFFICIENCY = 0.7
"""Share of the measured float32 matrix speed a float32 LoRA step reaches; measured on the
default model with the CPU preset in float32 (501 tokens/s where a 512x512 product ran at
187 GFLOP/s, two cores)."""
BFLOAT16_CPU_EFFICIENCY = 1.2
"""The same with the frozen base in bfloat16 on AMX, as the CPU preset trains where it can:
bench/train.py measured 795 useful tokens/s on two cores (282.7 MFLOP a token, 225 GFLOP/s,
against 187 GFLOP/s for the float32 product)."""
CPU_CORE_FLOPS = 93e9
"""Float32 matrix speed of one CPU core, as measured on this project's 2-core machine
(187 GFLOP/s)."""
DEFAULT_BODY_PARAMETERS = 106_000_000
"""Weights of SmolLM2-135M outside its embedding table (134.5M less 49,152 x 576)."""
DEFAULT_ADAPTED_SHARE = 10 / 30
"""The CPU preset adapts the top 10 of the default model's 30 layers."""


def efficiency(dtype: str = "float32", device: str = "cpu") -> float:
    """Share of the float32 product speed a step reaches with the base in `dtype` on `device`."""
    if device == "cpu" and dtype == "bfloat16":
        return BFLOAT16_CPU_EFFICIENCY
    return EFFICIENCY


def flops_per_token(body_parameters: int, adapted_share: float) -> float:
    """Floating point operations one trained token costs."""
    return (2 + 2 * adapted_share) * body_parameters


def training_seconds(
    tokens: int,
    flops: float,
    body_parameters: int,
    adapted_share: float,
    dtype: str = "float32",
    device: str = "cpu",
) -> float:
    """Seconds to train `tokens` tokens where a float32 product runs at `flops` per second."""
    per_token = flops_per_token(body_parameters, adapted_share)
    return per_token * tokens / (flops * efficiency(dtype, device))


def default_cpu_tokens_per_second(cores: int, dtype: str | None = None) -> float:
    """Training tokens per second of the default model with the CPU preset on `cores` cores;
    `dtype` None takes the preset's: bfloat16 where this CPU multiplies it natively."""
    if dtype is None:
        from twin.models.runner import native_bfloat16

        dtype = "bfloat16" if native_bfloat16() else "float32"
    per_token = flops_per_token(DEFAULT_BODY_PARAMETERS, DEFAULT_ADAPTED_SHARE)
    return CPU_CORE_FLOPS * cores * efficiency(dtype) / per_token
