"""A correction given in `twin chat` changes the data of the next training round."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.dataset.conftest import opened
from tests.vault.helpers import ANN
from twin.home import Home


def train_lines(home: Home, name: str) -> list[list[dict[str, str]]]:
    return [json.loads(line)["messages"] for line in opened(home, name, "train.jsonl").splitlines()]


def test_a_correction_given_in_chat_is_in_the_next_build(
    twin: Callable[..., Result], vault_home: Home, tiny_model: Path
) -> None:
    twin("import", str(ANN), "--me", "Sam")
    twin("dataset", "build", "--name", "before", "--val-fraction", "0")
    typed = "want to grab dinner?\n/said bora, 20h at the usual place?\n/quit\n"
    twin("chat", "--model", str(tiny_model), "--max-tokens", "6", input=typed)
    twin("dataset", "build", "--name", "after", "--val-fraction", "0")

    before, after = train_lines(vault_home, "before"), train_lines(vault_home, "after")
    [added] = [messages for messages in after if messages not in before]
    assert added[-1] == {"role": "assistant", "content": "bora, 20h at the usual place?"}
    assert added[-2] == {"role": "user", "content": "want to grab dinner?"}
    assert "1 of the training examples are your corrections" in opened(
        vault_home, "after", "card.md"
    )
