"""How fast and how right the twin recalls, how fast the index is built, how fast `twin ask` speaks.

    python bench/recall.py [--sizes 10000 100000 1000000] [--queries 40] [--skip-model]

Passages are real: varied sentences of the kinds a vault holds (messages, notes, journal
entries) with their all-MiniLM-L6-v2 embeddings, made once by `bench/recall_corpus.py` and
cached under bench/out/ (run it first, under the heavy lock, until it says complete). Queries
are questions a person asks (`recall_corpus.questions`), embedded by the model as recall does.
For each size, a fresh encrypted vault is filled with the first passages of the corpus, and
reported, each latency beside its recall@10 (the share of the exact top 10 found; a passage
tied with the exact 10th to 1e-5 counts) against brute force over the same float32 vectors:
  - the index build rate (chunks + FTS5 + sqlite-vec + lists), to check it stays linear, and
    the first recall after opening, which reads the lists into memory;
  - `twin.memory.recall.recall` as a whole (vector + keyword search, fused), query embedding
    given: p50/p95, and its agreement with the same function over exact vector search;
  - the vector search alone, the path recall takes (`twin.memory.vectors.nearest`: exact up to
    50,000 passages, lists + sign bits + int8 + exact re-rank above) against exact brute force
    in sqlite-vec, the peer, in the same run (timed on the first `--peer-queries` questions,
    as it is slow): p50/p95 and the ratio;
then once, with the real model, the query-embedding latency and the embedding-inclusive build
rate, and first-token latency and tokens/s of `twin ask` with the default model.
A table, then one JSON line, then the load average the figures were measured under.
"""

from __future__ import annotations

import argparse
import json
import os
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

sys.path.insert(0, str(Path(__file__).parent))

import recall_corpus

from twin.home import Home
from twin.memory import vectors
from twin.memory.index import store_vectors
from twin.memory.recall import recall
from twin.vault import Secret, Vault

BATCH = 20_000
TOP = 10


class GivenQueries:
    """Hands recall the query embeddings computed beforehand, so latency is the search's."""

    def __init__(self, texts: Sequence[str], embedded: np.ndarray) -> None:
        self.by_text = dict(zip(texts, embedded, strict=True))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.by_text[text] for text in texts])


