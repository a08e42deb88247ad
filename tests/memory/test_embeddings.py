"""twin's embedder gives the vectors sentence-transformers gives, without importing it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from twin.memory.embeddings import DIMENSIONS, Embedder, model_folder

TEXTS = [
    "Adopted a grey cat from the shelter today and named her Pixel.",
    "ok",
    "Ran my first 10 km race along the river in 58 minutes. " * 40,  # past 256 tokens: cut
    "Cello on Thursdays with Ines 🎻, then dinner at Marta's.",
    "",
]


def test_the_vectors_are_those_of_sentence_transformers() -> None:
    sentence_transformers = pytest.importorskip("sentence_transformers")
    reference = sentence_transformers.SentenceTransformer(
        str(model_folder()), device="cpu", local_files_only=True
    ).encode(TEXTS, batch_size=2, normalize_embeddings=True, convert_to_numpy=True)
    got = Embedder(batch_size=2).embed(TEXTS)
    assert got.shape == (len(TEXTS), DIMENSIONS) and got.dtype == np.float32
    assert np.allclose(got, reference, atol=1e-5)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_a_batch_gives_each_text_the_vector_it_gets_alone() -> None:
    embedder = Embedder(batch_size=3)
    together = embedder.embed(TEXTS)
    for text, vector in zip(TEXTS, together, strict=True):
        assert np.allclose(embedder.embed([text])[0], vector, atol=1e-5)


def test_embedding_does_not_import_sentence_transformers() -> None:
    # nor scikit-learn, which it pulls in (SciPy comes with Transformers' loss functions anyway)
    script = (
        "import sys\n"
        "from twin.memory.embeddings import Embedder\n"
        "Embedder().embed(['hello there'])\n"
        "print(sorted(m for m in ('sentence_transformers', 'sklearn') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
