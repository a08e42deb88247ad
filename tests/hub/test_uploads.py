"""What reaches the hub as a file (an app database uploaded, a note pushed) is read as importers
read files, and never lies on its disk in the clear."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.hub.test_api import _pair
from tests.trust.test_canary import leaks
from twin.hub.state import Hub
from twin.memory.store import list_notes
from twin.vault.sealed import memory_views_work

CHAT_SQL = Path(__file__).parent.parent / "fixtures" / "imessage" / "chat.sql"
in_memory_only = pytest.mark.skipif(not memory_views_work(), reason="needs memfd_create and /proc")


@in_memory_only
def test_an_uploaded_messages_database_is_recognised_previewed_and_kept(
    unlocked: tuple[TestClient, str], hub: Hub, tmp_path: Path
) -> None:
    client, csrf = unlocked
    database = tmp_path / "chat.db"
    with sqlite3.connect(database) as db:
        db.executescript(CHAT_SQL.read_text())
    body = database.read_bytes()
    uploaded = client.put(
        "/sources/upload/chat.db", params={"csrf": csrf}, content=iter([body[:5000], body[5000:]])
    )
    assert uploaded.status_code == 200, uploaded.text
    assert [p.name for p in hub.staging.rglob("*") if p.is_file()] == ["chat.db.sealed"]

    page = client.get(uploaded.json()["preview"])
    assert page.status_code == 200, page.text
    assert "imessage" in page.text and "Climbing crew" in page.text

    sid = uploaded.json()["preview"].rsplit("/", 1)[1]
    kept = client.post(f"/sources/keep/{sid}", data={"csrf": csrf})
    assert kept.status_code == 303, kept.text
    job_id = int(kept.headers["location"].rsplit("/", 1)[1])
    hub.jobs.wait(job_id, 120)
    state = client.get(f"/jobs/{job_id}/state").json()
    assert state["status"] == "done", state
    with hub.open_vault() as vault:
        assert vault.counts()["messages"] == 10
    assert [p for p in hub.staging.rglob("*") if p.is_file()] == []


@in_memory_only
def test_a_pushed_note_is_kept_without_lying_on_disk_in_the_clear(
    unlocked: tuple[TestClient, str],
    remote: TestClient,
    hub: Hub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, csrf = unlocked
    auth = {"authorization": f"Bearer {_pair(client, csrf, remote, 'phone')}"}
    seen_while_importing: list[list[str]] = []
    real_embedder = hub.embedder

    def embedder_watching_the_disk() -> Any:
        """Asked for while the note is being read: look at what the hub's home holds then."""
        seen_while_importing.append(leaks([hub.home.path]))
        return real_embedder()

    monkeypatch.setattr(hub, "embedder", embedder_watching_the_disk)
    note = {"title": "Garden / plans?", "text": "Plant the fenwhistlery by the wall."}
    pushed = remote.post("/api/push/notes", json=note, headers=auth)
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["added"] == 1
    assert seen_while_importing == [[]], "the note lay in the clear while it was read"
    with hub.open_vault() as vault:
        stored = list_notes(vault)
        file_name = vault.db.execute(
            "SELECT file_name FROM imports WHERE id = ?", (pushed.json()["import"],)
        ).fetchone()[0]
    assert [(n["title"], n["location"], n["text"]) for n in stored] == [
        (
            "Garden / plans?",
            "Garden _ plans_.md",
            "# Garden / plans?\n\nPlant the fenwhistlery by the wall.",
        )
    ]
    assert file_name == "pushed by device 1: phone"
    assert list(hub.staging.iterdir()) == []
    assert leaks([hub.home.path]) == []