def fill(vault: Vault, texts: Sequence[str], embedded: np.ndarray) -> float:
    """Insert the passages with their vectors, one note per ten; return the seconds it took."""
    size = len(texts)
    started = time.perf_counter()
    with vault.transaction():
        vault.db.executemany(
            "INSERT INTO notes (id, uid, kind, source, location, title, text, created_at, "
            "content_sha256) VALUES (?, ?, 'note', 'markdown', ?, ?, '', '2024-01-01', '')",
            [(i, f"n{i}", f"note{i}.md", f"Note {i}") for i in range(1, size // 10 + 2)],
        )
    for start in range(0, size, BATCH):
        ids = range(start + 1, min(size, start + BATCH) + 1)
        rows = [
            (i, "note", (i - 1) // 10 + 1, (i - 1) % 10, "", texts[i - 1], str(i), "2024-01-01")
            for i in ids
        ]
        with vault.transaction():
            vault.db.executemany(
                "INSERT INTO chunks (id, owner, owner_id, position, heading, text, sha256, date) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            store_vectors(vault, ids, embedded[start : start + len(ids)])
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(function, queries):  # type: ignore[no-untyped-def]
    """Milliseconds of each call and what each returned."""
    latencies, results = [], []
    for query in queries:
        started = time.perf_counter()
        results.append(function(query))
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, results


TIE = 1e-5
"""Cosine similarities this close are a tie: near-identical passages ("see you at 9" and
"see you at 9!") swap places between two exact searches by float rounding alone."""


def overlap(found: list[list[int]], truth: list[list[int]], sims: np.ndarray) -> float:
    """recall@10: the share of the exact top 10 found; a passage tied with the exact 10th
    counts as found. `sims[q]` holds question q's similarity to every passage (id - 1)."""
    shares = []
    for number, (got, best) in enumerate(zip(found, truth, strict=True)):
        tenth = sims[number][best[TOP - 1] - 1]
        hits = sum(1 for i in got[:TOP] if sims[number][i - 1] >= tenth - TIE)
        shares.append(min(hits, TOP) / TOP)
    return sum(shares) / len(shares)


def agreement(found: list[list[int]], peer: list[list[int]]) -> float:
    """The share of the peer's top 10 that was found too."""
    shares = [
        len(set(f[:TOP]) & set(p[:TOP])) / max(1, len(p[:TOP]))
        for f, p in zip(found, peer, strict=True)
    ]
    return sum(shares) / len(shares)


def measure_size(
    size: int, corpus: tuple[list[str], np.ndarray], questions: list[str], asked: np.ndarray,
    folder: Path, peer_queries: int,
) -> dict[str, float]:  # fmt: skip
    texts, embedded = corpus
    home = Home(folder / f"vault-{size}")
    figures: dict[str, float] = {"passages": size}
    with Vault.create(home, Secret(passphrase="bench")) as vault:
        seconds = fill(vault, texts[:size], embedded[:size])
        vault.checkpoint()
        figures["build_per_s"] = size / seconds
        figures["vault_mb"] = home.vault.stat().st_size / 1024**2
        row = vault.db.execute("SELECT lists FROM vector_list_training").fetchone()
        figures["lists"] = row[0] if row else 0
        blobs = [vector.astype(np.float32).tobytes() for vector in asked]
        embedder = GivenQueries(questions, asked)
        started = time.perf_counter()
        recall(vault, embedder, questions[0], 5)  # reads the lists into memory
        figures["first_recall_ms"] = (time.perf_counter() - started) * 1000
        for question in questions[1:3]:  # warm the caches, as a running twin's are
            recall(vault, embedder, question, 5)
        # the exact top 10 of every question, by brute force over the same float32 vectors
        sims = asked @ embedded[:size].T
        truth = np.argsort(-sims, axis=1)[:, :TOP] + 1
        exact_ids = [[int(i) for i in row] for row in truth]
        peers = slice(0, peer_queries)  # exact search is slow: its latency on fewer questions
        exact_ms, exact = timed(lambda q: vectors.exact_nearest(vault, q, TOP), blobs[peers])
        fast_ms, fast = timed(lambda q: vectors.nearest(vault, q, TOP), blobs)
        whole_ms, whole = timed(lambda q: recall(vault, embedder, q, TOP), questions)
        limit, vectors.EXACT_LIMIT = vectors.EXACT_LIMIT, size  # the same recall, all exact
        whole_exact_ms, whole_exact = timed(
            lambda q: recall(vault, embedder, q, TOP), questions[peers]
        )
        vectors.EXACT_LIMIT = limit
        figures |= {
            "exact_p50_ms": statistics.median(exact_ms),
            "exact_p95_ms": percentile(exact_ms, 0.95),
            "exact_recall_at_10": overlap(
                [[i for i, _ in f] for f in exact], exact_ids[peers], sims[peers]
            ),
            "vector_p50_ms": statistics.median(fast_ms),
            "vector_p95_ms": percentile(fast_ms, 0.95),
            "vector_recall_at_10": overlap([[i for i, _ in f] for f in fast], exact_ids, sims),
            "recall_p50_ms": statistics.median(whole_ms),
            "recall_p95_ms": percentile(whole_ms, 0.95),
            "recall_at_10": agreement(
                [[p.chunk_id for p in f] for f in whole[peers]],
                [[p.chunk_id for p in f] for f in whole_exact],
            ),
            "recall_exact_p50_ms": statistics.median(whole_exact_ms),
        }
        mode = "exact" if size <= vectors.EXACT_LIMIT else f"{figures['lists']:.0f} lists"
        print(
            f"{size:>9,} passages: built in {seconds:6.1f} s = {figures['build_per_s']:7,.0f}/s, "
            f"vault {figures['vault_mb']:,.0f} MB, vector search: {mode}, first recall after "
            f"opening {figures['first_recall_ms']:,.0f} ms"
        )
        print(
            f"    recall() hybrid  p50 {figures['recall_p50_ms']:7.1f} ms  p95 "
            f"{figures['recall_p95_ms']:7.1f} ms  recall@10 {figures['recall_at_10']:.3f} "
            f"(peer, recall() with exact vectors: p50 {figures['recall_exact_p50_ms']:.1f} ms)"
        )
        print(
            f"    vector search    p50 {figures['vector_p50_ms']:7.1f} ms  p95 "
            f"{figures['vector_p95_ms']:7.1f} ms  recall@10 {figures['vector_recall_at_10']:.3f}"
        )
        print(
            f"    exact (peer)     p50 {figures['exact_p50_ms']:7.1f} ms  p95 "
            f"{figures['exact_p95_ms']:7.1f} ms  recall@10 {figures['exact_recall_at_10']:.3f}"
            f"  -> vector search "
            f"{figures['exact_p50_ms'] / figures['vector_p50_ms']:.1f}x faster at p50"
        )
    shutil.rmtree(home.path)
    return figures


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
    texts = list(recall_corpus.passages(1_000, seed=5))
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
                            f"## Part {p}\n" + " ".join(texts[4 * i + p : 4 * i + p + 3])
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
        f"index build with real embeddings: {summary.added} passages of ~45 words in "
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
    parser.add_argument("--corpus", type=int, default=1_000_000, help="Corpus size to read.")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument(
        "--peer-queries", type=int, default=10, help="Questions exact search is timed on."
    )
    parser.add_argument("--skip-model", action="store_true", help="Skip the language model.")
    parser.add_argument("--skip-embedding", action="store_true", help="Skip the real embedder.")
    options = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    corpus = recall_corpus.load(options.corpus, max(options.sizes))
    if corpus is None:
        sys.exit("the corpus is not embedded that far: run bench/recall_corpus.py (see its help)")
    from twin.memory.embeddings import default_embedder

    questions = recall_corpus.questions(options.queries)
    asked = default_embedder().embed(questions)
    folder = Path(tempfile.mkdtemp(prefix="twin-bench-recall-"))
    results = []
    try:
        for size in options.sizes:
            results.append(
                measure_size(size, corpus, questions, asked, folder, options.peer_queries)
            )
        if not options.skip_embedding:
            measure_embedding(folder)
        if not options.skip_model:
            measure_model(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rounded = [{k: round(v, 3) for k, v in figures.items()} for figures in results]
    print(json.dumps({"bench": "recall", "sizes": rounded, "load": os.getloadavg()}))
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()
