"""How fast the twin recalls, how fast the index is built, and how fast `twin ask` speaks.

    python bench/recall.py [--sizes 10000 100000 1000000] [--queries 30] [--skip-model]

For each size, a fresh encrypted vault is filled with that many synthetic passages (Zipf-
distributed words from a 5,000-word vocabulary, 30 words each) and **random unit vectors**
instead of embeddings: embedding a million texts on two cores would take hours and says
nothing about search speed. Reported per size:
  - index build rate (passages/s) into chunks + FTS5 + sqlite-vec, to check it stays linear;
  - recall latency p50/p95 of `twin.memory.recall.recall` (hybrid vector + keyword search,
    fused), with the query's embedding given, and the search mode (exact or one-bit scan +
    exact re-ranking above 50,000 passages); target p50 under 50 ms at 1M passages;
  - for sizes above the exact limit, how many of the exact top 5 the fast path finds (on
    random vectors, the hardest case for the one-bit scan).
Then, once, with the real all-MiniLM-L6-v2: the embedding-inclusive index build rate and the
query-embedding latency; and first-token latency and tokens/s of `twin ask` with the default
model (skipped, saying why, when it is not available).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

os.environ.setdefault("TWIN_KDF", "fast")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from twin.home import Home
from twin.memory.embeddings import DIMENSIONS
from twin.memory.index import store_vectors
from twin.memory.recall import EXACT_LIMIT, recall
from twin.vault import Secret, Vault

BATCH = 20_000
VOCABULARY = 5_000
WORDS_PER_PASSAGE = 30


def unit_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, DIMENSIONS), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


class RandomQueries:
    """Hands recall a random unit vector as the query's embedding (the index holds random
    vectors too); the real model's query latency is measured on its own."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return unit_vectors(self.rng, len(texts))


