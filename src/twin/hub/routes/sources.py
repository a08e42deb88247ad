"""Sources: upload an export or point at one, preview it, keep what you choose; provenance."""

from __future__ import annotations

import os
import re
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from twin.errors import TwinError
from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.jobs import JobContext, list_jobs
from twin.hub.state import Hub, Locked
from twin.importers.base import ParseOptions
from twin.records import Kind
from twin.vault.collect import import_file, preview
from twin.vault.people import my_names
from twin.vault.rules import RuleSet, add_rule
from twin.vault.sealed import SUFFIX, SealedWriter, memory_views_work, opened_in_memory

router = APIRouter()
CHUNK = 1024 * 1024
SAMPLE = 5


def _safe_name(name: str) -> str:
    """A file name for the staging folder: no path, nothing odd."""
    base = os.path.basename(name.replace("\\", "/")) or "export"
    return re.sub(r"[^\w.\- ]", "_", base)[:120]


def _stage(hub: Hub, name: str) -> tuple[str, Path]:
    sid = secrets.token_urlsafe(9)
    folder = hub.staging / sid
    folder.mkdir(mode=0o700)
    return sid, folder / _safe_name(name)


def _drop(hub: Hub, sid: str) -> None:
    path, ours = hub.staged.pop(sid, (None, False))
    if path is not None and ours:
        path.unlink(missing_ok=True)
        path.parent.rmdir()


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, hub: HubDep, vault: VaultDep) -> HTMLResponse:
    imports = list(vault.rows("SELECT * FROM imports ORDER BY id DESC"))
    return render(
        request,
        "sources.html",
        title="Sources",
        imports=imports,
        jobs=list_jobs(vault, "import", limit=5),
        max_mb=hub.settings.max_upload_mb,
    )


async def _write_staged(hub: Hub, name: str, chunks: AsyncIterator[bytes]) -> tuple[str, int]:
    """Stream an upload into the staging folder; the one place an upload is written to disk.

    It is written sealed, chunk by chunk, with a key derived from the vault key (where the
    system can read it back in memory only: `opened_in_memory`). Returns the staging id and the
    size. A file over the size limit is removed and refused.
    """
    if hub.key is None:
        raise Locked("the hub is locked: unlock it with your vault passphrase")
    sid, target = _stage(hub, name)
    if memory_views_work():  # else kept owner-only but plain, as importers read it by path
        target = target.with_name(target.name + SUFFIX)
    size = 0
    try:
        with open(target, "wb", opener=lambda p, f: os.open(p, f, 0o600)) as out:
            sealed = SealedWriter(out, hub.key, _label(target)) if target.suffix == SUFFIX else out
            async for chunk in chunks:
                size += len(chunk)
                if size > hub.settings.max_upload_mb * CHUNK:
                    raise TwinError(f"{name}: larger than {hub.settings.max_upload_mb} MB")
                sealed.write(chunk)
            sealed.close()
    except BaseException:
        target.unlink(missing_ok=True)
        target.parent.rmdir()
        raise
    hub.staged[sid] = (target, True)
    return sid, size


