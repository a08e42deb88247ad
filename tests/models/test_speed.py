"""The training-speed model gives the rates measured on this project's 2-core machine."""

from __future__ import annotations

import pytest

from twin.models.speed import (
    DEFAULT_ADAPTED_SHARE,
    DEFAULT_BODY_PARAMETERS,
    default_cpu_tokens_per_second,
    training_seconds,
)


def test_two_cores_train_at_the_measured_rate_in_each_number_format() -> None:
    # bench/train.py: 795 useful tokens/s with the base in bfloat16 on AMX; 501 in float32
    assert default_cpu_tokens_per_second(2, "bfloat16") == pytest.approx(795, rel=0.05)
    assert default_cpu_tokens_per_second(2, "float32") == pytest.approx(501, rel=0.1)


def test_a_bfloat16_base_on_a_cpu_is_estimated_faster_only_there() -> None:
    def seconds(dtype: str, device: str) -> float:
        return training_seconds(
            100_000, 187e9, DEFAULT_BODY_PARAMETERS, DEFAULT_ADAPTED_SHARE, dtype, device
        )

    assert seconds("bfloat16", "cpu") < seconds("float32", "cpu") / 1.5
    assert seconds("bfloat16", "cuda") == seconds("float32", "cuda")


def test_the_card_assumes_the_cpu_presets_number_format() -> None:
    from twin.train.presets import preset

    dtype = preset("cpu").dtype
    assert default_cpu_tokens_per_second(2) == default_cpu_tokens_per_second(2, dtype)
