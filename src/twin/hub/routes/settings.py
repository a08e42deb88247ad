"""Settings: where the data lives and how much room is left, standing rules, the hub's address."""

from __future__ import annotations

import shutil
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.routes.devices import hub_address
from twin.vault.rules import RULE_KINDS, add_rule, list_rules, remove_rule

router = APIRouter()


def _size(path_bytes: int) -> str:
    value = float(path_bytes)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, hub: HubDep, vault: VaultDep) -> HTMLResponse:
    usage = shutil.disk_usage(hub.home.path)
    used = sum(p.stat().st_size for p in hub.home.path.rglob("*") if p.is_file())
    sources = [row["source"] for row in vault.rows("SELECT DISTINCT source FROM imports")]
    return render(
        request,
        "settings.html",
        title="Settings",
        home=hub.home.path,
        free=_size(usage.free),
        used=_size(used),
        rules=list_rules(vault),
        kinds=RULE_KINDS,
        sources=sources,
        address=hub_address(request, hub),
        fingerprint=hub.fingerprint,
        idle=hub.settings.idle_minutes,
    )


@router.post("/settings/rules")
def new_rule(
    vault: VaultDep, kind: Annotated[str, Form()], value: Annotated[str, Form()]
) -> Response:
    add_rule(vault, kind, value)
    return RedirectResponse("/settings#rules", status_code=303)


@router.post("/settings/rules/{rule_id}/remove")
def drop_rule(vault: VaultDep, rule_id: int) -> Response:
    remove_rule(vault, rule_id)
    return RedirectResponse("/settings#rules", status_code=303)
