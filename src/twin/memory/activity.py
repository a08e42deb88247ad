"""Device activity in recall: one passage per day, saying what the user was doing and when.

Events themselves are too many and too small to recall one by one ("Firefox, 12 s"). Each day
with activity becomes one note, ``Activity on Tuesday 5 March 2024``, with a line per part of
the day (night, morning, afternoon, evening, in the machine's local time): the programs used
longest with their main window titles, the websites visited, the programs run in a shell
(never their arguments, which can hold secrets) and the time away. The note is indexed like
any other, so `twin ask "what was I doing on Tuesday afternoon?"` recalls it. Day notes are
derived data: rebuilt when events change, and removed by `twin forget` with what they came from.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit

from twin.hookspecs import hookimpl
from twin.memory.embeddings import Embeds
from twin.memory.index import IndexSummary, index_notes
from twin.records import Event
from twin.vault.events import event_span, events_between
from twin.vault.vault import Vault

SOURCE = "activity"
"""The notes source of day summaries."""
PARTS = (("night", 0), ("morning", 6), ("afternoon", 12), ("evening", 18))
_TOP_APPS = 5
_TOP_TITLES = 2
_TOP_SITES = 5
_TOP_PROGRAMS = 8


def local_zone() -> tzinfo:
    """The machine's current offset: days are the user's days, not UTC's."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _site(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def _largest(values: dict[str, float], count: int) -> list[tuple[str, float]]:
    return sorted(values.items(), key=lambda item: (-item[1], item[0]))[:count]


def _part_line(name: str, events: list[Event]) -> str | None:
    apps: dict[str, float] = defaultdict(float)
    titles: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    sites: dict[str, float] = defaultdict(float)
    visits: Counter[str] = Counter()
    programs: Counter[str] = Counter()
    away = 0.0
    for event in events:
        if event.kind == "afk":
            away += event.duration
        elif event.kind == "command":
            if event.app:
                programs[event.app] += 1
        elif event.kind in ("web", "visit"):
            site = _site(event.url)
            if site:
                sites[site] += event.duration
                visits[site] += 1
        elif event.kind != "active" and event.app:
            apps[event.app] += event.duration
            if event.title:
                titles[event.app][event.title] += event.duration
    pieces: list[str] = []
    for app, seconds in _largest(apps, _TOP_APPS):
        top = [t for t, _ in _largest(titles[app], _TOP_TITLES)]
        pieces.append(f"{app} {_minutes(seconds)}" + (f" ({'; '.join(top)})" if top else ""))
    if visits:
        ranked = sorted(visits, key=lambda s: (-sites.get(s, 0.0), -visits[s], s))[:_TOP_SITES]
        shown = [
            f"{s} {_minutes(sites[s])}" if sites.get(s) else f"{s} ({visits[s]}x)" for s in ranked
        ]
        pieces.append("websites: " + ", ".join(shown))
    if programs:
        ran = ", ".join(p for p, _ in programs.most_common(_TOP_PROGRAMS))
        pieces.append(f"in the terminal: {ran}")
    if away >= 60:
        pieces.append(f"away from the computer {_minutes(away)}")
    if not pieces:
        return None
    return f"{name.capitalize()}: " + "; ".join(pieces) + "."


def day_title(day: date) -> str:
    """``Activity on Tuesday 5 March 2024``."""
    return f"Activity on {day:%A} {day.day} {day:%B %Y}"


def day_summary(day: date, events: Iterable[Event], zone: tzinfo) -> str:
    """The passage for one day: a line per part of the day that had activity."""
    by_part: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        hour = event.started_at.astimezone(zone).hour
        name = next(n for n, start in reversed(PARTS) if hour >= start)
        by_part[name].append(event)
    lines = [f"What I was doing on my computer on {day:%A} {day.day} {day:%B %Y}."]
    for name, _ in PARTS:
        line = _part_line(name, by_part.get(name, []))
        if line:
            lines.append(line)
    return "\n".join(lines) if len(lines) > 1 else ""


def _bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), zone)
    return start, start + timedelta(days=1)


def _days(first: str, last: str, zone: tzinfo) -> list[date]:
    low = datetime.fromisoformat(first).replace(tzinfo=UTC).astimezone(zone).date()
    high = datetime.fromisoformat(last).replace(tzinfo=UTC).astimezone(zone).date()
    return [low + timedelta(days=n) for n in range((high - low).days + 1)]


def _uid(day: date) -> str:
    return f"{SOURCE}:{day.isoformat()}"


def _write_day(vault: Vault, day: date, zone: tzinfo) -> tuple[str, int | None]:
    """Bring one day's note in line with its events: added, updated, unchanged or removed."""
    text = day_summary(day, events_between(vault, *_bounds(day, zone)), zone)
    uid = _uid(day)
    row = vault.db.execute("SELECT id, content_sha256 FROM notes WHERE uid = ?", (uid,)).fetchone()
    if not text:
        if row is not None:
            vault.db.execute("DELETE FROM notes WHERE id = ?", (row[0],))
            return "removed", None
        return "unchanged", None
    title = day_title(day)
    digest = hashlib.sha256(f"{title}\x1f{text}\x1fFalse".encode()).hexdigest()
    if row is None:
        cursor = vault.db.execute(
            "INSERT INTO notes (uid, kind, source, location, title, text, created_at, "
            "content_sha256) VALUES (?, 'note', ?, ?, ?, ?, ?, ?)",
            (uid, SOURCE, day.isoformat(), title, text, _bounds(day, zone)[0].isoformat(), digest),
        )
        return "added", cursor.lastrowid
    if row[1] == digest:
        return "unchanged", int(row[0])
    vault.db.execute(
        "UPDATE notes SET title = ?, text = ?, content_sha256 = ? WHERE id = ?",
        (title, text, digest, row[0]),
    )
    return "updated", int(row[0])


def refresh_activity(
    vault: Vault, embedder: Embeds, import_id: int | None = None, zone: tzinfo | None = None
) -> IndexSummary:
    """Rebuild and index the day notes of the days one import's events (or all events) cover.

    Call inside a transaction, so notes and their passages change together.
    """
    zone = zone or local_zone()
    span = event_span(vault, import_id)
    if span is None:
        return IndexSummary()
    changed: list[int] = []
    for day in _days(*span, zone):
        outcome, note_id = _write_day(vault, day, zone)
        if outcome in ("added", "updated") and note_id is not None:
            changed.append(note_id)
    return index_notes(vault, embedder, changed)


@hookimpl
def forget_derived(vault: Vault, gone: Any) -> None:
    """Remove day notes that no longer match their events (the forgotten ones are gone)."""
    zone = local_zone()
    stale = 0
    for note_id, location, text in vault.db.execute(
        "SELECT id, location, text FROM notes WHERE source = ?", (SOURCE,)
    ).fetchall():
        day = date.fromisoformat(location)
        if day_summary(day, events_between(vault, *_bounds(day, zone)), zone) != text:
            vault.db.execute("DELETE FROM notes WHERE id = ?", (note_id,))
            stale += 1
    if stale:
        gone.derived.append(f"{stale} activity day summar{'y' if stale == 1 else 'ies'}")
