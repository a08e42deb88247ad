"""Dependency aliases every route uses, and the one way pages are rendered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from twin.hub.devices import Device
from twin.hub.security import Session
from twin.hub.state import Hub
from twin.vault.vault import Vault

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

NAV = [
    ("/", "Start"),
    ("/welcome", "How twin works"),
    ("/sources", "Sources"),
    ("/data", "Data"),
    ("/journal", "Journal"),
    ("/dataset", "Dataset"),
    ("/training", "Training"),
    ("/chat", "Chat"),
    ("/eval", "Evaluation"),
    ("/devices", "Devices"),
    ("/settings", "Settings"),
]


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def get_vault(hub: HubDep) -> Iterator[Vault]:
    """A vault connection for this request, closed when it ends."""
    with hub.open_vault() as vault:
        yield vault


VaultDep = Annotated[Vault, Depends(get_vault)]


def current_session(request: Request) -> Session:
    session: Session | None = request.state.session
    if session is None:
        raise HTTPException(status_code=401, detail="unlock the hub first")
    return session


SessionDep = Annotated[Session, Depends(current_session)]


def current_device(request: Request) -> Device:
    device: Device | None = request.state.device
    if device is None:
        raise HTTPException(status_code=401, detail="this route needs a paired device's token")
    return device


DeviceDep = Annotated[Device, Depends(current_device)]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page in the hub's layout, with the navigation and the session's CSRF token."""
    session: Session | None = getattr(request.state, "session", None)
    hub = get_hub(request)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "nav": NAV,
            "path": request.url.path,
            "csrf": session.csrf if session else "",
            "unlocked": session is not None,
            "hub": hub,
            **context,
        },
        status_code=status_code,
    )
