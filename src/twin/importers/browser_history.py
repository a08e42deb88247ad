"""Browser history from Firefox's ``places.sqlite`` or Chrome's ``History`` file, as
`Event` records (kind ``visit``: a page opened, with its URL and title).

* Firefox: ``moz_historyvisits`` joined to ``moz_places``; ``visit_date`` is microseconds since
  1970 (UTC). Embedded and redirect visits (``visit_type`` 4, 5, 6, 7) are not pages the user
  chose to open and are skipped.
* Chrome, Chromium, Edge, Brave: ``visits`` joined to ``urls``; ``visit_time`` is microseconds
  since 1601-01-01 (UTC), ``visit_duration`` microseconds. Redirect hops (the chain-end
  bits of ``transition`` without ``CHAIN_END``) and subframe loads are skipped.
* As for every app database twin reads (`files.read_only_database`), the file is never written
  nor copied to disk: it is read immutable (so a locked one can still be read), or with its
  ``-wal`` log's committed pages laid in, in memory, while the browser runs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SQLITE_MAGIC, SourceFile, read_only_database, sqlite_file_where
from twin.records import Event

_CHROME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_FIREFOX_SKIPPED = (4, 5, 6, 7)  # embed, redirect permanent, redirect temporary, download
_CHROME_CORE = 0xFF
_CHROME_SUBFRAMES = (3, 4)  # auto_subframe, manual_subframe
_CHROME_CHAIN_END = 0x20000000
_CHROME_REDIRECTS = 0xC0000000


def _flavour(db: sqlite3.Connection) -> str | None:
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if {"moz_places", "moz_historyvisits"} <= tables:
        return "firefox"
    if {"urls", "visits"} <= tables:
        return "chrome"
    return None


class BrowserHistoryImporter:
    """Firefox and Chrome-family history databases."""

    name: ClassVar[str] = "browser"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """An SQLite file with Firefox's or Chrome's history tables (opened immutable)."""
        return sqlite_file_where(source, lambda db: _flavour(db) is not None)

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Event]:
        """Yield one event per page visit; the database is never written."""
        label = source.label()
        if source.is_zip or source.is_dir or source.head(16) != SQLITE_MAGIC:
            raise BadInput(label, "not an SQLite database (expected places.sqlite or History)")
        with read_only_database(source.path, label) as db:
            try:
                flavour = _flavour(db)
                if flavour is None:
                    raise BadInput(label, "not a Firefox or Chrome history database")
                yield from (_firefox(db) if flavour == "firefox" else _chrome(db))
            except sqlite3.DatabaseError as error:
                raise BadInput(label, f"unreadable history database ({error})") from None


def _firefox(db: sqlite3.Connection) -> Iterator[Event]:
    marks = ",".join("?" * len(_FIREFOX_SKIPPED))
    query = (
        "SELECT v.visit_date, p.url, p.title FROM moz_historyvisits AS v "
        "JOIN moz_places AS p ON p.id = v.place_id "
        f"WHERE v.visit_type NOT IN ({marks}) ORDER BY v.visit_date"
    )
    for stamp, url, title in db.execute(query, _FIREFOX_SKIPPED):
        if stamp is None:
            continue
        started = datetime.fromtimestamp(stamp / 1e6, UTC)
        yield Event("firefox", "visit", started, 0.0, app="Firefox", title=title or None, url=url)


def _chrome(db: sqlite3.Connection) -> Iterator[Event]:
    query = (
        "SELECT v.visit_time, v.visit_duration, v.transition, u.url, u.title FROM visits AS v "
        "JOIN urls AS u ON u.id = v.url ORDER BY v.visit_time"
    )
    for stamp, duration, transition, url, title in db.execute(query):
        transition = int(transition or 0)
        if transition & _CHROME_CORE in _CHROME_SUBFRAMES:
            continue
        if transition & _CHROME_REDIRECTS and not transition & _CHROME_CHAIN_END:
            continue  # a hop in a redirect chain, not the page that was shown
        if not stamp:
            continue
        started = _CHROME_EPOCH + timedelta(microseconds=int(stamp))
        yield Event(
            "chrome", "visit", started, (duration or 0) / 1e6,
            app="Chrome", title=title or None, url=url,
        )  # fmt: skip
