"""The hub's doors: 401 from elsewhere, pairing, revocation, CSRF, Host, pushes and recall."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import Result
from fastapi import FastAPI
from fastapi.testclient import TestClient

from twin.hub.gate import PAIRING
from twin.hub.state import Hub


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers and mounts too."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif hasattr(route, "methods") and route.methods:
                found.extend((method, route.path) for method in sorted(route.methods))
            elif hasattr(route, "app") and hasattr(route, "path"):  # a mount: static files
                found.append(("GET", route.path + "/hub.css"))

    walk(app.routes)
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_but_pairing_answers_401_from_another_machine(
    app: FastAPI, remote: TestClient
) -> None:
    routes = every_route(app)
    assert len(routes) > 30  # pages, APIs, docs and static files are all enumerated
    for method, path in routes:
        response = remote.request(method, concrete(path))
        if path in PAIRING:
            assert response.status_code != 401 or method == "POST", (method, path)
            continue
        assert response.status_code == 401, (method, path, response.status_code)


def test_this_machine_is_sent_to_unlock_first(local: TestClient) -> None:
    response = local.get("/data")
    assert response.status_code == 303
    assert response.headers["location"] == "/unlock"
    assert local.post("/api/push/journal", json={"text": "x"}).status_code == 401


def test_unlock_sets_a_strict_http_only_cookie(local: TestClient) -> None:
    from tests.conftest import PASSPHRASE

    wrong = local.post("/unlock", data={"passphrase": "not it"})
    assert wrong.status_code == 401
    assert "does not open the vault" in wrong.text
    response = local.post("/unlock", data={"passphrase": PASSPHRASE})
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert local.get("/data").status_code == 200


def test_failed_unlocks_are_slowed_down(hub: Hub, local: TestClient) -> None:
    for _ in range(3):
        local.post("/unlock", data={"passphrase": "guess"})
    assert hub.throttle.wait("127.0.0.1") > 0


def test_a_form_without_the_csrf_token_is_refused(unlocked: tuple[TestClient, str]) -> None:
    client, csrf = unlocked
    refused = client.post("/journal", data={"text": "forged entry"})
    assert refused.status_code == 403
    wrong = client.post("/journal", data={"text": "forged entry", "csrf": "nope"})
    assert wrong.status_code == 403
    entries = client.get("/journal/entries").text
    assert "forged entry" not in entries
    kept = client.post("/journal", data={"text": "a real entry", "csrf": csrf})
    assert kept.status_code == 200
    assert "a real entry" in client.get("/journal/entries").text


def test_an_unknown_host_header_is_refused(local: TestClient) -> None:
    response = local.get("/unlock", headers={"host": "evil.example"})
    assert response.status_code == 400


def test_no_cors_for_other_origins(unlocked: tuple[TestClient, str]) -> None:
    client, _ = unlocked
    response = client.get("/data", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def _pair(client: TestClient, csrf: str, remote: TestClient, name: str) -> str:
    page = client.post("/devices/code", data={"csrf": csrf})
    code = re.search(r'class="code">(\d+)<', page.text)
    assert code, page.text
    assert "<svg" in page.text  # the QR code, drawn by the hub
    response = remote.post("/api/pair", json={"code": code.group(1), "name": name})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    again = remote.post("/api/pair", json={"code": code.group(1), "name": "thief"})
    assert again.status_code == 401  # a code works once
    return token


def test_pairing_gives_a_token_until_the_device_is_revoked(
    unlocked: tuple[TestClient, str], remote: TestClient
) -> None:
    client, csrf = unlocked
    token = _pair(client, csrf, remote, "Sam's phone")
    auth = {"authorization": f"Bearer {token}"}
    pushed = remote.post("/api/push/journal", json={"text": "walked by the river"}, headers=auth)
    assert pushed.status_code == 200, pushed.text
    assert remote.get("/api/0/buckets/", headers=auth).status_code == 200
    assert "Sam&#39;s phone" in client.get("/devices").text
    revoked = client.post("/devices/1/revoke", data={"csrf": csrf})
    assert revoked.status_code == 303
    after = remote.post("/api/push/journal", json={"text": "after revoking"}, headers=auth)
    assert after.status_code == 401


def test_a_wrong_pairing_code_is_refused_and_slowed(hub: Hub, remote: TestClient) -> None:
    response = remote.post("/api/pair", json={"code": "00000000", "name": "guess"})
    assert response.status_code == 401
    assert hub.throttle.wait("192.168.1.23") > 0


def test_a_pushed_journal_entry_appears_in_recall(
    unlocked: tuple[TestClient, str], remote: TestClient, twin: Callable[..., Result]
) -> None:
    client, csrf = unlocked
    token = _pair(client, csrf, remote, "laptop")
    text = "Fixed the bicycle chain with Rui on Saturday morning"
    response = remote.post(
        "/api/push/journal", json={"text": text}, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    result = twin("recall", "bicycle chain", "--json")
    assert "bicycle chain" in result.output
    sources = twin("sources", "--json").output
    assert "pushed by device 1: laptop" in sources
    gone = twin("forget", "--import", str(response.json()["import"]), "--yes")
    assert "Forgot 0 messages, 1 note" in gone.output
    assert "bicycle" not in twin("recall", "bicycle chain", "--json").output


def test_activitywatch_heartbeats_merge_into_one_event(local: TestClient) -> None:
    made = local.post(
        "/api/0/buckets/aw-watcher-window_sam",
        json={"client": "aw-watcher-window", "type": "currentwindow", "hostname": "sam"},
    )
    assert made.status_code == 200
    again = local.post("/api/0/buckets/aw-watcher-window_sam", json={})
    assert again.status_code == 304
    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    data = {"app": "Firefox", "title": "twin"}
    for second in range(0, 10, 2):  # a watcher beats every 2 s, pulsetime 3 s
        beat = {
            "timestamp": (start + timedelta(seconds=second)).isoformat(),
            "duration": 0,
            "data": data,
        }
        response = local.post(
            "/api/0/buckets/aw-watcher-window_sam/heartbeat?pulsetime=3", json=beat
        )
        assert response.status_code == 200, response.text
    other = {
        "timestamp": (start + timedelta(seconds=10)).isoformat(),
        "duration": 0,
        "data": {"app": "Terminal", "title": "bash"},
    }
    local.post("/api/0/buckets/aw-watcher-window_sam/heartbeat?pulsetime=3", json=other)
    late = {
        "timestamp": (start + timedelta(seconds=60)).isoformat(),
        "duration": 0,
        "data": {"app": "Terminal", "title": "bash"},
    }
    local.post("/api/0/buckets/aw-watcher-window_sam/heartbeat?pulsetime=3", json=late)
    events = local.get("/api/0/buckets/aw-watcher-window_sam/events").json()
    assert [(e["data"]["app"], e["duration"]) for e in reversed(events)] == [
        ("Firefox", 8.0),
        ("Terminal", 0.0),
        ("Terminal", 0.0),
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/sources",
        "/data",
        "/journal",
        "/dataset",
        "/training",
        "/chat",
        "/eval",
        "/devices",
        "/settings",
        "/welcome",
    ],
)
def test_every_page_shows_without_javascript(unlocked: tuple[TestClient, str], path: str) -> None:
    client, _ = unlocked
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert '<nav class="side"' in response.text and "<h1>" in response.text
