"""Issue 16, item 11: in a log (not a terminal), long steps print lines, never progress bars."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.vault.helpers import ANN, BO
from twin.home import Home

Twin = Callable[..., Result]
BAR_MARKS = ("\r", "━", "█", "%|", "\x1b[")
"""What a progress bar leaves in a log: carriage returns, bar glyphs, tqdm's ``%|``, escapes."""


def assert_plain_lines(result: Result) -> list[str]:
    for mark in BAR_MARKS:
        assert mark not in result.output, f"{mark!r} in:\n{result.output}"
    return result.output.splitlines()


def test_import_build_and_train_in_a_log_print_plain_lines(
    twin: Twin, vault_home: Home, tiny_model: Path
) -> None:
    imported = assert_plain_lines(twin("import", str(ANN), str(BO), "--me", "Sam"))
    assert [line for line in imported if " new, " in line] != []
    built = assert_plain_lines(twin("dataset", "build", "--name", "mine"))
    assert "Redacted: 2 names." in " ".join(built)  # Ann and Bo, in plain words
    settings = ["--epochs", "1", "--threads", "1", "--batch-size", "2"]
    trained = assert_plain_lines(
        twin("train", "--dataset", "mine", "--base", str(tiny_model), *settings)
    )
    assert 2 <= len(trained) <= 40, trained  # a line to start, a few to report, one to end
