"""The cost of a run before it starts: what `twin train` prints first, without training.

The Training page of the hub shows it before the person presses Start. It plans the run as
`train` does (the same preset, overrides, dataset and base model), packs the examples with the
base model's tokenizer, and asks `estimate` for time and memory, counting the model's weights
from its safetensors headers instead of loading them.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from twin.errors import TwinError
from twin.home import Home
from twin.train.estimate import Estimate, estimate
from twin.train.training import TrainRequest, _plan, _rows


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
    from transformers import AutoConfig, AutoTokenizer

    plan = _plan(home, request)
    config = plan.config
    tokenizer = AutoTokenizer.from_pretrained(plan.base_dir)
    examples, rows, _ = _rows(plan, tokenizer, request.sealer)
    # The same step count and tokens as `train`.
    steps_per_epoch = math.ceil(len(rows) / config.batch_size)
    total_steps = min(steps_per_epoch * config.epochs, config.max_steps or sys.maxsize)
    done = plan.checkpoint["step"] if plan.checkpoint else 0
    epoch_tokens = sum(len(row.input_ids) for row in rows)
    tokens_left = epoch_tokens * (total_steps - done) // steps_per_epoch
    model_config = AutoConfig.from_pretrained(plan.base_dir)
    cost = estimate(
        model_config, weight_count(plan.base_dir), config, tokens_left, total_steps - done
    )
    return RunEstimate(
        plan.folder.name,
        plan.base_name,
        len(examples),
        total_steps - done,
        epoch_tokens,
        config.device,
        cost,
    )
