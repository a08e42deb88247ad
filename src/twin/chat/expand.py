"""Expanding a small dataset with the person's help (`twin dataset expand`).

The twin drafts its reply to everyday openers shipped with twin (`OPENERS`: plans, opinions,
feelings, small talk, refusals, a few hundred written for twin, not taken from anyone's
messages), and the person accepts, edits or rejects each draft. Every decision is stored as
feedback (source ``expand``, `twin.chat.feedback`): an accepted draft as a good reply, an
edited one as a correction (the edit in the person's voice, the draft as what not to say), a
rejected one as a bad reply. Corrections become examples in the person's voice and, with the
good and bad replies, preference pairs for `twin train --preferences`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from twin.chat.feedback import record_feedback
from twin.chat.twin import Twin

OPENERS = Path(__file__).resolve().parents[1] / "samples" / "openers.txt"
"""The shipped openers, one a line."""

Decision = tuple[Literal["accept", "edit", "reject", "skip", "stop"], str | None]
"""What the person decided about a draft, and the edited text for ``edit``."""


def load_openers(path: Path = OPENERS) -> list[str]:
    """The openers in `path`: one a line, ``#`` lines and blank lines left out."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def already_asked(twin: Twin) -> set[str]:
    """Openers the person already judged in an earlier round."""
    import json

    rows = twin.vault.db.execute("SELECT context FROM feedback WHERE source = 'expand'")
    return {json.loads(context)[-1]["content"] for (context,) in rows}


@dataclass
class Expanded:
    """What one round of `expand` did."""

    accepted: int = 0
    edited: int = 0
    rejected: int = 0
    skipped: int = 0
    feedback_ids: list[int] = field(default_factory=list)


def expand(
    twin: Twin,
    decide: Callable[[str, str], Decision],
    *,
    count: int = 20,
    seed: int | None = None,
    openers: list[str] | None = None,
) -> Expanded:
    """Draft replies to up to `count` openers not yet judged, and store what `decide` says."""
    pool = [o for o in (openers or load_openers()) if o not in already_asked(twin)]
    random.Random(seed).shuffle(pool)
    done = Expanded()
    for opener in pool[:count]:
        context = [{"role": "user", "content": opener}]
        draft = twin.ask(context).text
        action, text = decide(opener, draft)
        if action == "stop":
            break
        if action == "skip":
            done.skipped += 1
            continue
        verdict: Literal["good", "bad"] = "good" if action == "accept" else "bad"
        correction = text if action == "edit" else None
        done.feedback_ids.append(
            record_feedback(
                twin.vault,
                context=context,
                reply=draft,
                verdict=verdict,
                correction=correction,
                source="expand",
            )
        )
        if action == "accept":
            done.accepted += 1
        elif action == "edit":
            done.edited += 1
        else:
            done.rejected += 1
    return done
