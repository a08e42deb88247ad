"""Rough costs of training on a dataset, labelled as estimates: nothing is measured at build time.

Local speed: the speed model the trainer itself uses (`twin.models.speed`), for the default
model with the CPU preset and an assumed matrix speed per core; the trainer measures the
machine before it starts and reports real speed as it goes.

Cloud price: informational only (twin never sends your data anywhere). OpenAI's published rate
for fine-tuning gpt-4o-mini-2024-07-18 is $3.00 per million training tokens (price list as
published in July 2024); a job is charged for the training tokens times the number of epochs.
"""

from __future__ import annotations

import os

from twin.models.speed import default_cpu_tokens_per_second

CLOUD_SERVICE = "OpenAI fine-tuning, gpt-4o-mini-2024-07-18"
CLOUD_USD_PER_MILLION_TOKENS = 3.00
CLOUD_RATE_DATE = "2024-07"
"""When that rate was published."""
EPOCHS = 3
"""Epochs the estimates assume (the usual default for a small chat fine-tune)."""


def estimates(train_tokens: int, cores: int | None = None) -> dict[str, object]:
    """Local training time and the informational cloud price for `train_tokens`."""
    cores = cores or os.cpu_count() or 1
    per_second = default_cpu_tokens_per_second(cores)
    local_seconds = train_tokens * EPOCHS / per_second
    price = train_tokens * EPOCHS / 1_000_000 * CLOUD_USD_PER_MILLION_TOKENS
    return {
        "epochs": EPOCHS,
        "cpu_cores": cores,
        "local_tokens_per_second": per_second,
        "local_training_hours": round(local_seconds / 3600, 2),
        "local_basis": (
            f"estimate: {per_second:.0f} tokens/s for the default 135M model with the CPU preset "
            f"on {cores} cores, {EPOCHS} epochs; not measured"
        ),
        "cloud_usd": round(price, 2),
        "cloud_basis": (
            f"informational: {CLOUD_SERVICE} at ${CLOUD_USD_PER_MILLION_TOKENS:.2f} per 1M "
            f"training tokens (published {CLOUD_RATE_DATE}), {EPOCHS} epochs; twin sends nothing"
        ),
    }
