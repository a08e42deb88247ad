"""The push API: what a paired device sends (journal entries, notes, activity events).

Every record carries the device as its provenance (an import record named after it), and the
standing rules and `twin forget` apply to it as to anything imported.
"""

from __future__ import annotations

import secrets
import shutil
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from twin.hub import activity
from twin.hub.deps import DeviceDep, HubDep, VaultDep
from twin.hub.provenance import check_rules, count_pushed, device_import
from twin.memory.store import add_journal_entry, import_notes

router = APIRouter(prefix="/api/push", tags=["push"])


class JournalIn(BaseModel):
    text: str = Field(min_length=1, max_length=100_000)
    private: bool = False
    written_at: datetime | None = None
    """When it was written (ISO 8601 with offset); now when left out."""


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=1_000_000)
    private: bool = False


class ActivityIn(BaseModel):
    bucket: str = Field(min_length=1, max_length=200)
    events: list[dict[str, Any]]


@router.post("/journal")
def push_journal(
    hub: HubDep, vault: VaultDep, device: DeviceDep, entry: JournalIn
) -> dict[str, Any]:
    """A journal entry written on the device."""
    check_rules(vault, "journal")
    note_id = add_journal_entry(
        vault, entry.text, hub.embedder(), private=entry.private, when=entry.written_at
    )
    with vault.transaction():
        import_id = device_import(vault, device, "journal")
        vault.db.execute("UPDATE notes SET import_id = ? WHERE id = ?", (import_id, note_id))
        count_pushed(vault, import_id, 1)
    return {"id": note_id, "import": import_id}


@router.post("/notes")
def push_note(hub: HubDep, vault: VaultDep, device: DeviceDep, note: NoteIn) -> dict[str, Any]:
    """A note, read by the Markdown importer as if it were a file in a notes folder."""
    check_rules(vault, "markdown")
    folder = hub.staging / f"push-{secrets.token_hex(6)}"
    folder.mkdir(mode=0o700)
    try:
        name = "".join(c if c.isalnum() or c in " -_" else "_" for c in note.title)[:100]
        (folder / f"{name or 'note'}.md").write_text(f"# {note.title}\n\n{note.text}\n")
        summary = import_notes(vault, folder, hub.embedder(), private=note.private)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    with vault.transaction():
        vault.db.execute(
            "UPDATE imports SET file_name = ? WHERE id = ?",
            (f"pushed by {device.label}", summary.import_id),
        )
    return {"import": summary.import_id, "added": summary.added, "updated": summary.updated}


@router.post("/activity")
def push_activity(vault: VaultDep, device: DeviceDep, body: ActivityIn) -> dict[str, Any]:
    """Activity events in ActivityWatch's event shape, into a bucket made on first use."""
    activity.create_bucket(vault, device, body.bucket, "twin.push", device.name, device.name)
    events = [
        activity.Event(
            None,
            activity.parse_time(str(e["timestamp"])),
            float(e.get("duration", 0)),
            dict(e.get("data", {})),
        )
        for e in body.events
    ]
    stored = activity.add_events(vault, device, body.bucket, events)
    return {"stored": len(stored)}
