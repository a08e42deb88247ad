"""Unlocking with the vault passphrase, and locking again."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from twin.errors import TwinError
from twin.hub.deps import HubDep, render
from twin.hub.security import SESSION_COOKIE
from twin.hub.state import Hub

router = APIRouter()


def start_session(request: Request, hub: Hub, target: str) -> Response:
    """A new browser session (HttpOnly, SameSite=Strict, Secure under HTTPS) and a redirect."""
    session = hub.sessions.new()
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.id,
        httponly=True,
        samesite="strict",
        secure=hub.settings.lan,
        path="/",
    )
    return response


@router.get("/unlock", response_class=HTMLResponse)
def unlock_page(request: Request, hub: HubDep) -> Response:
    if not hub.has_vault:
        return RedirectResponse("/welcome", status_code=303)
    return render(request, "unlock.html", title="Unlock")


@router.post("/unlock")
async def unlock(request: Request, hub: HubDep, passphrase: Annotated[str, Form()]) -> Response:
    client = request.state.client
    wait = hub.throttle.wait(client)
    if wait > 0:
        await asyncio.sleep(min(wait, 5.0))
        if hub.throttle.wait(client) > 0:
            return render(
                request,
                "unlock.html",
                429,
                title="Unlock",
                problem=f"Too many wrong tries: wait {wait:.0f} seconds, then try again.",
            )
    try:
        await asyncio.to_thread(hub.unlock, passphrase)
    except TwinError:
        hub.throttle.failed(client)
        return render(
            request,
            "unlock.html",
            401,
            title="Unlock",
            problem="That passphrase does not open the vault.",
        )
    hub.throttle.succeeded(client)
    return start_session(request, hub, "/")


@router.post("/lock")
def lock(request: Request, hub: HubDep) -> Response:
    """Forget the key: every browser must unlock again and devices can't push until then."""
    hub.lock()
    response = RedirectResponse("/unlock", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
