"""Journal: a quick entry that shows no other entry while writing; the entries on their own page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from twin.hub.deps import HubDep, VaultDep, render
from twin.memory.store import add_journal_entry, list_notes
from twin.records import NoteKind

router = APIRouter()


@router.get("/journal", response_class=HTMLResponse)
def journal_page(request: Request) -> HTMLResponse:
    return render(request, "journal.html", title="Journal")


@router.post("/journal", response_class=HTMLResponse)
def write_entry(
    request: Request,
    hub: HubDep,
    vault: VaultDep,
    text: Annotated[str, Form()],
    private: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    add_journal_entry(vault, text, hub.embedder(), private=private)
    return render(request, "journal.html", title="Journal", saved=True, private=private)


@router.get("/journal/entries", response_class=HTMLResponse)
def entries(request: Request, vault: VaultDep) -> HTMLResponse:
    rows = list_notes(vault, NoteKind.JOURNAL)
    return render(request, "journal_entries.html", title="Journal entries", entries=rows)
