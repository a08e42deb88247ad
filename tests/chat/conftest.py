"""The tiny word-level chat model, built once per test session, and the memory fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.memory.conftest import embedder, memory_vault, notes_folder, vault
from tests.tiny import build_chat_model

__all__ = ["embedder", "memory_vault", "notes_folder", "tiny_model", "vault"]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the tiny chat model."""
    return build_chat_model(tmp_path_factory.mktemp("tiny-chat-model"))
