"""Every test runs in its own twin home, offline, with a cheap key derivation."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from twin.home import Home

PASSPHRASE = "test passphrase"


def _is_local(address: Any) -> bool:
    if isinstance(address, str | bytes):  # a Unix socket path
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    """Fail any test that tries to reach beyond this machine."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(connect: Callable[..., Any]) -> Callable[..., Any]:
        def attempt(self: socket.socket, address: Any) -> Any:
            if not _is_local(address):
                raise RuntimeError(f"test tried to reach the network: {address!r}")
            return connect(self, address)

        return attempt

    socket.socket.connect = guarded(real_connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded(real_connect_ex)  # type: ignore[method-assign]
    yield
    socket.socket.connect = real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def tmp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """Point twin at a fresh home folder, never the real one."""
    home = tmp_path / "twin-home"
    monkeypatch.setenv("TWIN_HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("TWIN_CACHE", raising=False)
    monkeypatch.setenv("TWIN_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("TWIN_KDF", "fast")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return Home(home)


@pytest.fixture
def twin() -> Callable[..., Result]:
    """Run the `twin` command in-process: ``twin("stats", "--json")``."""
    from twin.cli import cli

    runner = CliRunner()

    def run(*args: str, input: str | None = None, ok: bool = True) -> Result:
        result = runner.invoke(cli, list(args), input=input, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


@pytest.fixture
def vault_home(twin: Callable[..., Result], tmp_home: Home) -> Home:
    """A home with an initialised, empty vault."""
    twin("init")
    return tmp_home


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BPE Llama for training and export (chat tests override it with a word-level one)."""
    from tests.tiny import build_model

    return build_model(tmp_path_factory.mktemp("tiny") / "tiny-llama")


@pytest.fixture(scope="session")
def gqa_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The byte-level tiny Llama: grouped-query attention and untied output weights."""
    from tests.tiny import build_model

    return build_model(tmp_path_factory.mktemp("gqa") / "tiny-llama")


@pytest.fixture
def dataset(tmp_home: Home) -> Path:
    """A tiny chat dataset in the test's twin home, as a plain folder."""
    from tests.tiny import write_dataset

    return write_dataset(tmp_home.datasets / "chats")
