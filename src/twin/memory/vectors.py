"""Nearest passages by meaning: exact on small vaults, lists, sign bits and int8 on big ones.

Up to `EXACT_LIMIT` passages, sqlite-vec compares the query with every vector (exact). Above
it, the passages are grouped into lists around k-means centroids (an inverted file, IVF). A
query visits the `PROBE_SHARE` of lists whose centroids are nearest; ranks their passages by
Hamming distance between one-bit-per-dimension signs (48 bytes a passage); scores the best
`RERANK_POOL` of those with their vectors in 8-bit integers; and orders the best of those by
their exact cosine distance, read from ``chunk_embeddings``.

Everything stays in the vault: the centroids (``vector_lists``), each passage's list and int8
vector (``chunk_lists``, narrow, so it reads fast) and the full vectors. A process keeps the
lists, the int8 vectors and their signs in memory (about 450 MB at a million passages) for as
long as the vault is open and the lists unchanged, so a long-lived `twin serve`, hub or `twin
chat` reads them once: writes elsewhere in the vault (a chat turn, feedback) leave them be, and
new or forgotten passages make the next search read them again.

Measured on real all-MiniLM-L6-v2 embeddings of varied sentences with questions as queries
(`bench/recall.py`): questions sit between the passages' clusters, so lists must be visited
generously (at 350k passages in 1,024 lists, the nearest lists holding a tenth of the passages
held 0.96 of the exact top 10, a fifth 0.98; at 100k in 256 lists a fifth held only 0.935);
the signs keep nearly all of those within the pool, and int8 scores order the pool as the exact
vectors do. Reading the pool's exact vectors from the encrypted vault instead of int8 from
memory cost ~20 ms (a page decrypted per passage).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np

from twin.memory.embeddings import DIMENSIONS
from twin.vault.vault import Vault

EXACT_LIMIT = 50_000
"""Up to this many passages, vector search compares the query with every vector exactly."""
PROBE_SHARE = 0.2
"""Share of the passages a query visits, in the lists nearest it..."""
PROBE_AT_LEAST = 50_000
"""...and at least this many passages (small indexes have few, coarse lists)."""
RERANK_POOL = 3_000
"""Passages of the visited lists, nearest by sign bits, scored with their int8 vectors."""
EXACT_RERANK = 100
"""The best of the pool by int8 score, ordered by their exact vectors from the vault."""
TRAINING_SAMPLE = 65_536
"""Vectors the centroids are trained on (k-means), at most."""
RETRAIN_GROWTH = 4
"""The lists are trained again when the index has grown this many times since."""
KMEANS_ROUNDS = 8

Floats = np.ndarray[Any, np.dtype[np.float32]]


def list_count(size: int) -> int:
    """How many lists for `size` passages: about the square root, a power of two."""
    return int(min(4096, max(64, 2 ** round(math.log2(max(1.0, math.sqrt(size)))))))


def signs(vectors: np.ndarray) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """One bit a dimension, set where the component is positive."""
    return np.packbits(vectors > 0, axis=1, bitorder="little")


# -- writing ----------------------------------------------------------------------------------


def _centroids(vault: Vault) -> Floats | None:
    rows = vault.db.execute("SELECT centroid FROM vector_lists ORDER BY list").fetchall()
    if not rows:
        return None
    return np.frombuffer(b"".join(row[0] for row in rows), dtype=np.float32).reshape(
        len(rows), DIMENSIONS
    )


def _nearest_list(centroids: Floats, vectors: Floats) -> np.ndarray[Any, np.dtype[np.int64]]:
    found = [
        np.argmax(vectors[start : start + 8192] @ centroids.T, axis=1)
        for start in range(0, len(vectors), 8192)
    ]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def quantize(vectors: Floats) -> tuple[np.ndarray[Any, np.dtype[np.int8]], Floats]:
    """Each vector as 8-bit integers and a scale: ``vector ≈ codes * scale``."""
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127
    codes = np.rint(vectors / scales[:, None]).astype(np.int8)
    return codes, scales.astype(np.float32)


def _write_lists(vault: Vault, ids: Sequence[int], lists: np.ndarray, vectors: Floats) -> None:
    codes, scales = quantize(vectors)
    vault.db.executemany(
        "INSERT OR REPLACE INTO chunk_lists (chunk_id, list, codes, scale) VALUES (?, ?, ?, ?)",
        [
            (int(chunk_id), int(number), row.tobytes(), float(scale))
            for chunk_id, number, row, scale in zip(ids, lists, codes, scales, strict=True)
        ],
    )


def assign_lists(vault: Vault, ids: Sequence[int], vectors: Floats) -> None:
    """Put new passages into their nearest list; train the lists when the index has outgrown
    them. Call in the transaction that stores the vectors."""
    centroids = _centroids(vault)
    if centroids is not None and len(ids):
        _write_lists(vault, ids, _nearest_list(centroids, vectors), vectors)
    # the highest id stands for the size: count(*) would read every vector
    size = vault.db.execute("SELECT coalesce(max(chunk_id), 0) FROM chunk_embeddings").fetchone()[0]
    row = vault.db.execute("SELECT passages FROM vector_list_training").fetchone()
    trained = int(row[0]) if row else 0
    if size > EXACT_LIMIT and (trained == 0 or size >= RETRAIN_GROWTH * trained):
        train_lists(vault)


def _sample(vault: Vault, count: int, rng: np.random.Generator) -> Floats:
    """Up to `count` stored vectors picked at random (by id, so no table scan)."""
    top = vault.db.execute("SELECT coalesce(max(chunk_id), 0) FROM chunk_embeddings").fetchone()[0]
    if top <= count:
        wanted = np.arange(1, top + 1)
    else:
        wanted = np.unique(rng.integers(1, top + 1, size=2 * count))
    blobs: list[bytes] = []
    for start in range(0, len(wanted), 900):
        part = [int(i) for i in wanted[start : start + 900]]
        marks = ",".join("?" * len(part))
        blobs += [
            blob
            for (blob,) in vault.db.execute(
                f"SELECT embedding FROM chunk_embeddings WHERE chunk_id IN ({marks})", part
            )
        ]
    vectors = np.frombuffer(b"".join(blobs[:count]), dtype=np.float32)
    return vectors.reshape(-1, DIMENSIONS)


def kmeans(vectors: Floats, count: int, rng: np.random.Generator) -> Floats:
    """`count` unit-length centroids of unit vectors (spherical k-means)."""
    centroids = vectors[rng.choice(len(vectors), size=count, replace=False)].copy()
    for _ in range(KMEANS_ROUNDS):
        nearest = _nearest_list(centroids, vectors)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest, vectors)
        empty = np.flatnonzero(np.bincount(nearest, minlength=count) == 0)
        sums[empty] = vectors[rng.choice(len(vectors), size=len(empty), replace=False)]
        centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return centroids.astype(np.float32)


def train_lists(vault: Vault, seed: int = 0) -> int:
    """Train the lists' centroids on a sample and put every passage into its list; return how
    many lists. Runs inside the caller's transaction."""
    rng = np.random.default_rng(seed)
    size = vault.db.execute("SELECT coalesce(max(chunk_id), 0) FROM chunk_embeddings").fetchone()[0]
    count = list_count(size)
    sample = _sample(vault, max(TRAINING_SAMPLE, 40 * count), rng)
    count = min(count, len(sample))
    if not count:
        return 0
    centroids = kmeans(sample, count, rng)
    db = vault.db
    db.execute("DELETE FROM vector_lists")
    db.executemany(
        "INSERT INTO vector_lists (list, centroid) VALUES (?, ?)",
        [(number, centroid.tobytes()) for number, centroid in enumerate(centroids)],
    )
    db.execute("DELETE FROM chunk_lists")
    last = 0
    while True:
        rows = db.execute(
            "SELECT chunk_id, embedding FROM chunk_embeddings WHERE chunk_id > ? "
            "ORDER BY chunk_id LIMIT 20000",
            (last,),
        ).fetchall()
        if not rows:
            break
        ids = [int(row[0]) for row in rows]
        vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
        vectors = vectors.reshape(len(rows), DIMENSIONS)
        _write_lists(vault, ids, _nearest_list(centroids, vectors), vectors)
        last = ids[-1]
    db.execute(
        "INSERT OR REPLACE INTO vector_list_training (id, passages, lists, trained_at) "
        "VALUES (1, ?, ?, ?)",
        (size, count, datetime.now(UTC).isoformat(timespec="seconds")),
    )
    return count


