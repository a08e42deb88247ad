"""The push API: what a paired device sends (messages, journal entries, notes, activity).

Every record carries the device as its provenance (an import record named after it), and the
standing rules and `twin forget` apply to it as to anything imported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from twin.hub import activity
from twin.hub.deps import DeviceDep, HubDep, VaultDep
from twin.hub.provenance import check_rules, count_pushed, device_import, origin
from twin.memory.store import add_journal_entry, import_notes
from twin.records import Kind, Message
from twin.vault.pushed import collect_messages, note_in_memory

router = APIRouter(prefix="/api/push", tags=["push"])
DOCUMENTED = ConfigDict(use_attribute_docstrings=True)
"""The docstring under each field becomes its description at ``/docs``."""


class MessageIn(BaseModel):
    model_config = DOCUMENTED

    conversation: str = Field(min_length=1, max_length=300)
    """The chat's title: the contact's or the group's name."""
    sender: str | None = Field(default=None, max_length=300)
    """Who wrote it; leave out for a system line."""
    sent_at: datetime
    """When it was sent (ISO 8601, with the offset where known)."""
    text: str = Field(max_length=100_000)
    kind: Kind = Kind.TEXT
    conversation_id: str | None = Field(default=None, max_length=300)
    """The chat's stable id on the device, where it has one."""
    sender_id: str | None = Field(default=None, max_length=300)
    message_id: str | None = Field(default=None, max_length=300)
    """The message's stable id on the device: a message pushed twice is stored once."""
    reply_to: str | None = Field(default=None, max_length=300)
    from_me: bool | None = None
    """Whether you wrote it; left out, twin goes by the name you set with `twin me`."""
    is_group: bool | None = None


class MessagesIn(BaseModel):
    model_config = DOCUMENTED

    source: str = Field(default="push", pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    """What app the messages come from (``sms``, ``signal``…); the same name as its importer
    lets a push and an import of the same chat meet without duplicates."""
    me: str | None = Field(default=None, max_length=300)
    """Your name among the senders, as `twin import --me` takes it."""
    messages: list[MessageIn] = Field(min_length=1, max_length=10_000)


class JournalIn(BaseModel):
    model_config = DOCUMENTED

    text: str = Field(min_length=1, max_length=100_000)
    private: bool = False
    written_at: datetime | None = None
    """When it was written (ISO 8601 with offset); now when left out."""


class NoteIn(BaseModel):
    model_config = DOCUMENTED

    title: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=1_000_000)
    private: bool = False


class ActivityIn(BaseModel):
    model_config = DOCUMENTED

    bucket: str = Field(min_length=1, max_length=200)
    events: list[dict[str, Any]]


@router.post("/messages")
def push_messages(vault: VaultDep, device: DeviceDep, body: MessagesIn) -> dict[str, Any]:
    """Chat messages from the device: standing rules apply, a repeated push adds nothing."""
    messages = [
        Message(
            source=body.source,
            conversation=m.conversation,
            sender=m.sender,
            sent_at=m.sent_at,
            kind=m.kind,
            text=m.text,
            conversation_id=m.conversation_id,
            sender_id=m.sender_id,
            message_id=m.message_id,
            reply_to=m.reply_to,
            from_me=m.from_me,
            is_group=m.is_group,
        )
        for m in body.messages
    ]
    summary = collect_messages(vault, messages, origin=origin(device), me=body.me)
    return {
        "import": summary.import_id,
        "added": summary.added,
        "already_there": summary.already_there,
        "left_out_by_your_rules": summary.skipped,
    }


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
    """A note, read by the Markdown importer as if it were a file in a notes folder (held in
    memory only: `note_in_memory`)."""
    check_rules(vault, "markdown")
    with note_in_memory(hub.staging, note.title, note.text) as folder:
        summary = import_notes(vault, folder, hub.embedder(), private=note.private)
    with vault.transaction():
        vault.db.execute(
            "UPDATE imports SET file_name = ? WHERE id = ?",
            (f"pushed by {device.label}", summary.import_id),
        )
    return {"import": summary.import_id, "added": summary.added, "updated": summary.updated}


@router.post("/activity")
def push_activity(
    hub: HubDep, vault: VaultDep, device: DeviceDep, body: ActivityIn
) -> dict[str, Any]:
    """Activity events in ActivityWatch's event shape, into a bucket made on first use."""
    activity.create_bucket(vault, device, body.bucket, "twin.push", device.name, device.name)
    events = [
        activity.AwEvent(
            None,
            activity.parse_time(str(e["timestamp"])),
            float(e.get("duration", 0)),
            dict(e.get("data", {})),
        )
        for e in body.events
    ]
    stored = activity.add_events(vault, device, body.bucket, events)
    hub.summaries.touch(vault, device)
    return {"stored": len([e for e in stored if e.id is not None])}
