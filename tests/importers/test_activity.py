"""Device activity importers: ActivityWatch, Firefox and Chrome history, bash/zsh/fish."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers import detect_importer
from twin.importers.activitywatch import ActivityWatchImporter
from twin.importers.base import ParseOptions
from twin.importers.browser_history import BrowserHistoryImporter
from twin.importers.files import SourceFile
from twin.importers.shell_history import ShellHistoryImporter, program
from twin.records import Event

FIXTURES = Path(__file__).parent.parent / "fixtures" / "activity"
AW = FIXTURES / "aw-buckets-export.json"
TUESDAY_1PM = datetime(2024, 3, 5, 13, 0, tzinfo=UTC)


def events(importer: object, path: Path) -> list[Event]:
    return list(importer.parse(SourceFile(path), ParseOptions()))  # type: ignore[attr-defined]


def test_activitywatch_window_afk_and_web() -> None:
    found = events(ActivityWatchImporter(), AW)
    assert len(found) == 6  # seven events, one an incognito tab
    window = found[0]
    assert (window.kind, window.app, window.started_at) == ("window", "Code", TUESDAY_1PM)
    assert window.duration == 1800.5 and window.device == "laptop.local"
    kinds = [e.kind for e in found]
    assert kinds.count("afk") == 1 and kinds.count("active") == 1
    web = [e for e in found if e.kind == "web"]
    assert [(e.app, e.url) for e in web] == [("Firefox", "https://alexgarcia.xyz/sqlite-vec/")]
    assert all(e.title != "secret" for e in found)


def test_activitywatch_detected_and_broken_file_refused(tmp_path: Path) -> None:
    assert detect_importer(SourceFile(AW)).name == "activitywatch"
    cut = tmp_path / "aw.json"
    cut.write_bytes(AW.read_bytes()[:900])
    with pytest.raises(BadInput, match="invalid JSON"):
        events(ActivityWatchImporter(), cut)


def test_zsh_extended_history_with_continued_lines() -> None:
    found = events(ShellHistoryImporter(), FIXTURES / "zsh_history")
    assert [e.app for e in found] == ["cd", "git", "apt", "pytest"]
    assert found[1].duration == 12 and found[1].source == "zsh"
    assert found[2].title == "FOO=1 sudo apt install \n  ripgrep"
    assert found[0].started_at == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)


def test_bash_skips_untimed_commands_and_fish_unescapes() -> None:
    bash = events(ShellHistoryImporter(), FIXTURES / "bash_history")
    assert [e.title for e in bash] == ["ls -la", "vim notes.md"]
    fish = events(ShellHistoryImporter(), FIXTURES / "fish_history")
    assert [e.app for e in fish] == ["cargo", "echo"] and fish[1].title == 'echo "two\nlines"'
    for name in ("zsh_history", "bash_history", "fish_history"):
        assert detect_importer(SourceFile(FIXTURES / name)).name == "shell"


def test_history_without_times_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / ".bash_history"
    plain.write_text("ls\ncd /tmp\n")
    assert not ShellHistoryImporter().detect(SourceFile(plain))
    with pytest.raises(BadInput, match="HISTTIMEFORMAT"):
        events(ShellHistoryImporter(), plain)


def test_program_names() -> None:
    assert program("sudo -E apt install x") == "apt"
    assert program("LANG=C /usr/bin/make -j4") == "make"
    assert program("") == ""


def _firefox(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR,
              rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0,
              hidden INTEGER DEFAULT 0 NOT NULL,
              typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL,
              last_visit_date INTEGER, guid TEXT, url_hash INTEGER DEFAULT 0 NOT NULL);
            CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, from_visit INTEGER,
              place_id INTEGER, visit_date INTEGER, visit_type INTEGER, session INTEGER,
              source INTEGER DEFAULT 0 NOT NULL, triggeringPlaceId INTEGER);
            INSERT INTO moz_places (id, url, title) VALUES
              (1, 'https://docs.python.org/3/library/sqlite3.html', 'sqlite3 — Python docs'),
              (2, 'http://python.org/', NULL);
            INSERT INTO moz_historyvisits (place_id, visit_date, visit_type) VALUES
              (1, 1709643600000000, 1), (2, 1709643660000000, 5), (1, 1709643720000000, 2);
            """
        )
    return path


def _chrome(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR,
              title LONGVARCHAR, visit_count INTEGER DEFAULT 0 NOT NULL,
              typed_count INTEGER DEFAULT 0 NOT NULL, last_visit_time INTEGER NOT NULL,
              hidden INTEGER DEFAULT 0 NOT NULL);
            CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER NOT NULL,
              visit_time INTEGER NOT NULL, from_visit INTEGER,
              transition INTEGER DEFAULT 0 NOT NULL,
              segment_id INTEGER, visit_duration INTEGER DEFAULT 0 NOT NULL);
            INSERT INTO urls VALUES (1, 'https://github.com/asg017/sqlite-vec', 'sqlite-vec', 2, 0,
              13354117200000000, 0);
            INSERT INTO urls VALUES (2, 'https://ads.example/frame', 'ad', 1, 0, 0, 0);
            -- 13354117200000000 us after 1601-01-01 is 2024-03-05 13:00:00 UTC.
            INSERT INTO visits VALUES (1, 1, 13354117200000000, 0, 805306369, 0, 95000000);
            INSERT INTO visits VALUES (2, 2, 13354117201000000, 1, 3, 0, 0);
            """
        )
    return path


def test_firefox_visits_skip_redirects(tmp_path: Path) -> None:
    found = events(BrowserHistoryImporter(), _firefox(tmp_path / "places.sqlite"))
    assert len(found) == 2 and {e.url for e in found} == {
        "https://docs.python.org/3/library/sqlite3.html"
    }
    assert found[0].started_at == datetime(2024, 3, 5, 13, 0, tzinfo=UTC)
    assert (found[0].source, found[0].kind, found[0].app) == ("firefox", "visit", "Firefox")


def test_chrome_visits_epoch_duration_and_subframes(tmp_path: Path) -> None:
    path = _chrome(tmp_path / "History")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert detect_importer(SourceFile(path)).name == "browser"
    found = events(BrowserHistoryImporter(), path)
    assert len(found) == 1
    assert found[0].started_at == TUESDAY_1PM and found[0].duration == 95.0
    assert found[0].started_at - datetime(1601, 1, 1, tzinfo=UTC) == timedelta(
        microseconds=13354117200000000
    )
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_other_sqlite_is_not_history(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    assert not BrowserHistoryImporter().detect(SourceFile(path))
    with pytest.raises(BadInput, match="not a Firefox or Chrome"):
        events(BrowserHistoryImporter(), path)


def test_preview_stats_counts_events() -> None:
    from twin.vault.collect import preview_stats

    stats = preview_stats(AW, None, ParseOptions())
    assert stats.messages == 6 and stats.kinds["window event"] == 3
    assert stats.first == datetime(2024, 3, 5, 8, 10) and not stats.senders