# -- searching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lists:
    """The lists, int8 vectors and signs of every passage, as read at one state of the vault."""

    state: int
    """`lists_version` when they were read."""
    centroids: Floats
    ids: np.ndarray[Any, np.dtype[np.int64]]
    """Chunk ids, grouped by list: those of list n are ``ids[starts[n]:starts[n + 1]]``."""
    starts: np.ndarray[Any, np.dtype[np.int64]]
    codes: np.ndarray[Any, np.dtype[np.int8]]
    scales: Floats
    words: np.ndarray[Any, np.dtype[np.uint64]]
    """The sign bits as 6 rows of 64-bit words, in the order of `ids` (word-major, so each
    step of the Hamming scan runs over contiguous memory)."""


_LISTS: WeakKeyDictionary[Vault, _Lists] = WeakKeyDictionary()


def vault_state(vault: Vault) -> tuple[int, int]:
    """Changes whenever anyone writes to the vault: another connection, or this one."""
    version = int(vault.db.execute("PRAGMA data_version").fetchone()[0])
    return version, vault.db.total_changes


def lists_version(vault: Vault) -> int:
    """Changes whenever anyone changes the lists (triggers keep it), and only then."""
    return int(vault.db.execute("SELECT version FROM vector_lists_version").fetchone()[0])


