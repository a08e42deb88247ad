"""A hub over a real encrypted vault, and clients on this machine and on another one."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import PASSPHRASE
from twin.home import Home
from twin.hub.app import create_app
from twin.hub.settings import HubSettings
from twin.hub.state import Hub

LOCAL = ("127.0.0.1", 50000)
REMOTE = ("192.168.1.23", 50000)
"""An address on the home network; the TestClient only labels requests with it, nothing is sent."""


@pytest.fixture
def hub(vault_home: Home) -> Hub:
    """A hub over a fresh vault, unlocked as after `twin hub --passphrase-file`."""
    found = Hub(vault_home, HubSettings(allowed_hosts=["testserver"], open_browser=False))
    found.unlock(PASSPHRASE)
    return found


@pytest.fixture
def app(hub: Hub) -> FastAPI:
    return create_app(hub)


@pytest.fixture
def local(app: FastAPI) -> Iterator[TestClient]:
    """A browser on this machine, not yet unlocked."""
    with TestClient(app, client=LOCAL, follow_redirects=False) as client:
        yield client


@pytest.fixture
def remote(app: FastAPI) -> Iterator[TestClient]:
    """A client on another machine of the home network."""
    with TestClient(app, client=REMOTE, follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
def unlocked(local: TestClient) -> tuple[TestClient, str]:
    """The local browser, unlocked, and its session's CSRF token."""
    response = local.post("/unlock", data={"passphrase": PASSPHRASE})
    assert response.status_code == 303, response.text
    page = local.get("/journal")
    return local, csrf_of(page.text)
