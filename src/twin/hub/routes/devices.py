"""Devices: pair one with a one-time code (and its QR code), list them, revoke one."""

from __future__ import annotations

import asyncio
from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from twin.errors import TwinError
from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.devices import list_devices, pair_device, revoke_device
from twin.hub.security import DEVICE_COOKIE
from twin.hub.state import Hub

router = APIRouter()


def hub_address(request: Request, hub: Hub) -> str:
    """The address other devices reach the hub at, as the browser reached it."""
    return f"{hub.settings.scheme}://{request.headers.get('host', '127.0.0.1')}"


def qr_svg(text: str) -> str:
    """A QR code as inline SVG, drawn by the hub itself."""
    return segno.make(text, error="m").svg_inline(scale=4, dark="#111", light="#fff")


@router.get("/devices", response_class=HTMLResponse)
def devices_page(request: Request, hub: HubDep, vault: VaultDep) -> HTMLResponse:
    return render(
        request,
        "devices.html",
        title="Devices",
        devices=list_devices(vault),
        address=hub_address(request, hub),
    )


@router.post("/devices/code", response_class=HTMLResponse)
def new_code(request: Request, hub: HubDep, vault: VaultDep) -> HTMLResponse:
    code = hub.codes.new()
    link = f"{hub_address(request, hub)}/pair?code={code}"
    return render(
        request,
        "devices.html",
        title="Devices",
        devices=list_devices(vault),
        code=code,
        link=link,
        qr=qr_svg(link),
        address=hub_address(request, hub),
        minutes=hub.settings.pairing_minutes,
    )


@router.post("/devices/{device_id}/revoke")
def revoke(vault: VaultDep, device_id: int) -> Response:
    revoke_device(vault, device_id)
    return RedirectResponse("/devices", status_code=303)


async def _pair(request: Request, hub: Hub, code: str, name: str) -> tuple[int, str]:
    """Use a code once: a new device and its token, or a slowed-down refusal."""
    client = request.state.client
    wait = hub.throttle.wait(client)
    if wait > 0:
        await asyncio.sleep(min(wait, 5.0))
    if not hub.codes.use(code):
        hub.throttle.failed(client)
        raise TwinError("that pairing code is wrong, used or expired; ask the hub for a new one")
    hub.throttle.succeeded(client)
    with hub.open_vault() as vault:
        device, token = pair_device(vault, name)
    return device.id, token


@router.get("/pair", response_class=HTMLResponse)
def pair_page(request: Request, code: str = "") -> HTMLResponse:
    return render(request, "pair.html", title="Pair this device", code=code)


@router.post("/pair", response_class=HTMLResponse)
async def pair_browser(
    request: Request, hub: HubDep, code: Annotated[str, Form()], name: Annotated[str, Form()]
) -> Response:
    try:
        device_id, token = await _pair(request, hub, code, name)
    except TwinError as error:
        return render(
            request, "pair.html", 401, title="Pair this device", code="", problem=str(error)
        )
    response = render(request, "paired.html", title="Paired", token=token, device_id=device_id)
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=hub.settings.lan,
        max_age=400 * 24 * 3600,
    )
    return response


class PairRequest(BaseModel):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=80)


@router.post("/api/pair")
async def pair_api(request: Request, hub: HubDep, body: PairRequest) -> JSONResponse:
    """A device sends the code it was shown; it gets its own token, to send as a Bearer token."""
    try:
        device_id, token = await _pair(request, hub, body.code, body.name)
    except TwinError as error:
        return JSONResponse({"detail": str(error)}, status_code=401)
    return JSONResponse({"device_id": device_id, "token": token})
