"""The recall index: passages (chunks) with their vectors in sqlite-vec and words in FTS5.

Re-indexing is incremental by content hash: a passage whose heading and text are unchanged
keeps its row and vector, so editing one paragraph of a long note embeds one passage again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from twin.memory.chunking import Chunk, chunk_markdown, embedding_text
from twin.memory.embeddings import Embeds
from twin.memory.vectors import assign_lists
from twin.vault.vault import Vault

EMBED_BATCH = 256
MIN_MESSAGE_WORDS = 4
"""Shorter messages ("ok see you") say nothing worth recalling."""


@dataclass
class IndexSummary:
    """What one indexing pass did, in passages."""

    added: int = 0
    kept: int = 0
    removed: int = 0

    def __iadd__(self, other: IndexSummary) -> IndexSummary:
        self.added += other.added
        self.kept += other.kept
        self.removed += other.removed
        return self


@dataclass(frozen=True, slots=True)
class _Pending:
    owner: str
    owner_id: int
    position: int
    chunk: Chunk
    date: str
    """When the note, entry or message was written (ISO 8601)."""


def store_vectors(vault: Vault, ids: Sequence[int], vectors: np.ndarray) -> None:
    """Write unit vectors for chunk ids: the full vector and its one-bit-per-dimension sign in
    sqlite-vec, the full vector again in ``chunk_embeddings`` for fast re-ranking, and each
    passage's list of the big-index search (`twin.memory.vectors`)."""
    rows = [
        (chunk_id, vector.tobytes())
        for chunk_id, vector in zip(ids, vectors.astype(np.float32), strict=True)
    ]
    vault.db.executemany(
        "INSERT INTO chunk_vectors (rowid, embedding, coarse) "
        "VALUES (?1, ?2, vec_quantize_binary(?2))",
        rows,
    )
    vault.db.executemany("INSERT INTO chunk_embeddings (chunk_id, embedding) VALUES (?, ?)", rows)
    assign_lists(vault, ids, vectors.astype(np.float32))


def _write(vault: Vault, embedder: Embeds, pending: list[_Pending]) -> None:
    for start in range(0, len(pending), EMBED_BATCH):
        batch = pending[start : start + EMBED_BATCH]
        vectors = embedder.embed([embedding_text(p.chunk) for p in batch])
        ids = []
        for item in batch:
            cursor = vault.db.execute(
                "INSERT INTO chunks (owner, owner_id, position, heading, text, sha256, date) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    item.owner,
                    item.owner_id,
                    item.position,
                    item.chunk.heading,
                    item.chunk.text,
                    item.chunk.sha256,
                    item.date,
                ),
            )
            assert cursor.lastrowid is not None
            ids.append(cursor.lastrowid)
        store_vectors(vault, ids, vectors)


def _plan(
    vault: Vault, owner: str, owner_id: int, date: str, chunks: list[Chunk], summary: IndexSummary
) -> Iterator[_Pending]:
    """Keep the passages whose hash is unchanged, drop the rest, yield the new ones."""
    existing: dict[str, list[int]] = {}
    for chunk_id, sha in vault.db.execute(
        "SELECT id, sha256 FROM chunks WHERE owner = ? AND owner_id = ? ORDER BY position",
        (owner, owner_id),
    ):
        existing.setdefault(sha, []).append(chunk_id)
    for position, chunk in enumerate(chunks):
        same = existing.get(chunk.sha256)
        if same:
            vault.db.execute(
                "UPDATE chunks SET position = ?, date = ? WHERE id = ?",
                (position, date, same.pop(0)),
            )
            summary.kept += 1
        else:
            yield _Pending(owner, owner_id, position, chunk, date)
    stale = [chunk_id for ids in existing.values() for chunk_id in ids]
    vault.db.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in stale])
    summary.removed += len(stale)


def unindexed_notes(vault: Vault) -> list[int]:
    """Notes and journal entries saved without passages yet (`twin journal add` saves first)."""
    return [
        note_id
        for (note_id,) in vault.db.execute(
            "SELECT id FROM notes WHERE trim(text) != '' AND NOT EXISTS "
            "(SELECT 1 FROM chunks WHERE owner = 'note' AND owner_id = notes.id)"
        )
    ]


def index_notes(
    vault: Vault, embedder: Embeds, note_ids: Iterable[int] | None = None
) -> IndexSummary:
    """Bring the passages of these notes (all notes by default) up to date with their text.

    Call inside a transaction so notes and their index change together.
    """
    summary = IndexSummary()
    if note_ids is None:
        rows = vault.db.execute(
            "SELECT id, title, text, created_at FROM notes ORDER BY id"
        ).fetchall()
    else:
        wanted = list(note_ids)
        rows = []
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            rows += vault.db.execute(
                f"SELECT id, title, text, created_at FROM notes WHERE id IN ({marks})", part
            ).fetchall()
    pending: list[_Pending] = []
    for note_id, title, text, created_at in rows:
        chunks = chunk_markdown(text, title)
        pending.extend(_plan(vault, "note", note_id, created_at, chunks, summary))
    _write(vault, embedder, pending)
    summary.added += len(pending)
    return summary


def index_messages(vault: Vault, embedder: Embeds) -> IndexSummary:
    """Add the text messages not yet in the recall index (one passage each), by choice only."""
    summary = IndexSummary()
    rows = vault.db.execute(
        "SELECT messages.id, conversations.title, messages.text, messages.sent_at FROM messages "
        "JOIN conversations ON conversations.id = conversation_id "
        "WHERE kind = 'text' AND messages.id NOT IN "
        "(SELECT owner_id FROM chunks WHERE owner = 'message') ORDER BY messages.id"
    ).fetchall()
    pending = [
        _Pending("message", message_id, 0, chunk, sent_at)
        for message_id, title, text, sent_at in rows
        if len(text.split()) >= MIN_MESSAGE_WORDS
        for chunk in chunk_markdown(text, title)[:1]
    ]
    _write(vault, embedder, pending)
    summary.added = len(pending)
    return summary


def index_counts(vault: Vault) -> dict[str, int]:
    """How many passages the index holds, by what they come from."""
    counts = dict(vault.db.execute("SELECT owner, count(*) FROM chunks GROUP BY owner").fetchall())
    return {"note": counts.get("note", 0), "message": counts.get("message", 0)}
