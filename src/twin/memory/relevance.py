"""Which recalled passages the twin would use for a question, and why the others are left out.

`twin recall` and `twin ask` must agree: both ask `recall_for_prompt`, and this says, for every
passage `twin recall` lists, whether the twin's prompt gets it and if not, why.
"""

from __future__ import annotations

from collections.abc import Sequence

from twin.memory.embeddings import Embeds
from twin.memory.recall import MEMORY_SLOT_LIMIT, RELEVANCE, Passage, recall, recall_for_prompt
from twin.vault.vault import Vault


def used_by_twin(vault: Vault, embedder: Embeds, query: str) -> set[int]:
    """The ids of the passages the twin's prompt gets for `query` (`recall_for_prompt`)."""
    return {passage.chunk_id for passage in recall_for_prompt(vault, embedder, query)}


def why_left_out(passage: Passage, used: set[int]) -> str | None:
    """Why the twin doesn't use `passage` for the question; None when it does."""
    if passage.chunk_id in used:
        return None
    if not passage.keyword and not passage.in_span and passage.similarity < RELEVANCE:
        return (
            f"too far from the question for the twin: similarity {passage.similarity:.2f} is "
            f"under {RELEVANCE:.2f} and it shares no word with it"
        )
    return f"relevant, but the twin's prompt takes only the best {MEMORY_SLOT_LIMIT}"


def nothing_used_because(vault: Vault, embedder: Embeds, query: str) -> str:
    """Why the twin recalled nothing for `query`, in one line, naming the closest passage."""
    closest: Sequence[Passage] = recall(vault, embedder, query, 1)
    if not closest:
        return "nothing to recall: add entries with `twin journal add` or `twin notes import`"
    best = closest[0]
    return (
        f"the closest passage ({best.date[:10]}, similarity {best.similarity:.2f}) is under the "
        f"{RELEVANCE:.2f} a passage needs and shares no word with the question; "
        "`twin recall` lists the candidates"
    )
