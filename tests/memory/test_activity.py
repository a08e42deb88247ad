"""Device activity reaches recall as one passage per day, and leaves it with what it came from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from click.testing import Result

from twin.home import Home
from twin.memory.activity import day_summary, refresh_activity
from twin.memory.embeddings import Embedder
from twin.memory.recall import recall
from twin.vault import Vault
from twin.vault.collect import import_file
from twin.vault.events import count_events, events_between
from twin.vault.forget import forget

FIXTURES = Path(__file__).parent.parent / "fixtures" / "activity"
AW = FIXTURES / "aw-buckets-export.json"


def test_import_stores_events_idempotently(vault: Vault) -> None:
    first = import_file(vault, AW)
    again = import_file(vault, AW)
    assert (first.events, first.added) == (6, 6)
    assert (again.added, again.already_there) == (0, 6)
    assert count_events(vault) == 6
    assert vault.db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_day_summary_names_programs_sites_and_parts_of_the_day(vault: Vault) -> None:
    import_file(vault, AW)
    import_file(vault, FIXTURES / "zsh_history")
    day = date(2024, 3, 5)
    found = events_between(
        vault, datetime(2024, 3, 5, tzinfo=UTC), datetime(2024, 3, 6, tzinfo=UTC)
    )
    text = day_summary(day, found, UTC)
    assert text.startswith("What I was doing on my computer on Tuesday 5 March 2024.")
    assert "Afternoon: Code 30 min (records.py - twin - Visual Studio Code)" in text
    assert "alexgarcia.xyz 8 min" in text
    assert "Morning:" in text and "in the terminal: cd, git, apt, pytest" in text
    assert "ripgrep" not in text  # commands by program only: arguments can hold secrets
    assert "away from the computer 1 h" in text


def test_ask_what_i_was_doing_on_tuesday_afternoon(vault: Vault, embedder: Embedder) -> None:
    summary = import_file(vault, AW)
    with vault.transaction():
        indexed = refresh_activity(vault, embedder, summary.import_id, zone=UTC)
    assert indexed.added == 1
    passages = recall(vault, embedder, "what was I doing on Tuesday afternoon?", limit=3)
    assert passages and passages[0].title == "Activity on Tuesday 5 March 2024"
    assert "Visual Studio Code" in passages[0].text
    with vault.transaction():
        again = refresh_activity(vault, embedder, summary.import_id, zone=UTC)
    assert (again.added, again.kept) == (0, 0)  # unchanged day: nothing re-embedded


def test_forgetting_the_import_removes_events_and_day_summaries(
    vault: Vault, embedder: Embedder
) -> None:
    summary = import_file(vault, AW)
    with vault.transaction():
        refresh_activity(vault, embedder, summary.import_id)
    gone = forget(vault, import_id=summary.import_id)
    assert count_events(vault) == 0
    left = vault.db.execute("SELECT count(*) FROM notes WHERE source = 'activity'").fetchone()
    assert left[0] == 0
    assert vault.db.execute("SELECT count(*) FROM chunks").fetchone()[0] == 0
    assert any("activity day summar" in line for line in gone.derived)


def test_twin_import_of_history_summarises_days(
    twin: Callable[..., Result], vault_home: Home
) -> None:
    result = twin("import", str(FIXTURES / "zsh_history"))
    assert "4 activity events; 1 day summary indexed" in result.output
    assert "can't tell which sender is you" not in result.output
    again = twin("import", str(FIXTURES / "zsh_history"))
    assert "0 new" in again.output


def test_script_import_needs_as(twin: Callable[..., Result], vault_home: Home) -> None:
    play = FIXTURES.parent / "script" / "hamlet_act3.txt"
    refused = twin("import", str(play), ok=False)
    assert refused.exit_code == 1 and "--as NAME" in refused.output
    twin("import", str(play), "--as", "Hamlet")
