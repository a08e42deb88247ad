"""Your corrections as training examples: what you would have said, in your own voice.

Feedback on the twin's replies is stored in the vault (table ``feedback``, written by
`twin.chat.feedback`). Two kinds of it say what the person *would* say in a context, and the
next `twin dataset build` trains on both as plain supervised examples:

- a **correction**: ``/said TEXT`` in `twin chat`, an "I would have said" in the hub, a draft
  edited in `twin dataset expand`; the target is the person's text;
- an **accepted draft** of `twin dataset expand`: the person read the twin's reply to an
  everyday opener and kept it as theirs.

A blind-test pick's "correction" is your real held-out reply: it never trains, or
evaluation would measure replies the twin trained on.

Each example is the conversation the reply answered, with the system message the twin chatted
with (persona, recalled passages, rule: `twin.dataset.memory_slot`), and the person's text as
the target. They go to the training split only (evaluation measures real held-out replies),
redacted like everything else, and the dataset card counts them and gives their share.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from twin.dataset.formats import Example
from twin.dataset.sessions import Line
from twin.dataset.tokens import MESSAGE_OVERHEAD, TokenCounter
from twin.vault.vault import Vault

LABEL = "corrections"
"""How the dataset card names these examples."""
CORRECTED = "corrected"
ACCEPTED = "accepted"


@dataclass(frozen=True)
class Correction:
    """What the person would have said to `prompt` (chat turns, oldest first)."""

    prompt: list[dict[str, str]]
    reply: str
    feedback_id: int
    kind: str = CORRECTED
    """``corrected`` (their own text) or ``accepted`` (a draft of the twin they kept)."""
    original: str = ""
    """The twin's reply the feedback was about."""


def corrections(vault: Vault) -> list[Correction]:
    """Every "I would have said …", oldest first."""
    return [c for c in in_your_voice(vault) if c.kind == CORRECTED]


def in_your_voice(vault: Vault) -> list[Correction]:
    """Every correction and every accepted `expand` draft, oldest first."""
    rows = vault.db.execute(
        "SELECT id, context, reply, correction FROM feedback WHERE source != 'blind-test' AND "
        "(correction IS NOT NULL OR (source = 'expand' AND verdict = 'good')) ORDER BY id"
    )
    found = []
    for ident, context, reply, correction in rows:
        kind = CORRECTED if correction is not None else ACCEPTED
        text = str(correction if correction is not None else reply)
        found.append(Correction(json.loads(context), text, int(ident), kind, str(reply)))
    return found


def correction_examples(
    vault: Vault,
    system: Callable[[str], str],
    redact: Callable[[str, str], str],
    counter: TokenCounter,
    *,
    me: str,
    max_tokens: int,
) -> tuple[list[Example], list[Correction]]:
    """The examples the corrections make, and the corrections used.

    `system` gives the system message for the last thing said before the reply. Where that
    message, the last thing said and the reply do not fit `max_tokens` together, the system
    message is the one chat uses when nothing is recalled (``system("")``: persona and rule),
    as a conversation's example falls back to its persona line. Older turns are left out to
    fit; a correction that does not fit even so is left out. The same context and text given
    twice make one example.
    """
    examples: list[Example] = []
    used: list[Correction] = []
    seen: set[tuple[str, str]] = set()

    def line(role: str, speaker: str, text: str) -> Line:
        return Line(role, speaker, text, text, counter.count(text) + MESSAGE_OVERHEAD)

    for correction in in_your_voice(vault):
        turns = [t for t in correction.prompt if t.get("role") in {"user", "assistant"}]
        key = (json.dumps(turns, sort_keys=True), correction.reply.strip())
        if not turns or key in seen:
            continue
        seen.add(key)
        where = f"feedback {correction.feedback_id}"
        query = next((t["content"] for t in reversed(turns) if t["role"] == "user"), "")
        target = line("assistant", me, redact(correction.reply, f"{where}, your reply"))
        said = [
            line(
                turn["role"],
                me if turn["role"] == "assistant" else "",
                redact(turn["content"], f"{where}, turn {number + 1}"),
            )
            for number, turn in enumerate(turns)
        ]
        head = line("system", "", system(query))
        if head.tokens + said[-1].tokens + target.tokens > max_tokens and query:
            head = line("system", "", system(""))
        room = max_tokens - head.tokens - target.tokens
        context: list[Line] = []
        for turn_line in reversed(said):
            if turn_line.tokens > room:
                break
            room -= turn_line.tokens
            context.insert(0, turn_line)
        if not context or room < 0:
            continue
        examples.append(Example(head, context, target))
        used.append(correction)
    return examples, used
