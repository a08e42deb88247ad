"""Feedback on the twin's replies: thumbs, "I would have said …", and the pairs they make.

Every place the person judges a reply calls `record_feedback`: `twin chat`'s ``/good``,
``/bad`` and ``/said TEXT``, the hub's thumbs, a blind-test pick, a rejected draft of
`twin dataset expand`. It is stored in the vault (table ``feedback``), so it is encrypted,
exported and forgotten with everything else.

What training takes from it:

- `preference_pairs`: for DPO (`twin train --preferences`). A correction gives the pair
  (chosen: the correction, rejected: the reply); a good and a bad reply to the same context
  give (chosen: the good one, rejected: the bad one). A lone thumbs-down without a correction
  and without a good reply to set against it makes no pair. A blind-test pick's correction
  (your real held-out reply) makes none either: evaluation measures those replies.
- `corrections` (`twin.dataset.corrections`): each correction, and each accepted draft of
  `twin dataset expand`, becomes a plain supervised example in the person's voice in the next
  `twin dataset build`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from twin.dataset.corrections import Correction as Correction
from twin.dataset.corrections import corrections as corrections
from twin.errors import TwinError
from twin.memory.embeddings import Embeds
from twin.train.dpo import Preference
from twin.vault.vault import Vault

Verdict = Literal["good", "bad"]
SOURCES = frozenset({"chat", "hub", "blind-test", "expand"})
"""Where feedback comes from."""


@dataclass(frozen=True)
class PreferencePair:
    """One preference: to `prompt`, the person prefers `chosen` over `rejected`."""

    prompt: list[dict[str, str]]
    """The conversation the reply answered, as chat turns."""
    chosen: str
    rejected: str
    feedback_ids: tuple[int, ...]
    """The feedback rows the pair comes from."""


def _context(context: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    turns = []
    for turn in context:
        role = str(turn.get("role", ""))
        if role not in {"user", "assistant", "system"}:
            raise TwinError(
                f"feedback: a turn's role must be user, assistant or system, not {role!r}"
            )
        turns.append({"role": role, "content": str(turn.get("content") or "")})
    if not turns:
        raise TwinError("feedback: the reply's context is empty")
    return turns


def _key(turns: list[dict[str, str]]) -> bytes:
    canonical = json.dumps(turns, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def record_feedback(
    vault: Vault,
    *,
    context: list[dict[str, str]],
    reply: str,
    verdict: Literal["good", "bad"],
    correction: str | None = None,
    source: str = "chat",
) -> int:
    """Store the person's judgement of `reply` (to the turns in `context`); its id."""
    if verdict not in {"good", "bad"}:
        raise TwinError(f"feedback: verdict must be good or bad, not {verdict!r}")
    if source not in SOURCES:
        raise TwinError(
            f"feedback: unknown source {source!r} (one of {', '.join(sorted(SOURCES))})"
        )
    if not reply.strip():
        raise TwinError("feedback: the reply is empty")
    correction = correction.strip() if correction is not None else None
    if correction == "":
        raise TwinError("feedback: the correction is empty")
    turns = _context(context)
    with vault.transaction():
        cursor = vault.db.execute(
            "INSERT INTO feedback (created_at, source, context, context_key, reply, verdict, "
            "correction) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                datetime.now(UTC).isoformat(timespec="seconds"),
                source,
                json.dumps(turns, ensure_ascii=False),
                _key(turns),
                reply,
                verdict,
                correction,
            ),
        )
    return int(cursor.lastrowid or 0)


def preference_pairs(vault: Vault) -> list[PreferencePair]:
    """Every preference pair the stored feedback makes, oldest first."""
    rows = vault.db.execute(
        "SELECT id, context, context_key, reply, verdict, correction, source FROM feedback "
        "ORDER BY id"
    ).fetchall()
    pairs: list[PreferencePair] = []
    good: dict[bytes, list[tuple[int, str]]] = {}
    bad: dict[bytes, list[tuple[int, str]]] = {}
    contexts: dict[bytes, list[dict[str, str]]] = {}
    for ident, context, key, reply, verdict, correction, source in rows:
        turns = json.loads(context)
        contexts[bytes(key)] = turns
        # A blind-test "correction" is the real held-out reply: preferring it would train on
        # what evaluation measures.
        if correction and correction.strip() != reply.strip() and source != "blind-test":
            pairs.append(PreferencePair(turns, correction, reply, (ident,)))
        (good if verdict == "good" else bad).setdefault(bytes(key), []).append((ident, reply))
    for key, rejected in bad.items():
        for bad_id, bad_reply in rejected:
            for good_id, good_reply in good.get(key, []):
                if good_reply.strip() != bad_reply.strip():
                    pairs.append(
                        PreferencePair(contexts[key], good_reply, bad_reply, (good_id, bad_id))
                    )
    return pairs


def feedback_counts(vault: Vault) -> dict[str, int]:
    """How much feedback there is: good, bad, corrections."""
    row = vault.db.execute(
        "SELECT COALESCE(SUM(verdict = 'good'), 0), COALESCE(SUM(verdict = 'bad'), 0), "
        "COUNT(correction) FROM feedback"
    ).fetchone()
    return {"good": int(row[0]), "bad": int(row[1]), "corrections": int(row[2])}


def dpo_preferences(vault: Vault, embedder: Embeds) -> list[Preference]:
    """The preference pairs with the prompt the twin answered from: the system message chat
    builds (persona, passages recalled for the last thing said, rule), then the turns."""
    from twin.memory.recall import recall_for_prompt
    from twin.persona.persona import load_persona
    from twin.persona.prompt import build_messages

    persona = load_persona(vault)
    out = []
    for pair in preference_pairs(vault):
        query = next((t["content"] for t in reversed(pair.prompt) if t["role"] == "user"), "")
        passages = recall_for_prompt(vault, embedder, query) if query.strip() else []
        prompt = build_messages(persona, passages, pair.prompt)
        out.append(Preference(prompt, pair.chosen, pair.rejected))
    return out
