"""`twin eval` and `twin blindtest` end to end, on the tiny trained twin."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

from tests.conftest import PASSPHRASE
from tests.evaluate.test_report import Checker
from twin.evaluate.run import Sizes
from twin.evaluate.store import latest_evaluation
from twin.home import Home
from twin.train.runs import Run
from twin.vault import Secret, Vault

SMALL = Sizes(replies=4, facts=3, unanswerable=2, fit=6)


def test_eval_puts_twin_and_base_side_by_side_and_blindtest_stores_the_picks(
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
    for words in ("perplexity", "twin", "base", "your real replies", "Answers well"):
        assert words in result.output
    checker = Checker()
    assert next((tmp_home.path / "reports").glob("*.html.sealed")).read_bytes()[:8] == b"TWINSEAL"
    page = tmp_home.path.parent / "report.html"
    twin("report", "--out", str(page))  # the sealed report, written out to read
    checker.feed(page.read_text(encoding="utf-8"))
    assert len(checker.images) >= 3

    with Vault.open(tmp_home, person_vault_secret()) as vault:
        stored = latest_evaluation(vault, trained_run.id)
    assert stored is not None and stored.twin is not None and stored.base is not None
    assert stored.twin.perplexity is not None and stored.base.perplexity is not None
    assert stored.twin.perplexity < stored.base.perplexity
    assert stored.twin.facts_asked == 3 and stored.twin.unanswerable_asked >= 1
    assert stored.twin.leaks == 0
    assert stored.twin.replies == 4 + 3 + stored.twin.unanswerable_asked
    assert stored.ceiling is not None and len(stored.samples) == 4

    headline = json.loads((trained_run.folder / "evaluation.json").read_text(encoding="utf-8"))
    assert headline["run_id"] == trained_run.id
    assert "ppl" in twin("runs", "list").output

    played = twin("blindtest", "--seed", "1", "--rounds", "3", input="1\n2\nq\n")
    assert "Pass rate" in played.output and "of 2 rounds" in played.output
    with Vault.open(tmp_home, person_vault_secret()) as vault:
        sources = [row[0] for row in vault.db.execute("SELECT source FROM feedback")]
        picks = vault.db.execute("SELECT count(*) FROM blind_picks").fetchone()[0]
    assert sources == ["blind-test", "blind-test"] and picks == 2
    headline = json.loads((trained_run.folder / "evaluation.json").read_text(encoding="utf-8"))
    assert headline["blind_test"]["rounds"] == 2

    base = twin("eval", "--quick", "--base")
    assert "run base" in base.output
    compared = twin("eval", "--compare", trained_run.id, "base")
    assert trained_run.id in compared.output and "sounds like you" in compared.output


def test_eval_and_blindtest_say_what_is_missing(
    twin: Callable[..., Result], vault_home: Home
) -> None:
    assert "no dataset yet" in twin("eval", ok=False).output
    assert "no trained run yet" in twin("blindtest", ok=False).output
    assert "no evaluation yet" in twin("eval", "--compare", "base", ok=False).output


def person_vault_secret() -> Secret:
    return Secret(passphrase=PASSPHRASE)
