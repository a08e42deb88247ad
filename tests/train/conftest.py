"""A tiny model and a tiny dataset in the test's twin home."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.models.tiny import build_model, write_dataset
from twin.home import Home


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture
def dataset(tmp_home: Home) -> Path:
    return write_dataset(tmp_home.datasets / "chats")
