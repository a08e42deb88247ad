"""The cost of a run before it starts: what `twin train` prints first, without training.

The Training page of the hub shows it before the person presses Start. It plans the run with
`plan_run`, as `train` does (the same preset, overrides, dataset, base model, packed rows and
step count), and asks `estimate` for time and memory, counting the model's weights
from its safetensors headers instead of loading them.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

from twin.errors import TwinError
from twin.home import Home
from twin.train.estimate import Estimate, estimate
from twin.train.training import TrainRequest, plan_run


@dataclass(frozen=True)
class RunEstimate:
    """What a run would train on and what it would cost."""

    dataset: str
    base: str
    examples: int
    steps: int
    epoch_tokens: int
    device: str
    cost: Estimate

    @property
    def fits(self) -> bool:
        """Whether the memory it needs is free now (unknown counts as fitting)."""
        free = self.cost.available_bytes
        return free is None or self.cost.memory_bytes <= free

    def describe(self) -> str:
        return (
            f"{self.examples} examples of {self.dataset} ({self.epoch_tokens} tokens a pass, "
            f"{self.steps} steps) on {self.device}: {self.cost.describe()}"
        )


def weight_count(model_dir: Path) -> int:
    """The number of weights in a model folder's safetensors files, read from their headers."""
    total = 0
    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise TwinError(f"{model_dir}: no .safetensors weights to estimate from")
    for file in files:
        with open(file, "rb") as handle:
            (size,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(size))
        for name, tensor in header.items():
            if name != "__metadata__":
                total += math.prod(tensor["shape"])
    return total


def estimate_run(home: Home, request: TrainRequest) -> RunEstimate:
    """Time and memory of the run `request` describes, the way `train` works them out."""
    from transformers import AutoConfig

    plan = plan_run(home, request)
    model_config = AutoConfig.from_pretrained(plan.base_dir)
    cost = estimate(
        model_config, weight_count(plan.base_dir), plan.config, plan.tokens_left, plan.steps_left
    )
    return RunEstimate(
        plan.folder.name,
        plan.base_name,
        len(plan.examples),
        plan.steps_left,
        plan.epoch_tokens,
        plan.config.device,
        cost,
    )
