"""What the person's corrections did: does the twin now say something close to them?

A correction (``/said`` in `twin chat`, the hub, an edited or accepted draft of `twin dataset
expand`) says what the person would have said in one context. The next `twin dataset build`
trains on it and `twin train --preferences` prefers it over the reply it corrected. For each
correction given before the evaluated run was trained (the latest `Sizes.corrections`), the
twin and its base model reply to the same context again, and each reply is compared with the
correction: cosine similarity of their all-MiniLM-L6-v2 embeddings, *close* from `CLOSE`. The
similarity of the corrected reply itself is the "before" figure: a correction did its work
when the new reply is closer to it than the reply it corrected was. `in_words` says that in a
sentence, with the base model (which never saw a correction) as the yardstick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from twin.dataset.corrections import Correction, in_your_voice
from twin.memory.embeddings import Embeds
from twin.vault.vault import Vault
from twin.words import plural

CLOSE = 0.6
"""Cosine similarity from which a reply says something close to the correction (the same
threshold as the grounding guard's support)."""
CLEAR = 0.05
"""A change of mean similarity smaller than this says nothing either way."""


@dataclass
class CorrectionCheck:
    """One correction, the reply it corrected, and what each model says now."""

    feedback_id: int
    said_to: str
    """The last thing said before the corrected reply."""
    correction: str
    corrected: str
    """The reply the person corrected (or, for an accepted draft, the draft itself)."""
    corrected_similarity: float
    replies: dict[str, str] = field(default_factory=dict)
    similarity: dict[str, float] = field(default_factory=dict)


def given_before(
    vault: Vault, created: float | None, limit: int, dataset: str | None = None
) -> list[Correction]:
    """The latest `limit` corrections given before `created` (seconds since 1970; all when
    None) and, with `dataset`, in that dataset (a run trained after a correction, on a dataset
    built before it, never saw it). Accepted drafts say nothing the twin didn't already say,
    so only real ones count."""
    rows = {
        int(ident): str(at) for ident, at in vault.db.execute("SELECT id, created_at FROM feedback")
    }
    trained = _in_dataset(vault, dataset) if dataset is not None else None
    found = [
        c
        for c in in_your_voice(vault)
        if c.original.strip() != c.reply.strip()
        and (created is None or datetime.fromisoformat(rows[c.feedback_id]).timestamp() <= created)
        and (trained is None or c.feedback_id in trained)
    ]
    return found[-limit:] if limit > 0 else []


def _in_dataset(vault: Vault, dataset: str) -> set[int] | None:
    """The feedback rows dataset `dataset` trains on (None when it has no statistics)."""
    from twin.dataset.store import has_file, load_stats

    if not has_file(vault.home, dataset, "stats.json"):
        return None
    used = load_stats(vault, dataset).get("corrections") or {}
    return {int(ident) for ident in used.get("feedback_ids", [])}


def similarity(embedder: Embeds, first: Sequence[str], second: Sequence[str]) -> list[float]:
    """Cosine similarity of each pair (the embeddings are normalised)."""
    if not first:
        return []
    a = np.asarray(embedder.embed(list(first)))
    b = np.asarray(embedder.embed(list(second)))
    return [round(float(x), 4) for x in np.sum(a * b, axis=1)]


def checks(embedder: Embeds, found: Sequence[Correction]) -> list[CorrectionCheck]:
    """A check for each correction, with the corrected reply's similarity filled in."""
    before = similarity(embedder, [c.original for c in found], [c.reply for c in found])
    return [
        CorrectionCheck(
            c.feedback_id,
            next((t["content"] for t in reversed(c.prompt) if t.get("role") == "user"), ""),
            c.reply,
            c.original,
            score,
        )
        for c, score in zip(found, before, strict=True)
    ]


def score(embedder: Embeds, made: list[CorrectionCheck], model: str, replies: list[str]) -> None:
    """Fill in `model`'s replies and their similarity to each correction."""
    scores = similarity(embedder, replies, [c.correction for c in made])
    for check, reply, value in zip(made, replies, scores, strict=True):
        check.replies[model] = reply
        check.similarity[model] = value


def figures(made: Sequence[CorrectionCheck], model: str) -> dict[str, float]:
    """`model`'s figures: share close, share closer than the corrected reply, mean similarity."""
    scored = [c for c in made if model in c.similarity]
    if not scored:
        return {}
    return {
        "checked": float(len(scored)),
        "close": sum(c.similarity[model] >= CLOSE for c in scored) / len(scored),
        "closer_than_before": sum(c.similarity[model] > c.corrected_similarity for c in scored)
        / len(scored),
        "similarity": sum(c.similarity[model] for c in scored) / len(scored),
        "similarity_before": sum(c.corrected_similarity for c in scored) / len(scored),
    }


def in_words(twin: dict[str, float], base: dict[str, float] | None = None) -> str:
    """What the corrections did, as a sentence: `twin`'s `figures`, and the base model's.

    A reply sampled again differs from the one corrected whether or not the twin learned
    anything (and the replies a person corrects are often its worst); the base model, which
    never trained on the corrections, says how close a new reply comes without them. They
    helped only when the twin beats both.
    """
    checked = int(twin["checked"])
    now, before = twin["similarity"], twin["similarity_before"]
    closer = round(twin["closer_than_before"] * checked)
    yardstick = max(before, base["similarity"]) if base else before
    if now - yardstick >= CLEAR and closer * 2 >= checked:
        verdict = "brought the twin closer to what you would have said"
    elif before - now >= CLEAR:
        verdict = "did not take: its replies are further from them than the ones you corrected"
    else:
        verdict = "made no clear difference yet"
    said = (
        f"Your {plural(checked, 'correction')} {verdict} (asked the same again, {closer} of "
        f"{checked} replies closer to your words than the reply you corrected; similarity "
        f"{now:.2f}, the replies you corrected {before:.2f}"
    )
    if base:
        said += f", the base model, which never trained on them, {base['similarity']:.2f}"
    return said + "). The twin trained on these contexts; the held-out figures say the rest."
