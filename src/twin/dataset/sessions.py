"""From a conversation's messages to sessions of turns.

A *session* is a run of messages with no silence longer than the gap; a *turn* is what one
person said in a row: consecutive messages of one sender within the merge window, joined by
newlines. Messages that carry no words of anyone's (system lines, media, deleted, calls, a link
alone) are dropped here, each counted by the filter that dropped it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from twin.dataset.options import BuildOptions
from twin.dataset.selection import Conversation, Row

EPOCH = datetime(1970, 1, 1)
LINK_ONLY = re.compile(r"\s*(?:(?:https?://|www\.)\S+\s*)+")
_INVISIBLE = re.compile("[\ufe0f\ufe0e\u200d\u200e\u200f\U0001f3fb-\U0001f3ff]")
_KIND_FILTERS = {"system": "system", "media": "media", "deleted": "deleted", "call": "call"}
_MISSING = frozenset({"media", "link-only"})
"""Filters whose dropped message leaves the next words referring to something not there."""


def seconds(sort_key: str) -> float:
    """Seconds since 1970 of a sort key (UTC when known). Whole days count: no `.seconds` bug."""
    moment = datetime.fromisoformat(sort_key)
    if moment.tzinfo is not None:
        moment = moment.replace(tzinfo=None) - (moment.utcoffset() or EPOCH - EPOCH)
    return (moment - EPOCH).total_seconds()


def visible_length(text: str) -> int:
    """Characters a reader sees: a thumbs-up with a skin tone is one."""
    return len(_INVISIBLE.sub("", text.strip()))


@dataclass(slots=True)
class Line:
    """One message of an example as it is written out."""

    role: str
    """``system``, ``user`` (anyone but you, and the opener) or ``assistant`` (you)."""
    speaker: str
    """Who says it, as transcripts show it; empty for the persona line and the opener."""
    text: str
    content: str
    """What a chat format shows: in groups, other people's words start with their name."""
    tokens: int
    rendered: str | None = None
    """This line in the output format, cached: it recurs in many examples' context."""


@dataclass(slots=True)
class Turn:
    """What one person said in a row."""

    speaker_id: int | None
    is_me: bool
    texts: list[str]
    start: float
    end: float
    message_ids: list[int]
    follows_missing: bool = False
    """The words come right after a photo or a bare link that the dataset leaves out."""
    line: Line | None = None
    """The turn as the dataset shows it (redacted), made when first used."""

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


@dataclass(slots=True)
class Session:
    """A run of turns in one conversation with no silence longer than the gap."""

    conversation: Conversation
    index: int
    """Position of the session in its conversation, from 0."""
    turns: list[Turn] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0

    @property
    def key(self) -> tuple[int, int]:
        return (self.conversation.id, self.index)


class Sessionizer:
    """Splits conversations into sessions, applying the message filters and counting them."""

    def __init__(self, options: BuildOptions, me_ids: frozenset[int]) -> None:
        self.gap = options.gap
        self.window = options.merge_window
        self.me_ids = me_ids
        self.kind_filters = {
            kind: name for kind, name in _KIND_FILTERS.items() if options.uses(name)
        }
        self.link_only = options.uses("link-only")
        self.empty = options.uses("empty")
        self.removed: Counter[str] = Counter()
        """Messages (or, for ``empty``, turns) each filter removed."""
        self.messages_read = 0
        self.merged = 0
        """Messages joined onto the turn before them."""
        self.gaps: Counter[str] = Counter()
        """Silences between consecutive messages, by size: evidence for choosing the gap."""

    def sessions(self, conversation: Conversation, rows: Iterable[Row]) -> Iterator[Session]:
        """The conversation's sessions, in time order, without empty ones."""
        session: Session | None = None
        index = 0
        last_time: float | None = None
        missing = False
        for _id, sender, _sent_at, sort_key, kind, text in rows:
            self.messages_read += 1
            moment = seconds(sort_key)
            if last_time is not None:
                self.gaps[_gap_bucket(moment - last_time)] += 1
            if session is None or last_time is None or moment - last_time > self.gap:
                if session is not None:
                    yield from self._finish(session)
                    index += 1
                session = Session(conversation, index, start=moment, end=moment)
                missing = False
            last_time = moment
            session.end = moment
            dropped = self.kind_filters.get(kind)
            if dropped is None and self.link_only and kind == "text" and LINK_ONLY.fullmatch(text):
                dropped = "link-only"
            if dropped is not None:
                self.removed[dropped] += 1
                missing = dropped in _MISSING
                continue
            turns = session.turns
            previous = turns[-1] if turns else None
            if (
                previous is not None
                and previous.speaker_id == sender
                and moment - previous.end <= self.window
            ):
                previous.texts.append(text)
                previous.message_ids.append(_id)
                previous.end = moment
                previous.follows_missing = previous.follows_missing or missing
                self.merged += 1
            else:
                turns.append(
                    Turn(sender, sender in self.me_ids, [text], moment, moment, [_id], missing)
                )
            missing = False
        if session is not None:
            yield from self._finish(session)

    def _finish(self, session: Session) -> Iterator[Session]:
        if self.empty:
            kept = [turn for turn in session.turns if visible_length(turn.text) > 1]
            self.removed["empty"] += len(session.turns) - len(kept)
            session.turns = kept
        if session.turns:
            yield session


GAP_BUCKETS = (
    (5 * 60, "under 5m"),
    (3600, "5m-1h"),
    (3 * 3600, "1h-3h"),
    (6 * 3600, "3h-6h"),
    (86400, "6h-1d"),
)


def _gap_bucket(silence: float) -> str:
    for limit, name in GAP_BUCKETS:
        if silence < limit:
            return name
    return "1d or more"
