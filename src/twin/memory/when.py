"""The time a question asks about: "this week", "yesterday", "last month" as a span of dates.

Recall uses the span to favour passages dated inside it (journal entries, notes, messages), and
leaves the phrase out of the keyword search, so "week" does not match every note that says
"week". Spans are in the person's local calendar; weeks start on Monday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class Span:
    """Dates from `start` up to, not including, `end`, and the words that named them."""

    start: date
    end: date
    phrase: str

    def holds(self, moment: str) -> bool:
        """Whether an ISO 8601 date or date-time string falls inside the span."""
        return self.start.isoformat() <= moment[:10] < self.end.isoformat()


def _month_start(day: date, back: int = 0) -> date:
    month = day.month - 1 - back
    return date(day.year + month // 12, month % 12 + 1, 1)


def _span(words: str, today: date) -> tuple[date, date] | None:
    week_start = today - timedelta(days=today.weekday())
    tomorrow = today + timedelta(days=1)
    if words == "today" or words == "tonight" or words == "this morning":
        return today, tomorrow
    if words in ("yesterday", "last night"):
        return today - timedelta(days=1), today
    if words == "this week":
        return week_start, tomorrow
    if words == "last week":
        return week_start - timedelta(days=7), week_start
    if words == "this weekend":
        saturday = week_start + timedelta(days=5)
        return saturday, saturday + timedelta(days=2)
    if words == "last weekend":
        saturday = week_start - timedelta(days=2)
        return saturday, saturday + timedelta(days=2)
    if words == "this month":
        return _month_start(today), tomorrow
    if words == "last month":
        return _month_start(today, 1), _month_start(today)
    if words == "this year":
        return date(today.year, 1, 1), tomorrow
    if words == "last year":
        return date(today.year - 1, 1, 1), date(today.year, 1, 1)
    if words in ("recently", "lately", "these days"):
        return today - timedelta(days=14), tomorrow
    if words.startswith(("on ", "last ")) and words.split()[1] in WEEKDAYS:
        # "on Monday" and "last Monday": the latest one before today
        back = (today.weekday() - WEEKDAYS.index(words.split()[1])) % 7 or 7
        day = today - timedelta(days=back)
        return day, day + timedelta(days=1)
    number = re.fullmatch(r"(?:in )?the (?:last|past) (\d{1,3}) days", words)
    if number:
        return today - timedelta(days=int(number.group(1))), tomorrow
    return None


_PHRASE = re.compile(
    r"\b(today|tonight|this morning|yesterday|last night|(?:this|last) (?:week(?:end)?|month|year)"
    r"|recently|lately|these days|(?:on|last) (?:" + "|".join(WEEKDAYS) + r")"
    r"|(?:in )?the (?:last|past) \d{1,3} days)\b",
    re.IGNORECASE,
)


def asked_span(question: str, now: datetime | None = None) -> Span | None:
    """The span of dates `question` asks about, if it names one; the first one it names."""
    found = _PHRASE.search(question)
    if found is None:
        return None
    today = (now or datetime.now().astimezone()).date()
    span = _span(found.group(1).casefold(), today)
    return Span(span[0], span[1], found.group(0)) if span else None


def without_span(question: str, span: Span | None) -> str:
    """The question with the words that named its span taken out."""
    return question.replace(span.phrase, " ") if span else question
