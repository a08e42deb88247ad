"""How fast a model trains: the one speed model behind every training-time estimate.

A LoRA step costs 2 floating point operations per weight per token forward, and 2 more
backward through the adapted layers only (the embedding table is a lookup and costs nothing).
A step reaches `EFFICIENCY` of the matrix speed the device shows on a plain product. The
trainer measures that speed on the machine before each run; the dataset card, which measures
nothing, assumes `CPU_CORE_FLOPS` a core.
"""

from __future__ import annotations

EFFICIENCY = 0.7
"""Share of the measured matrix speed a LoRA step reaches; measured on the default model with
the CPU preset (501 tokens/s where a 512x512 product ran at 187 GFLOP/s, two cores)."""
CPU_CORE_FLOPS = 93e9
"""Matrix speed of one CPU core, as measured on this project's 2-core machine (187 GFLOP/s)."""
DEFAULT_BODY_PARAMETERS = 106_000_000
"""Weights of SmolLM2-135M outside its embedding table (134.5M less 49,152 x 576)."""
DEFAULT_ADAPTED_SHARE = 10 / 30
"""The CPU preset adapts the top 10 of the default model's 30 layers."""


def flops_per_token(body_parameters: int, adapted_share: float) -> float:
    """Floating point operations one trained token costs."""
    return (2 + 2 * adapted_share) * body_parameters


def training_seconds(
    tokens: int, flops: float, body_parameters: int, adapted_share: float
) -> float:
    """Seconds to train `tokens` tokens at a device matrix speed of `flops` per second."""
    return flops_per_token(body_parameters, adapted_share) * tokens / (flops * EFFICIENCY)


def default_cpu_tokens_per_second(cores: int) -> float:
    """Training tokens per second of the default model with the CPU preset on `cores` cores."""
    per_token = flops_per_token(DEFAULT_BODY_PARAMETERS, DEFAULT_ADAPTED_SHARE)
    return CPU_CORE_FLOPS * cores * EFFICIENCY / per_token
