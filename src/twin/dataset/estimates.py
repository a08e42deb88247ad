"""Rough costs of training on a dataset, labelled as estimates: nothing is measured at build time.

Local speed: LoRA fine-tuning of the default 135M-parameter model does about six floating-point
operations per parameter per token (forward and backward), about 0.8 GFLOP a token; one CPU core
sustains about 20 GFLOP/s in practice, so about 25 training tokens per second per core. Treat the
result as the order of magnitude it is; the trainer reports real speed.

Cloud price: informational only (twin never sends your data anywhere). OpenAI's published rate
for fine-tuning gpt-4o-mini-2024-07-18 is $3.00 per million training tokens (price list as
published in July 2024); a job is charged for the training tokens times the number of epochs.
"""

from __future__ import annotations

import os

LOCAL_TOKENS_PER_SECOND_PER_CORE = 25.0
"""Estimated training tokens per second per CPU core for the default 135M model (see above)."""
CLOUD_SERVICE = "OpenAI fine-tuning, gpt-4o-mini-2024-07-18"
CLOUD_USD_PER_MILLION_TOKENS = 3.00
CLOUD_RATE_DATE = "2024-07"
"""When that rate was published."""
EPOCHS = 3
"""Epochs the estimates assume (the usual default for a small chat fine-tune)."""


def estimates(train_tokens: int, cores: int | None = None) -> dict[str, object]:
    """Local training time and the informational cloud price for `train_tokens`."""
    cores = cores or os.cpu_count() or 1
    per_second = LOCAL_TOKENS_PER_SECOND_PER_CORE * cores
    local_seconds = train_tokens * EPOCHS / per_second
    price = train_tokens * EPOCHS / 1_000_000 * CLOUD_USD_PER_MILLION_TOKENS
    return {
        "epochs": EPOCHS,
        "cpu_cores": cores,
        "local_tokens_per_second": per_second,
        "local_training_hours": round(local_seconds / 3600, 2),
        "local_basis": (
            f"estimate: {LOCAL_TOKENS_PER_SECOND_PER_CORE:g} tokens/s per CPU core for the "
            f"default 135M model, {cores} cores, {EPOCHS} epochs; not measured"
        ),
        "cloud_usd": round(price, 2),
        "cloud_basis": (
            f"informational: {CLOUD_SERVICE} at ${CLOUD_USD_PER_MILLION_TOKENS:.2f} per 1M "
            f"training tokens (published {CLOUD_RATE_DATE}), {EPOCHS} epochs; twin sends nothing"
        ),
    }
