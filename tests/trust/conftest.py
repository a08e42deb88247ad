"""The tiny chat model, for the trust tests that run the whole pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny import build_chat_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the tiny chat model."""
    return build_chat_model(tmp_path_factory.mktemp("tiny-chat-model"))