def _lists(vault: Vault) -> _Lists | None:
    state = lists_version(vault)
    cached = _LISTS.get(vault)
    if cached is not None and cached.state == state:
        return cached
    centroids = _centroids(vault)
    if centroids is None:
        return None
    rows = vault.db.execute("SELECT chunk_id, list, codes, scale FROM chunk_lists").fetchall()
    count = len(rows)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=count)
    lists = np.fromiter((row[1] for row in rows), dtype=np.int64, count=count)
    scales = np.fromiter((row[3] for row in rows), dtype=np.float32, count=count)
    codes = np.frombuffer(b"".join(row[2] for row in rows), dtype=np.int8)
    del rows
    order = np.argsort(lists, kind="stable")
    starts = np.searchsorted(lists[order], np.arange(len(centroids) + 1))
    codes = codes.reshape(count, DIMENSIONS)[order]
    words = signs(codes).view(np.uint64)
    cached = _Lists(
        state, centroids, ids[order], starts, codes, scales[order], np.ascontiguousarray(words.T)
    )
    _LISTS[vault] = cached
    return cached


def _dot(matrix: Floats, vector: Floats) -> Floats:
    """Matrix times vector on this thread: OpenBLAS starts threads for it, and on a busy
    2-core machine waiting for them cost 7 ms where the product takes 0.3 ms (measured)."""
    return np.asarray(np.einsum("ij,j->i", matrix, vector), dtype=np.float32)


def _probe(lists: _Lists, query: Floats, pool: int, depth: int) -> list[int]:
    """Ids of the `depth` passages nearest the query by their int8 vectors, among the `pool`
    nearest by sign bits in the lists nearest the query."""
    wanted = max(PROBE_SHARE * len(lists.ids), PROBE_AT_LEAST)
    by_nearness = np.argsort(-_dot(lists.centroids, query))
    sizes = np.diff(lists.starts)[by_nearness]
    probes = int(np.searchsorted(np.cumsum(sizes), wanted)) + 1
    nearest = by_nearness[:probes]
    spans = [(int(lists.starts[n]), int(lists.starts[n + 1])) for n in np.sort(nearest)]
    where = np.concatenate([np.arange(a, b) for a, b in spans if b > a] or [np.zeros(0, int)])
    if not len(where):
        return []
    if len(where) > pool:
        target = signs(query[None, :])[0].view(np.uint64)
        hamming = np.zeros(len(where), dtype=np.uint16)
        for row, word in zip(lists.words, target, strict=True):
            step = np.bitwise_xor(row[where], word)
            hamming += np.bitwise_count(step)
        # every passage within the pool's distance: a counting select, cheaper than a sort
        cut = int(np.searchsorted(np.cumsum(np.bincount(hamming)), pool))
        where = where[hamming <= cut]
    scores = _dot(lists.codes[where].astype(np.float32), query) * lists.scales[where]
    if len(where) > depth:
        where = where[np.argpartition(-scores, depth - 1)[:depth]]
    return [int(i) for i in lists.ids[where]]


def distances(vault: Vault, query: bytes, ids: Sequence[int]) -> list[tuple[int, float]]:
    """``(chunk id, exact cosine distance)`` of these passages, nearest first."""
    found: list[tuple[int, float]] = []
    for start in range(0, len(ids), 900):
        part = list(ids[start : start + 900])
        marks = ",".join("?" * len(part))
        found += [
            (int(i), float(d))
            for i, d in vault.db.execute(
                f"SELECT chunk_id, vec_distance_cosine(embedding, ?) FROM chunk_embeddings "
                f"WHERE chunk_id IN ({marks})",
                (query, *part),
            )
        ]
    return sorted(found, key=lambda pair: pair[1])


def exact_nearest(vault: Vault, query: bytes, depth: int) -> list[tuple[int, float]]:
    """The `depth` nearest passages by comparing the query with every vector (sqlite-vec)."""
    return [
        (int(i), float(d))
        for i, d in vault.db.execute(
            "SELECT rowid, distance FROM chunk_vectors WHERE embedding MATCH ? AND k = ?",
            (query, depth),
        )
    ]


def nearest(vault: Vault, query: bytes, depth: int) -> list[tuple[int, float]]:
    """``(chunk id, cosine distance)`` of the `depth` nearest passages, nearest first."""
    size = vault.db.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0]
    if size <= EXACT_LIMIT:
        return exact_nearest(vault, query, depth)
    lists = _lists(vault)
    if lists is None:  # a big index from before the lists: train them once, now
        if vault.db.in_transaction:
            train_lists(vault)
        else:
            with vault.transaction():
                train_lists(vault)
        lists = _lists(vault)
    if lists is None:
        return exact_nearest(vault, query, depth)
    vector = np.frombuffer(query, dtype=np.float32)
    candidates = _probe(lists, vector, max(RERANK_POOL, depth), max(EXACT_RERANK, 3 * depth))
    return distances(vault, query, candidates)[:depth]
