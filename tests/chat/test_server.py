"""The OpenAI-compatible API, spoken to by the official `openai` client over a real socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn

from twin.chat.access import check_listen, is_loopback
from twin.chat.engine import GenerationSettings, load_folder
from twin.chat.server import create_app
from twin.chat.twin import Twin
from twin.errors import TwinError
from twin.memory.embeddings import Embedder
from twin.vault import Vault

TOKEN = "test-token-123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(memory_vault: Vault, embedder: Embedder, tiny_model: Path) -> Iterator[tuple[str, Twin]]:
    """A real uvicorn server on 127.0.0.1 and a free port, requiring TOKEN; stopped after."""
    twin = Twin(
        memory_vault,
        load_folder(tiny_model),
        embedder,
        settings=GenerationSettings(max_new_tokens=12, seed=3),
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(twin, token=TOKEN), host="127.0.0.1", port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1", twin
    running.should_exit = True
    thread.join(timeout=30)


def client(base_url: str, token: str = TOKEN) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=token, max_retries=0, timeout=60)


def test_models_lists_the_twin(server: tuple[str, Twin]) -> None:
    base_url, twin = server
    assert [m.id for m in client(base_url).models.list()] == [twin.engine.name]


def test_chat_completion_without_streaming(server: tuple[str, Twin]) -> None:
    base_url, twin = server
    completion = client(base_url).chat.completions.create(
        model=twin.engine.name,
        messages=[{"role": "user", "content": "What is my cat called?"}],
        max_tokens=10,
    )
    choice = completion.choices[0]
    expected = twin.ask(
        [{"role": "user", "content": "What is my cat called?"}],
        GenerationSettings(max_new_tokens=10, seed=3),
    )
    assert choice.message.role == "assistant"
    assert choice.message.content == expected.text
    assert choice.finish_reason == "stop"
    extra = completion.model_extra or {}
    assert "Pixel" in extra["twin"]["passages"][0]["passage"]


def test_chat_completion_streaming(server: tuple[str, Twin]) -> None:
    base_url, twin = server
    stream = client(base_url).chat.completions.create(
        model=twin.engine.name,
        messages=[{"role": "user", "content": "hello"}],
        max_tokens=10,
        stream=True,
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    expected = twin.ask(
        [{"role": "user", "content": "hello"}], GenerationSettings(max_new_tokens=10, seed=3)
    )
    assert text == expected.text
    assert all(c.object == "chat.completion.chunk" for c in chunks)


def test_a_request_without_the_token_is_refused(server: tuple[str, Twin]) -> None:
    base_url, _ = server
    with pytest.raises(openai.AuthenticationError):
        client(base_url, token="wrong").models.list()
    response = httpx.post(f"{base_url}/chat/completions", json={"messages": []})
    assert response.status_code == 401


def test_listening_beyond_this_machine_needs_a_token() -> None:
    with pytest.raises(TwinError, match="token is required"):
        check_listen("0.0.0.0", None)
    with pytest.raises(TwinError):
        check_listen("192.168.1.20", "")
    check_listen("0.0.0.0", "a-token")
    check_listen("127.0.0.1", None)
    check_listen("::1", None)
    assert not is_loopback("example.org")