async def _parts(export: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await export.read(CHUNK):
        yield chunk


@router.post("/sources/upload")
async def upload_form(request: Request, hub: HubDep, export: UploadFile) -> Response:
    """The upload without JavaScript: a plain multipart form."""
    sid, _ = await _write_staged(hub, export.filename or "export", _parts(export))
    return RedirectResponse(f"/sources/preview/{sid}", status_code=303)


@router.put("/sources/upload/{name}")
async def upload_stream(request: Request, hub: HubDep, name: str) -> JSONResponse:
    """Drag and drop: the body streamed straight to the staging folder, with progress."""
    sid, size = await _write_staged(hub, name, request.stream())
    return JSONResponse({"preview": f"/sources/preview/{sid}", "bytes": size})


@router.post("/sources/path")
def from_path(hub: HubDep, path: Annotated[str, Form()]) -> Response:
    """An export already on this machine: previewed where it lies, never copied."""
    found = Path(path).expanduser()
    if not found.exists():
        raise TwinError(f"{found}: there is no such file or folder")
    sid = secrets.token_urlsafe(9)
    hub.staged[sid] = (found, False)
    return RedirectResponse(f"/sources/preview/{sid}", status_code=303)


@dataclass
class ConversationPreview:
    title: str
    messages: int = 0
    first: datetime | None = None
    last: datetime | None = None
    senders: Counter[str] = field(default_factory=Counter)
    sample: list[Any] = field(default_factory=list)


def _staged(hub: Hub, sid: str) -> Path:
    if sid not in hub.staged:
        raise TwinError("that upload is no longer waiting; upload it again")
    return hub.staged[sid][0]


def _label(staged: Path) -> str:
    return f"hub/staging/{staged.parent.name}/{staged.name.removesuffix(SUFFIX)}"


@contextmanager
def _readable(staged: Path, key: bytes | None) -> Iterator[Path]:
    """An upload as importers read it: a sealed one opened in memory; a path as it is."""
    if not staged.name.endswith(SUFFIX):
        yield staged
        return
    if key is None:
        raise Locked("the hub is locked: unlock it with your vault passphrase")
    name = staged.name.removesuffix(SUFFIX)
    with opened_in_memory(staged, key, _label(staged), name) as plain:
        yield plain


@router.get("/sources/preview/{sid}", response_class=HTMLResponse)
def preview_page(request: Request, hub: HubDep, vault: VaultDep, sid: str) -> HTMLResponse:
    """What the file holds, per conversation and person, before anything is stored."""
    path = _staged(hub, sid)
    conversations: dict[str, ConversationPreview] = {}
    people: Counter[str] = Counter()
    source = ""
    with _readable(path, hub.key) as readable:
        messages = list(preview(readable, None, ParseOptions()))
    for message in messages:
        source = message.source
        found = conversations.setdefault(
            message.conversation, ConversationPreview(message.conversation)
        )
        found.messages += 1
        moment = message.sent_at.replace(tzinfo=None)
        found.first = moment if found.first is None else min(found.first, moment)
        found.last = moment if found.last is None else max(found.last, moment)
        if message.sender and message.kind is not Kind.SYSTEM:
            found.senders[message.sender] += 1
            people[message.sender] += 1
        if len(found.sample) < SAMPLE and message.kind is Kind.TEXT:
            found.sample.append(message)
    return render(
        request,
        "preview.html",
        title="Preview",
        sid=sid,
        file=path.name.removesuffix(SUFFIX),
        source=source,
        conversations=list(conversations.values()),
        people=people.most_common(),
        me=my_names(vault),
    )


@router.post("/sources/keep/{sid}")
async def keep(request: Request, hub: HubDep, sid: str) -> Response:
    """Collect the file in a background job, leaving out what the person unticked."""
    form = await request.form()
    path = _staged(hub, sid)
    kept = set(form.getlist("conversation"))
    shown = set(form.getlist("shown_conversation"))
    excluded_people = [str(p) for p in form.getlist("exclude_person")]
    left_out = sorted(str(c) for c in shown - kept)
    standing = form.get("standing") == "on"
    me = str(form.get("me") or "") or None
    hub.staged.pop(sid)

    def work(job: JobContext) -> str:
        vault = job.vault
        try:
            if standing:
                for title in left_out:
                    add_rule(vault, "exclude-conversation", title)
                for person in excluded_people:
                    add_rule(vault, "exclude-contact", person)
            rules = RuleSet.standing(vault)
            rules.conversations |= {c.casefold() for c in left_out}
            rules.contacts |= {p.casefold() for p in excluded_people}

            def progress(seen: int) -> None:
                job.check()
                job.report(messages_read=seen)

            with _readable(path, vault.key) as readable:
                summary = import_file(vault, readable, rules=rules, me=me, progress=progress)
        finally:
            if hub.staged.get(sid) is None and path.parent.parent == hub.staging:
                path.unlink(missing_ok=True)
                path.parent.rmdir()
        job.report(
            force=True, messages_read=summary.added + summary.already_there + summary.skipped
        )
        return (
            f"Kept {summary.added} new messages from {summary.conversations} conversations "
            f"({summary.already_there} were already there, "
            f"{summary.skipped} left out by your choices)."
        )

    shown_name = path.name.removesuffix(SUFFIX)
    job_id = hub.jobs.start("import", {"file": shown_name, "left_out": left_out}, work)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/sources/discard/{sid}")
def discard(hub: HubDep, sid: str) -> Response:
    _drop(hub, sid)
    return RedirectResponse("/sources", status_code=303)
