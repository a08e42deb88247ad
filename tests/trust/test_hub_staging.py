"""An export uploaded to the hub waits for its preview sealed: nothing of it lies in the clear."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.hub.conftest import app, hub, local, unlocked  # noqa: F401  (the hub's fixtures)
from tests.trust.test_canary import leaks, write_inputs
from twin.hub.state import Hub
from twin.vault.sealed import SealedWriter, memory_views_work, opened_in_memory

pytestmark = pytest.mark.skipif(not memory_views_work(), reason="needs memfd_create and /proc")


def test_an_upload_is_staged_sealed_previewed_and_kept_from_memory(
    unlocked: tuple[TestClient, str],  # noqa: F811
    hub: Hub,  # noqa: F811
    tmp_path: Path,
) -> None:
    client, csrf = unlocked
    chat, _ = write_inputs(tmp_path)
    body = chat.read_bytes() * 40  # several sealed chunks, cut across uploaded pieces
    pieces = [body[i : i + 50_000] for i in range(0, len(body), 50_000)]
    response = client.put(
        f"/sources/upload/{chat.name}", params={"csrf": csrf}, content=iter(pieces)
    )
    assert response.status_code == 200, response.text
    staged = list(hub.staging.rglob("*"))
    assert [p.name for p in staged if p.is_file()] == [chat.name + ".sealed"]
    assert leaks([hub.home.path]) == [], "the staged upload lies in the clear"

    page = client.get(response.json()["preview"])
    assert page.status_code == 200, page.text
    assert chat.name in page.text and "Ann" in page.text
    assert leaks([hub.home.path]) == [], "the preview left a plain copy"

    sid = response.json()["preview"].rsplit("/", 1)[1]
    kept = client.post(f"/sources/keep/{sid}", data={"csrf": csrf})
    assert kept.status_code == 303, kept.text
    job_id = int(kept.headers["location"].rsplit("/", 1)[1])
    hub.jobs.wait(job_id, 120)
    state = client.get(f"/jobs/{job_id}/state").json()
    assert state["status"] == "done", state
    with hub.open_vault() as vault:
        assert vault.counts()["messages"] >= 48  # every line of the chat, kept
    assert [p for p in hub.staging.rglob("*") if p.is_file()] == []
    assert leaks([hub.home.path]) == []


def test_a_memory_view_reads_the_plaintext_and_leaves_nothing(tmp_path: Path) -> None:
    key = b"k" * 32
    sealed = tmp_path / "export.zip.sealed"
    data = bytes(range(256)) * 1000
    with sealed.open("wb") as out, SealedWriter(out, key, "upload") as writer:
        for start in range(0, len(data), 7_777):
            writer.write(data[start : start + 7_777])
    with opened_in_memory(sealed, key, "upload", "export.zip") as plain:
        assert plain.name == "export.zip" and plain.read_bytes() == data
        on_disk = {p.name for p in tmp_path.rglob("*") if not p.is_symlink()}
        assert on_disk == {sealed.name, plain.parent.name}, "only the sealed file and a folder"
    assert [p.name for p in tmp_path.rglob("*")] == [sealed.name]
