"""Holding out the latest sessions for validation, so nothing leaks between train and val.

Sessions are ordered by when they start; the latest `val_fraction` of them (counted in
examples) are held out. The cutoff is the start of the first held-out session: training keeps
only sessions that ended before it. A session from another conversation that was still going
on at the cutoff belongs to neither (it is counted as ``straddling``), so every validation
session is later than every training session and no session is in both.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SessionSpan:
    """When a session ran and how many examples it gave."""

    key: tuple[int, int]
    start: float
    end: float
    examples: int


@dataclass(frozen=True)
class Split:
    train: frozenset[tuple[int, int]]
    val: frozenset[tuple[int, int]]
    straddling: frozenset[tuple[int, int]]
    cutoff: float | None
    """Seconds since 1970 at which validation begins; None when nothing is held out."""


def split_sessions(spans: list[SessionSpan], val_fraction: float) -> Split:
    """Decide which sessions train and which validate (see the module docstring)."""
    spans = [span for span in spans if span.examples]
    ordered = sorted(spans, key=lambda span: (span.start, span.key))
    total = sum(span.examples for span in ordered)
    wanted = round(total * val_fraction)
    if wanted == 0 or len(ordered) < 2:
        return Split(frozenset(s.key for s in ordered), frozenset(), frozenset(), None)
    held = 0
    first_val = len(ordered)
    while first_val > 1 and held < wanted:
        first_val -= 1
        held += ordered[first_val].examples
    cutoff = ordered[first_val].start
    train, val, straddling = set(), set(), set()
    for span in ordered:
        if span.start >= cutoff:
            val.add(span.key)
        elif span.end < cutoff:
            train.add(span.key)
        else:
            straddling.add(span.key)
    return Split(frozenset(train), frozenset(val), frozenset(straddling), cutoff)
