"""Recall: the passages that best answer a query, by meaning and by words at once.

Two searches run on the same passages: nearest vectors in sqlite-vec (cosine distance over
all-MiniLM-L6-v2 embeddings) and BM25 keyword search in FTS5. Their rankings are fused by
reciprocal rank fusion, ``score = sum(1 / (RRF_K + rank))``, which needs no score calibration
between the two. The vector search is exact on small vaults and visits a few lists of
passages on big ones (`twin.memory.vectors`). A question naming a time ("this week") adds a
third ranking: the passages dated then, by meaning (`twin.memory.when`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np

from twin.memory import vectors
from twin.memory.embeddings import Embeds
from twin.memory.index import index_notes, unindexed_notes
from twin.memory.keywords import STOPWORDS as STOPWORDS  # shared with the guards
from twin.memory.keywords import exact_words, match_any, search_words
from twin.memory.keywords import keyword_query as keyword_query
from twin.memory.when import Span, asked_span, without_span
from twin.vault.vault import Vault

RRF_K = 60
"""The usual constant of reciprocal rank fusion: it damps the weight of the very first ranks."""
CANDIDATES = 30
"""How deep each of the two rankings goes before fusion."""
MEMORY_SLOT_LIMIT = 4
"""Passages put into the memory slot of a prompt at most."""
RELEVANCE = 0.3
"""Cosine similarity from which a recalled passage counts as relevant (keyword hits always do)."""

KEYWORD_BUDGET = 3_000
"""Passages the keyword search may score at most: the rarest words of a question are searched
while their passages together stay within it (`_searchable`)."""
FORM_MATCH_SIMILARITY = 0.15
"""A passage that shares a word of the question only in another form ("made" for "make",
"cooked" for "cooking") counts as a keyword hit from this cosine similarity on; one that shares
a word as written always does."""
SPAN_CANDIDATES = 1_000
"""When a question names a time ("this week"), how many of that time's passages, newest first,
are ranked by meaning as a third ranking beside the vector and keyword ones."""


@dataclass(slots=True)
class Passage:
    """One recalled passage and where it came from."""

    chunk_id: int
    source: str
    """Where it comes from: ``journal``, ``markdown: trips/norway.md``, ``whatsapp: Ann``."""
    date: str
    """ISO 8601 date (and time) of the note, entry or message."""
    title: str
    heading: str
    text: str
    private: bool
    score: float
    """Reciprocal-rank-fusion score; higher is better."""
    similarity: float
    """Cosine similarity of the passage to the query, from -1 to 1."""
    keyword: bool
    """Whether the keyword search found it too."""
    owner: str
    owner_id: int
    in_span: bool = False
    """Whether it is dated inside the time the question names ("this week")."""

    def describe(self, *, hide_private: bool = False) -> dict[str, Any]:
        """The public JSON shape: source, date and passage first."""
        return {
            "source": self.source,
            "date": self.date,
            "passage": "(private entry)" if (hide_private and self.private) else self.text,
            "title": self.title,
            "heading": self.heading,
            "private": self.private,
            "score": round(self.score, 5),
            "similarity": round(self.similarity, 4),
            "id": self.chunk_id,
            "in_asked_time": self.in_span,
        }


def _nearest(vault: Vault, query: bytes, depth: int) -> list[tuple[int, float]]:
    return vectors.nearest(vault, query, depth)


def _distances(vault: Vault, query: bytes, ids: list[int]) -> list[tuple[int, float]]:
    return vectors.distances(vault, query, ids)


def _searchable(vault: Vault, words: list[str]) -> list[str]:
    """The rarest of `words` whose passages together stay within `KEYWORD_BUDGET`.

    BM25 scores every passage holding a word before it can rank them, so on a big index one
    common word ("went" in a million messages) costs 100s of milliseconds, and says little
    about which passage answers: such words are left to the vector search.
    """
    db = vault.db
    db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocabulary "
        "USING fts5vocab(main, 'chunks_fts', 'row')"
    )
    marks = ",".join("?" * len(words))
    counts = dict(
        db.execute(f"SELECT term, doc FROM temp.chunks_vocabulary WHERE term IN ({marks})", words)
    )
    kept, total = [], 0
    for word in sorted(counts, key=counts.__getitem__):
        total += counts[word]
        if total > KEYWORD_BUDGET:
            break
        kept.append(word)
    return kept


def _keyword(vault: Vault, text: str, depth: int) -> tuple[list[int], set[int]]:
    """The passages sharing a word with `text` in any of its forms, best first (BM25), and
    those among them that share a word as written."""
    words = search_words(text)
    kept = _searchable(vault, words) if words else []
    query = match_any(kept)
    if query is None:
        return [], set()
    ranked = [
        int(i)
        for (i,) in vault.db.execute(
            "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
            (query, depth),
        )
    ]
    exact = match_any([word for word in exact_words(text) if word in kept])
    if not ranked or exact is None:
        return ranked, set()
    marks = ",".join("?" * len(ranked))
    as_written = {
        int(i)
        for (i,) in vault.db.execute(
            f"SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid IN ({marks})",
            (exact, *ranked),
        )
    }
    return ranked, as_written


def fuse(*rankings: list[int], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion of rankings (best first): id → score."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


_DETAILS = """
SELECT chunks.id, chunks.owner, chunks.owner_id, chunks.heading, chunks.text,
       CASE chunks.owner
         WHEN 'note' THEN CASE notes.source WHEN 'journal' THEN 'journal'
                          ELSE notes.source || ': ' || notes.location END
         ELSE conversations.source || ': ' || conversations.title END AS source,
       coalesce(notes.created_at, messages.sent_at) AS date,
       coalesce(notes.title, conversations.title, '') AS title,
       coalesce(notes.private, 0) AS private
