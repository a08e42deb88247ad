"""Chat: talk to the twin, see what each reply rests on and what the guards held back,
and say how it should have answered (thumbs, "I would have said …")."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from twin.chat.engine import Engine, load_engine
from twin.chat.feedback import record_feedback
from twin.chat.twin import Reply, Twin
from twin.errors import TwinError
from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.state import Hub
from twin.train.runs import latest_good_run
from twin.vault.sealed import Sealer
from twin.vault.vault import Vault

router = APIRouter()


def _engine(hub: Hub) -> Engine:
    """The model the twin speaks through, loaded once per trained run."""
    run = latest_good_run(hub.home)
    key = run.id if run else "base"
    cached = hub.twin_cache.get("engine")
    if not (isinstance(cached, tuple) and cached[0] == key):
        sealer = Sealer(hub.key) if hub.key else None  # the run's adapter is sealed
        cached = (key, load_engine(hub.home, sealer=sealer))
        hub.twin_cache["engine"] = cached
    return cached[1]  # type: ignore[no-any-return]


def _turns(vault: Vault, chat: str) -> list[dict[str, Any]]:
    rows = vault.rows(
        "SELECT id, role, content, details FROM hub_chat_turns WHERE chat = ? ORDER BY id", chat
    )
    return [{**row, "details": json.loads(str(row["details"]))} for row in rows]


def _context(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"role": str(t["role"]), "content": str(t["content"])} for t in turns]


def _store(vault: Vault, chat: str, role: str, content: str, details: dict[str, Any]) -> int:
    with vault.transaction():
        cursor = vault.db.execute(
            "INSERT INTO hub_chat_turns (chat, role, content, details, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (chat, role, content, json.dumps(details), datetime.now(UTC).isoformat()),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _details(reply: Reply) -> dict[str, Any]:
    described = reply.describe(hide_private=True)
    return {
        "passages": described["passages"],
        "held_back": [g for g in described["guards"] if not g.get("kept", True)],
        "model": reply.model,
    }


@router.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request, vault: VaultDep, c: str = "") -> HTMLResponse:
    chats = [
        row["chat"]
        for row in vault.rows(
            "SELECT chat, max(id) AS last FROM hub_chat_turns GROUP BY chat ORDER BY last DESC"
        )
    ]
    chat = c or secrets.token_hex(6)
    return render(
        request, "chat.html", title="Chat", chat=chat, turns=_turns(vault, chat), chats=chats
    )


@router.post("/chat/send")
def send(
    hub: HubDep, vault: VaultDep, chat: Annotated[str, Form()], text: Annotated[str, Form()]
) -> Response:
    """Without JavaScript: the whole reply, then the page again."""
    if not text.strip():
        raise TwinError("write something to say to your twin")
    _store(vault, chat, "user", text.strip(), {})
    twin = Twin(vault, _engine(hub), hub.embedder())
    with hub.chat_lock:
        reply = twin.ask(_context(_turns(vault, chat)))
    _store(vault, chat, "assistant", reply.text, _details(reply))
    return RedirectResponse(f"/chat?c={chat}#end", status_code=303)


@router.post("/chat/stream")
def stream(
    hub: HubDep, vault: VaultDep, chat: Annotated[str, Form()], text: Annotated[str, Form()]
) -> StreamingResponse:
    """Server-sent events: each guarded sentence as it comes, then what the reply rests on."""
    if not text.strip():
        raise TwinError("write something to say to your twin")
    _store(vault, chat, "user", text.strip(), {})
    context = _context(_turns(vault, chat))
    engine = _engine(hub)

    def events() -> Iterator[str]:
        with hub.open_vault() as own, hub.chat_lock:
            reply, pieces = Twin(own, engine, hub.embedder()).respond(context)
            for piece in pieces:
                yield f"data: {json.dumps({'text': piece})}\n\n"
            details = _details(reply)
            turn = _store(own, chat, "assistant", reply.text, details)
            yield f"event: done\ndata: {json.dumps({'turn': turn, **details})}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@router.post("/chat/feedback")
def feedback(
    request: Request,
    vault: VaultDep,
    turn: Annotated[int, Form()],
    verdict: Annotated[str, Form()],
    correction: Annotated[str, Form()] = "",
) -> Response:
    """Thumbs up or down, and what the person would have said, as a preference for training."""
    row = vault.db.execute(
        "SELECT chat, role, content FROM hub_chat_turns WHERE id = ?", (turn,)
    ).fetchone()
    if row is None or row[1] != "assistant":
        raise TwinError("there is no such reply")
    if verdict not in ("good", "bad"):
        raise TwinError("a verdict is good or bad")
    chat = row[0]
    context = _context([t for t in _turns(vault, chat) if int(t["id"]) < turn])
    record_feedback(
        vault,
        context=context,
        reply=row[2],
        verdict="good" if verdict == "good" else "bad",
        correction=correction.strip() or None,
        source="hub",
    )
    if request.headers.get("x-requested-with") == "fetch":
        return Response(status_code=204)
    return RedirectResponse(f"/chat?c={chat}&thanks={turn}#turn-{turn}", status_code=303)
