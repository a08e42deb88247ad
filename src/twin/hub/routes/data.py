"""Data: search and browse what the vault holds; forget, after saying exactly what goes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from twin.errors import TwinError
from twin.hub.deps import VaultDep, render
from twin.memory.recall import keyword_query
from twin.memory.store import list_notes
from twin.train.forget_preview import datasets_going, runs_going
from twin.vault.forget import forget
from twin.vault.forget_preview import preview_forget
from twin.vault.rules import parse_day
from twin.vault.vault import Vault
from twin.words import plural

router = APIRouter()
WHAT = ("contact", "conversation", "source", "import_id", "before")


def _search(vault: Vault, text: str) -> list[dict[str, object]]:
    query = keyword_query(text)
    if query is None:
        return []
    return list(
        vault.rows(
            "SELECT messages.id, messages.sent_at, messages.text, conversations.title, "
            "people.name AS sender FROM messages_fts "
            "JOIN messages ON messages.id = messages_fts.rowid "
            "JOIN conversations ON conversations.id = messages.conversation_id "
            "LEFT JOIN people ON people.id = messages.sender_id "
            "WHERE messages_fts MATCH ? ORDER BY rank LIMIT 50",
            query,
        )
    )


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, vault: VaultDep, q: str = "") -> HTMLResponse:
    conversations = list(
        vault.rows(
            "SELECT conversations.id, title, source, count(messages.id) AS messages, "
            "min(messages.sent_at) AS first, max(messages.sent_at) AS last FROM conversations "
            "LEFT JOIN messages ON messages.conversation_id = conversations.id "
            "GROUP BY conversations.id ORDER BY title"
        )
    )
    people = list(
        vault.rows(
            "SELECT people.id, name, is_me, count(messages.id) AS messages FROM people "
            "LEFT JOIN messages ON messages.sender_id = people.id GROUP BY people.id ORDER BY name"
        )
    )
    return render(
        request,
        "data.html",
        title="Data",
        q=q,
        hits=_search(vault, q) if q else [],
        conversations=conversations,
        people=people,
        notes=list_notes(vault, limit=50),
        imports=list(vault.rows("SELECT id, source, file_name, imported_at FROM imports")),
    )


@router.get("/data/conversation/{conversation_id}", response_class=HTMLResponse)
def conversation(request: Request, vault: VaultDep, conversation_id: int) -> HTMLResponse:
    found = list(vault.rows("SELECT * FROM conversations WHERE id = ?", conversation_id))
    if not found:
        raise TwinError(f"there is no conversation {conversation_id}")
    messages = list(
        vault.rows(
            "SELECT messages.id, sent_at, text, kind, people.name AS sender FROM messages "
            "LEFT JOIN people ON people.id = messages.sender_id WHERE conversation_id = ? "
            "ORDER BY sort_key LIMIT 500",
            conversation_id,
        )
    )
    return render(
        request,
        "conversation.html",
        title=str(found[0]["title"]),
        conversation=found[0],
        messages=messages,
    )


def _criteria(what: str, value: str) -> dict[str, object]:
    if what not in WHAT:
        raise TwinError(f"cannot forget by {what!r}")
    value = value.strip()
    if not value:
        raise TwinError("say what to forget")
    if what == "import_id":
        if not value.isdigit():
            raise TwinError("an import is named by its number")
        return {"import_id": int(value)}
    if what == "before":
        return {"before": parse_day(value, "the day")}
    return {what: value}


def what_goes(vault: Vault, criteria: dict[str, object]) -> list[str]:
    """The records a forget with these criteria deletes, in plain words, as `twin forget` says
    before it asks (the same counting functions)."""
    going = preview_forget(vault, **criteria)  # type: ignore[arg-type]
    datasets, runs = datasets_going(vault, going), runs_going(vault, going)
    titles = (
        sorted(
            str(title)
            for (title,) in vault.db.execute(
                "SELECT title FROM conversations WHERE id IN "
                f"({','.join('?' * len(going.conversation_ids))})",
                sorted(going.conversation_ids),
            )
        )
        if going.conversation_ids
        else []
    )
    lines = [
        f"{plural(going.messages, 'message')} ({going.mine:,} of them yours)",
        f"{plural(going.conversations, 'whole conversation')} emptied and removed; "
        f"conversations touched: {', '.join(titles) or 'none'}",
        plural(going.notes, "note or journal entry", "notes and journal entries"),
        f"{plural(len(datasets), 'dataset')} made from them"
        + (f": {', '.join(datasets)}" if datasets else ""),
        f"{plural(len(runs), 'training run')} that learned from them"
        + (f": {', '.join(runs)}" if runs else ""),
    ]
    if "contact" in criteria:
        lines.append(f"the person {criteria['contact']} and their names in every source")
    return lines


@router.post("/data/forget/confirm", response_class=HTMLResponse)
def confirm(
    request: Request, vault: VaultDep, what: Annotated[str, Form()], value: Annotated[str, Form()]
) -> HTMLResponse:
    lines = what_goes(vault, _criteria(what, value))
    return render(
        request, "forget_confirm.html", title="Forget?", what=what, value=value, lines=lines
    )


@router.post("/data/forget", response_class=HTMLResponse)
def forget_now(
    request: Request, vault: VaultDep, what: Annotated[str, Form()], value: Annotated[str, Form()]
) -> HTMLResponse:
    gone = forget(vault, **_criteria(what, value))  # type: ignore[arg-type]
    return render(request, "forgotten.html", title="Forgotten", gone=gone)
