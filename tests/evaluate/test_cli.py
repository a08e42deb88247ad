"""`twin eval` and `twin blindtest` end to end, on the tiny trained twin."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import Result

from twin.evaluate.run import Sizes
from twin.home import Home
from twin.train.runs import Run
from twin.vault import Vault

SMALL = Sizes(replies=4, facts=3, unanswerable=2, fit=6)


def test_eval_prints_twin_and_base_side_by_side_then_blindtest_stores_picks(
    twin: Callable[..., Result],
    person_vault: Vault,
    trained_run: Run,
    tmp_home: Home,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import twin.evaluate.run as run_module

    monkeypatch.setattr(run_module, "QUICK", SMALL)  # the CLI's --quick, smaller still
    person_vault.close()
    result = twin("eval", "--quick")
    assert "twin" in result.output and "base" in result.output
    assert "perplexity" in result.output
    assert "Answers well" in result.output
    report = next((tmp_home.path / "reports").glob("*.html"))
    HTMLParser().feed(report.read_text(encoding="utf-8"))
    listed = twin("runs", "list")
    assert trained_run.id[:8] in listed.output
    played = twin("blindtest", "--seed", "1", input="1\n2\n1\n2\n")
    assert "Pass rate" in played.output
