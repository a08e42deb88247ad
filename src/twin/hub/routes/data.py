"""Data: search and browse what the vault holds; forget, after saying exactly what goes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from twin.errors import TwinError
from twin.hub.deps import VaultDep, render
from twin.memory.recall import keyword_query
from twin.memory.store import list_notes
from twin.vault.forget import forget
from twin.vault.rules import parse_day
from twin.vault.vault import Vault

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
    """The records a forget with these criteria deletes, in plain words, before it runs."""
    db = vault.db
    lines: list[str] = []
    if "contact" in criteria:
        name = str(criteria["contact"]).casefold()
        people = [
            i
            for (i,) in db.execute(
                "SELECT id FROM people WHERE lower(name) = ? UNION "
                "SELECT person_id FROM aliases WHERE lower(alias) = ?",
                (name, name),
            )
        ]
        if not people:
            raise TwinError(f"no contact named {criteria['contact']!r}")
        marks = ",".join("?" * len(people))
        sent = db.execute(f"SELECT count(*) FROM messages WHERE sender_id IN ({marks})", people)
        lines.append(f"{sent.fetchone()[0]} messages {criteria['contact']} sent, everywhere")
        for title, count in db.execute(
            "SELECT title, count(messages.id) FROM conversations JOIN messages ON "
            "messages.conversation_id = conversations.id WHERE coalesce(is_group, 0) = 0 AND "
            "lower(title) = ? GROUP BY conversations.id",
            (name,),
        ):
            lines.append(f"the one-to-one chat '{title}' with all its {count} messages, yours too")
        lines.append(f"the person {criteria['contact']} and their names in every source")
    if "conversation" in criteria:
        name = str(criteria["conversation"]).casefold()
        rows = db.execute(
            "SELECT title, (SELECT count(*) FROM messages WHERE conversation_id = c.id) "
            "FROM conversations c WHERE lower(title) = ? OR lower(external_id) = ?",
            (name, name),
        ).fetchall()
        if not rows:
            raise TwinError(f"no conversation {criteria['conversation']!r}")
        lines += [f"the conversation '{t}' and its {n} messages" for t, n in rows]
    if "source" in criteria:
        source = str(criteria["source"])
        messages = db.execute(
            "SELECT count(*) FROM messages JOIN conversations ON conversations.id = "
            "messages.conversation_id WHERE source = ?",
            (source,),
        ).fetchone()[0]
        notes = db.execute("SELECT count(*) FROM notes WHERE source = ?", (source,)).fetchone()[0]
        lines.append(
            f"everything from {source}: {messages} messages, {notes} notes, its import records"
        )
    if "import_id" in criteria:
        row = db.execute(
            "SELECT source, file_name, (SELECT count(*) FROM messages WHERE import_id = imports.id), "
            "(SELECT count(*) FROM notes WHERE import_id = imports.id) FROM imports WHERE id = ?",
            (criteria["import_id"],),
        ).fetchone()
        if row is None:
            raise TwinError(f"there is no import {criteria['import_id']}")
        lines.append(
            f"import {criteria['import_id']} ({row[0]}, {row[1]}): {row[2]} messages, {row[3]} notes"
        )
    if "before" in criteria:
        day = str(criteria["before"])
        messages = db.execute(
            "SELECT count(*) FROM messages WHERE sort_key < ?", (day,)
        ).fetchone()[0]
        notes = db.execute("SELECT count(*) FROM notes WHERE created_at < ?", (day,)).fetchone()[0]
        lines.append(f"{messages} messages and {notes} notes and journal entries from before {day}")
    lines.append(
        "then what is left without a purpose: emptied conversations, people with no message, "
        "and every dataset and training run made from these records"
    )
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