FROM chunks
LEFT JOIN notes ON chunks.owner = 'note' AND notes.id = chunks.owner_id
LEFT JOIN messages ON chunks.owner = 'message' AND messages.id = chunks.owner_id
LEFT JOIN conversations ON conversations.id = messages.conversation_id
WHERE chunks.id IN ({marks})
"""


_NOTHING_WAITING: WeakKeyDictionary[Vault, tuple[int, int]] = WeakKeyDictionary()


def _index_waiting_notes(vault: Vault, embedder: Embeds) -> None:
    """Index entries saved without passages (`twin journal add` saves first), before searching.
    The look costs a scan of the notes, so it is made again only once the vault has changed."""
    if _NOTHING_WAITING.get(vault) == vectors.vault_state(vault):
        return
    waiting = unindexed_notes(vault)
    if not waiting:
        _NOTHING_WAITING[vault] = vectors.vault_state(vault)
        return
    if vault.db.in_transaction:  # part of a caller's write: theirs to commit
        index_notes(vault, embedder, waiting)
        return
    with vault.transaction():
        index_notes(vault, embedder, waiting)


def _in_span(vault: Vault, query: bytes, span: Span, depth: int) -> list[tuple[int, float]]:
    """The passages dated inside `span` nearest the query, nearest first (the newest
    `SPAN_CANDIDATES` of them)."""
    ids = [
        int(i)
        for (i,) in vault.db.execute(
            "SELECT id FROM chunks WHERE date >= ? AND date < ? ORDER BY date DESC LIMIT ?",
            (span.start.isoformat(), span.end.isoformat(), SPAN_CANDIDATES),
        )
    ]
    return _distances(vault, query, ids)[:depth]


def recall(
    vault: Vault,
    embedder: Embeds,
    query: str,
    limit: int = 5,
    *,
    include_private: bool = True,
    now: datetime | None = None,
) -> list[Passage]:
    """The `limit` passages that best answer `query`, best first.

    A question that names a time ("this week", "yesterday", `twin.memory.when`) ranks the
    passages dated then as a third ranking and marks them `in_span`; the time's words are left
    out of the keyword search.
    """
    if not query.strip():
        return []
    _index_waiting_notes(vault, embedder)
    vector = embedder.embed([query])[0].astype(np.float32).tobytes()
    depth = max(CANDIDATES, limit * 3)
    span = asked_span(query, now)
    nearest = _nearest(vault, vector, depth)
    matched, as_written = _keyword(vault, without_span(query, span), depth)
    dated = _in_span(vault, vector, span, depth) if span else []
    distance = dict(nearest) | dict(dated)
    distance.update(_distances(vault, vector, [i for i in matched if i not in distance]))
    # A word shared only in another form ("made" for "make") is a guess; meaning confirms it.
    words = [
        i for i in matched if i in as_written or 1.0 - distance.get(i, 1.0) >= FORM_MATCH_SIMILARITY
    ]
    scores = fuse([i for i, _ in nearest], words, [i for i, _ in dated])
    if not scores:
        return []
    marks = ",".join("?" * len(scores))
    found = {int(str(row["id"])): row for row in vault.rows(_DETAILS.format(marks=marks), *scores)}
    keyword_hits = set(words)
    passages = [
        Passage(
            chunk_id=i,
            source=str(row["source"]),
            date=str(row["date"]),
            title=str(row["title"]),
            heading=str(row["heading"]),
            text=str(row["text"]),
            private=bool(row["private"]),
            score=scores[i],
            similarity=1.0 - distance.get(i, 1.0),
            keyword=i in keyword_hits,
            owner=str(row["owner"]),
            owner_id=int(str(row["owner_id"])),
            in_span=span is not None and span.holds(str(row["date"])),
        )
        for i, row in found.items()
        if include_private or not row["private"]
    ]
    passages.sort(key=lambda p: (-p.score, -p.similarity))
    return passages[:limit]


def relevant(passages: Sequence[Passage]) -> list[Passage]:
    """The passages that have something to do with the question: close enough in meaning,
    sharing a word with it, or dated in the time it asks about."""
    return [p for p in passages if p.keyword or p.in_span or p.similarity >= RELEVANCE]


def recall_for_prompt(
    vault: Vault,
    embedder: Embeds,
    query: str,
    *,
    include_private: bool = True,
    now: datetime | None = None,
) -> list[Passage]:
    """What goes into the memory slot for `query`: the few best passages that are relevant.

    Chat, `twin ask` and `twin dataset build --memory` all recall through this one function.
    """
    found = recall(
        vault, embedder, query, MEMORY_SLOT_LIMIT, include_private=include_private, now=now
    )
    return relevant(found)