def make_words(rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vel", "no", "dri", "pa", "ose", "lin"]
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def fill(vault: Vault, size: int, seed: int = 1) -> float:
    """Insert `size` synthetic passages; return the seconds it took."""
    rng = random.Random(seed)
    vector_rng = np.random.default_rng(seed)
    vocabulary = make_words(rng)
    weights = [1 / (rank + 1) for rank in range(VOCABULARY)]
    started = time.perf_counter()
    notes = max(1, size // 10)
    with vault.transaction():
        vault.db.executemany(
            "INSERT INTO notes (id, uid, kind, source, location, title, text, created_at, "
            "content_sha256) VALUES (?, ?, 'note', 'markdown', ?, ?, '', '2024-01-01', '')",
            [(i, f"n{i}", f"note{i}.md", f"Note {i}") for i in range(1, notes + 1)],
        )
    next_id = 1
    while next_id <= size:
        count = min(BATCH, size - next_id + 1)
        rows = []
        for i in range(next_id, next_id + count):
            text = " ".join(rng.choices(vocabulary, weights, k=WORDS_PER_PASSAGE))
            rows.append((i, "note", (i - 1) // 10 + 1, (i - 1) % 10, f"Note {i}", text, str(i)))
        with vault.transaction():
            vault.db.executemany(
                "INSERT INTO chunks (id, owner, owner_id, position, heading, text, sha256) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            store_vectors(vault, range(next_id, next_id + count), unit_vectors(vector_rng, count))
        next_id += count
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure_size(size: int, queries: int, folder: Path) -> None:
    home = Home(folder / f"vault-{size}")
    with Vault.create(home, Secret(passphrase="bench")) as vault:
        seconds = fill(vault, size)
        vault.checkpoint()
        megabytes = home.vault.stat().st_size / 1024**2
        print(
            f"{size:>9,} passages: built in {seconds:7.1f} s = {size / seconds:8,.0f} passages/s, "
            f"vault {megabytes:,.0f} MB"
        )
        rng = random.Random(size)
        vocabulary = make_words(random.Random(1))
        embedder = RandomQueries(size)
        texts = [" ".join(rng.choices(vocabulary[:2000], k=3)) for _ in range(queries + 3)]
        for text in texts[:3]:  # warm the page cache, as a running twin would be
            recall(vault, embedder, text, 5)
        latencies = []
        for text in texts[3:]:
            started = time.perf_counter()
            recall(vault, embedder, text, 5)
            latencies.append((time.perf_counter() - started) * 1000)
        mode = "exact" if size <= EXACT_LIMIT else "1-bit scan + exact re-rank"
        print(
            f"           recall p50 {statistics.median(latencies):6.1f} ms, "
            f"p95 {percentile(latencies, 0.95):6.1f} ms ({mode}, {queries} queries, 5 results)"
        )
        if size > EXACT_LIMIT:
            agreement(vault, size)
    shutil.rmtree(home.path)


def agreement(vault: Vault, size: int, trials: int = 5) -> None:
    """Share of the exact top 5 (by full cosine) that the fast path returns."""
    from twin.memory.recall import _nearest

    rng = np.random.default_rng(99)
    found = 0
    started = time.perf_counter()
    for _ in range(trials):
        query = unit_vectors(rng, 1)[0].tobytes()
        exact = [
            i
            for (i,) in vault.db.execute(
                "SELECT rowid FROM chunk_vectors WHERE embedding MATCH ? AND k = 5", (query,)
            )
        ]
        fast = {i for i, _ in _nearest(vault, query, 5)}
        found += len(fast.intersection(exact))
    exact_ms = (time.perf_counter() - started) * 1000 / trials
    print(
        f"           fast path finds {found / (5 * trials):.0%} of the exact top 5 on random "
        f"vectors (exact search alone: ~{exact_ms:,.0f} ms a query)"
    )


def measure_embedding(folder: Path) -> None:
    from twin.memory.embeddings import default_embedder
    from twin.memory.index import index_notes

    embedder = default_embedder()
    started = time.perf_counter()
    embedder.embed(["warm up"])
    print(f"embedding model loaded in {time.perf_counter() - started:.1f} s")
    latencies = []
    for number in range(20):
        started = time.perf_counter()
        embedder.embed([f"what did I do on holiday number {number}?"])
        latencies.append((time.perf_counter() - started) * 1000)
    print(
        f"query embedding: p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {percentile(latencies, 0.95):.1f} ms"
    )
    home = Home(folder / "vault-embed")
    rng = random.Random(5)
    vocabulary = make_words(rng)
    with Vault.create(home, Secret(passphrase="bench")) as vault:
        with vault.transaction():
            vault.db.executemany(
                "INSERT INTO notes (uid, kind, source, location, title, text, created_at, "
                "content_sha256) VALUES (?, 'note', 'markdown', ?, ?, ?, '2024-01-01', '')",
                [
                    (
                        f"n{i}",
                        f"n{i}.md",
                        f"Note {i}",
                        "\n\n".join(
                            f"## Part {p}\n" + " ".join(rng.choices(vocabulary, k=60))
                            for p in range(4)
                        ),
                    )
                    for i in range(250)
                ],
            )
        started = time.perf_counter()
        with vault.transaction():
            summary = index_notes(vault, embedder)
        seconds = time.perf_counter() - started
    print(
        f"index build with real embeddings: {summary.added} passages of ~60 words in "
        f"{seconds:.1f} s = {summary.added / seconds:,.0f} passages/s"
    )


def measure_model(folder: Path) -> None:
    """First-token latency and tokens/s of `twin ask` with the default model."""
    from twin.chat.engine import load_engine
    from twin.chat.twin import Twin
    from twin.errors import TwinError
    from twin.memory.embeddings import default_embedder
    from twin.memory.store import add_journal_entry

    home = Home(folder / "home-ask")
    with Vault.create(home, Secret(passphrase="bench")) as vault:
        embedder = default_embedder()
        for text in (
            "Adopted a grey cat from the shelter and named her Pixel.",
            "Ran my first 10 km race along the river in 58 minutes.",
            "Started cello lessons with Ines on Thursdays.",
        ):
            add_journal_entry(vault, text, embedder)
        started = time.perf_counter()
        try:
            engine = load_engine(home)
        except (TwinError, ImportError) as error:
            print(f"twin ask with the default model: skipped ({error})")
            return
        print(f"default model ({engine.name}) loaded in {time.perf_counter() - started:.1f} s")
        tokenizer = getattr(engine, "tokenizer", None)
        twin = Twin(vault, engine, embedder)
        from twin.chat.engine import GenerationSettings

        settings = GenerationSettings(max_new_tokens=64, temperature=0.0)
        for question in ("What is my cat called?", "How fast was my first 10 km race?"):
            original = engine.stream
            marks: list[float] = []

            def timed(messages, options, original=original, marks=marks):  # type: ignore[no-untyped-def]
                for piece in original(messages, options):
                    marks.append(time.perf_counter())
                    yield piece

            engine.stream = timed  # type: ignore[method-assign]
            started = time.perf_counter()
            reply, pieces = twin.respond([{"role": "user", "content": question}], settings)
            first_sentence = None
            for _ in pieces:
                first_sentence = first_sentence or time.perf_counter()
            ended = time.perf_counter()
            engine.stream = original  # type: ignore[method-assign]
            tokens = len(tokenizer(reply.raw)["input_ids"]) if tokenizer else len(marks)
            generating = (marks[-1] - marks[0]) if len(marks) > 1 else float("nan")
            print(
                f"  ask {question!r}: first token {1000 * (marks[0] - started):.0f} ms, first "
                f"guarded sentence {1000 * ((first_sentence or ended) - started):.0f} ms, "
                f"{tokens} tokens at {max(tokens - 1, 0) / generating:.1f} tokens/s, "
                f"total {ended - started:.1f} s -> {reply.text!r}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--skip-model", action="store_true", help="Skip the language model.")
    parser.add_argument("--skip-embedding", action="store_true", help="Skip the real embedder.")
    options = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    folder = Path(tempfile.mkdtemp(prefix="twin-bench-recall-"))
    try:
        for size in options.sizes:
            measure_size(size, options.queries, folder)
        if not options.skip_embedding:
            measure_embedding(folder)
        if not options.skip_model:
            measure_model(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
