"""The big-index vector search: lists trained when the index outgrows exact search, kept in
step with new and forgotten passages, and finding what exact search finds."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import PASSPHRASE
from twin.home import Home
from twin.memory import vectors
from twin.memory.index import store_vectors
from twin.vault import Secret, Vault

SIZE = 3_000


def clustered(rng: np.random.Generator, count: int, centres: np.ndarray) -> np.ndarray:
    """Unit vectors around a few centres, as sentence embeddings of a person's texts are."""
    picked = centres[rng.integers(0, len(centres), count)]
    found = picked + 0.08 * rng.standard_normal((count, picked.shape[1])).astype(np.float32)
    return (found / np.linalg.norm(found, axis=1, keepdims=True)).astype(np.float32)


def add_passages(vault: Vault, first: int, embedded: np.ndarray) -> list[int]:
    ids = list(range(first, first + len(embedded)))
    with vault.transaction():
        vault.db.executemany(
            "INSERT INTO chunks (id, owner, owner_id, position, heading, text, sha256) "
            "VALUES (?, 'message', ?, 0, '', ?, ?)",
            [(i, i, f"passage {i}", str(i)) for i in ids],
        )
        store_vectors(vault, ids, embedded)
    return ids


@pytest.fixture
def big(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> tuple[Vault, np.ndarray]:
    """A vault past a lowered exact limit, so the list search is the one recall takes."""
    monkeypatch.setattr("twin.memory.vectors.EXACT_LIMIT", 1_000)
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((40, 384)).astype(np.float32)
    embedded = clustered(rng, SIZE, centres)
    for start in range(0, SIZE, 500):
        add_passages(vault, start + 1, embedded[start : start + 500])
    return vault, centres


def count(vault: Vault, table: str) -> int:
    found: int = vault.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return found


def test_lists_are_trained_once_the_index_outgrows_exact_search(
    big: tuple[Vault, np.ndarray],
) -> None:
    vault, _ = big
    trained = vault.db.execute("SELECT passages, lists FROM vector_list_training").fetchone()
    assert trained is not None and trained[0] > vectors.EXACT_LIMIT
    assert trained[1] == count(vault, "vector_lists") > 1
    assert count(vault, "chunk_lists") == SIZE  # every passage in a list, later ones too


def test_list_search_finds_what_exact_search_finds(big: tuple[Vault, np.ndarray]) -> None:
    vault, centres = big
    queries = clustered(np.random.default_rng(9), 20, centres)
    shares = []
    for query in queries:
        exact = {i for i, _ in vectors.exact_nearest(vault, query.tobytes(), 10)}
        found = vectors.nearest(vault, query.tobytes(), 10)
        assert [d for _, d in found] == sorted(d for _, d in found)
        shares.append(len(exact & {i for i, _ in found}) / 10)
    assert sum(shares) / len(shares) >= 0.9


def test_a_new_passage_is_found_by_the_next_search(big: tuple[Vault, np.ndarray]) -> None:
    vault, centres = big
    query = clustered(np.random.default_rng(11), 1, centres)[0]
    vectors.nearest(vault, query.tobytes(), 10)  # the lists are now held in memory
    (new,) = add_passages(vault, SIZE + 1, query[None, :])
    assert vectors.nearest(vault, query.tobytes(), 1)[0][0] == new


def test_writes_elsewhere_in_the_vault_keep_the_lists_read(
    big: tuple[Vault, np.ndarray], tmp_home: Home
) -> None:
    vault, centres = big
    query = clustered(np.random.default_rng(14), 1, centres)[0]
    vectors.nearest(vault, query.tobytes(), 5)
    held = vectors._LISTS[vault]
    with vault.transaction():  # what a chat turn or feedback writes
        vault.db.execute(
            "INSERT INTO rules (kind, value, created_at) VALUES ('exclude-contact', 'x', '')"
        )
    vectors.nearest(vault, query.tobytes(), 5)
    assert vectors._LISTS[vault] is held
    with Vault.open(tmp_home, Secret(passphrase=PASSPHRASE)) as other, other.transaction():
        other.db.execute("DELETE FROM chunks WHERE id = 1")  # another process forgets one
    vectors.nearest(vault, query.tobytes(), 5)
    assert vectors._LISTS[vault] is not held
    assert 1 not in vectors._LISTS[vault].ids


def test_forgotten_passages_leave_their_lists(big: tuple[Vault, np.ndarray]) -> None:
    vault, centres = big
    query = clustered(np.random.default_rng(12), 1, centres)[0]
    nearest = vectors.nearest(vault, query.tobytes(), 5)
    with vault.transaction():
        vault.db.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i, _ in nearest])
    assert count(vault, "chunk_lists") == SIZE - 5
    again = {i for i, _ in vectors.nearest(vault, query.tobytes(), 5)}
    assert not again & {i for i, _ in nearest}


def test_int8_vectors_keep_the_order_of_the_exact_ones() -> None:
    rng = np.random.default_rng(5)
    embedded = clustered(rng, 500, rng.standard_normal((5, 384)).astype(np.float32))
    codes, scales = vectors.quantize(embedded)
    restored = codes.astype(np.float32) * scales[:, None]
    assert np.abs(restored - embedded).max() < 0.01
    query = embedded[0]
    assert np.argsort(-(restored @ query))[0] == 0


def test_a_big_index_from_before_the_lists_is_trained_by_its_first_search(
    big: tuple[Vault, np.ndarray],
) -> None:
    vault, centres = big
    with vault.transaction():  # as a vault migrated from before the lists
        vault.db.execute("DELETE FROM vector_lists")
        vault.db.execute("DELETE FROM chunk_lists")
        vault.db.execute("DELETE FROM vector_list_training")
    query = clustered(np.random.default_rng(13), 1, centres)[0]
    assert vectors.nearest(vault, query.tobytes(), 3)
    assert count(vault, "chunk_lists") == SIZE
