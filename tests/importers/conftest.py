"""A real encrypted vault for the importer tests that check idempotence end to end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from twin.home import Home
from twin.vault import Secret, Vault


@pytest.fixture
def vault(tmp_home: Home) -> Iterator[Vault]:
    """An empty vault in the test's own home."""
    with Vault.create(tmp_home, Secret(passphrase="importer tests")) as opened:
        yield opened
