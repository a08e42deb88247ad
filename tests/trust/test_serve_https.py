"""`twin serve` beyond 127.0.0.1: HTTPS only, a pinned certificate, a token, a slow-down for
wrong tokens, a Host header check and no CORS. A real socket on 127.0.0.2."""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from twin.chat.access import SlowDown, ensure_certificate, is_loopback
from twin.chat.server import serve
from twin.chat.twin import Twin

HOST = "127.0.0.2"
TOKEN = "a-long-test-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def https(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`serve` on 127.0.0.2 in a thread, with a stub-free twin that is never asked to reply."""
    try:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound on this machine")
    port = free_port()
    twin = Twin.__new__(Twin)  # the routes tested here never reach the model
    tls = tmp_path / "tls"
    thread = threading.Thread(target=serve, args=(twin, HOST, port, TOKEN, tls), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"https://{HOST}:{port}", tls


def pinned(tls: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(tls / "serve-cert.pem"))
    context.check_hostname = True
    return context


def test_beyond_this_machine_is_https_with_a_pinnable_certificate(
    https: tuple[str, Path],
) -> None:
    url, tls = https
    with pytest.raises(httpx.HTTPError):
        httpx.get(url.replace("https", "http") + "/v1/models", timeout=5)
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1/models", timeout=5)  # not trusted without pinning
    response = httpx.get(
        url + "/v1/models", headers={"Authorization": "Bearer wrong"}, verify=pinned(tls)
    )
    assert response.status_code == 401
    certificate = ensure_certificate(tls, HOST)  # made once: the same on the next start
    der = ssl.PEM_cert_to_DER_cert((tls / "serve-cert.pem").read_text())
    assert certificate.fingerprint.replace(":", "").lower() == hashlib.sha256(der).hexdigest()
    assert (tls / "serve-key.pem").stat().st_mode & 0o777 == 0o600


def test_wrong_tokens_slow_a_client_down(https: tuple[str, Path]) -> None:
    url, tls = https
    statuses = [
        httpx.get(
            url + "/v1/models", headers={"Authorization": "Bearer nope"}, verify=pinned(tls)
        ).status_code
        for _ in range(5)
    ]
    assert statuses[:3] == [401, 401, 401] and 429 in statuses[3:]


def test_a_foreign_host_header_and_other_origins_are_refused(https: tuple[str, Path]) -> None:
    url, tls = https
    evil = httpx.get(
        url + "/v1/models",
        headers={"Host": "evil.example", "Authorization": f"Bearer {TOKEN}"},
        verify=pinned(tls),
    )
    assert evil.status_code == 400
    preflight = httpx.options(
        url + "/v1/chat/completions",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        verify=pinned(tls),
    )
    assert "access-control-allow-origin" not in preflight.headers
    plain = httpx.get(
        url + "/v1/models",
        headers={"Origin": "https://evil.example", "Authorization": "Bearer x"},
        verify=pinned(tls),
    )
    assert "access-control-allow-origin" not in plain.headers


def test_slow_down_doubles_and_forgives_on_success() -> None:
    slow = SlowDown(free=1, first=10)
    slow.failed("a")
    assert 9 < slow.wait_left("a") <= 10 and slow.wait_left("b") == 0
    slow.failed("a")
    assert 19 < slow.wait_left("a") <= 20
    slow.succeeded("a")
    assert slow.wait_left("a") == 0


def test_only_the_default_address_counts_as_this_machine() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("127.0.0.2") and not is_loopback("0.0.0.0")
