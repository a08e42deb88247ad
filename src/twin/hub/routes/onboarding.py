"""The start page and the onboarding: what a twin is, how it is made, where the data lives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from twin.errors import TwinError
from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.jobs import list_jobs
from twin.train.runs import list_runs

router = APIRouter()


@router.get("/welcome", response_class=HTMLResponse)
def welcome(request: Request, hub: HubDep) -> HTMLResponse:
    return render(request, "welcome.html", title="How twin works", has_vault=hub.has_vault)


@router.post("/welcome/create")
def create_vault(
    request: Request,
    hub: HubDep,
    passphrase: Annotated[str, Form()],
    again: Annotated[str, Form()],
) -> Response:
    """A newcomer's first step: a new vault, made as `twin init` makes it."""
    if hub.has_vault:
        raise TwinError("a vault already exists here; unlock it instead")
    try:
        hub.create_vault(passphrase, again)
    except TwinError as error:
        return render(
            request,
            "welcome.html",
            400,
            title="How twin works",
            has_vault=False,
            problem=str(error),
        )
    from twin.hub.routes.unlock import start_session

    return start_session(request, hub, "/sources")


@router.get("/", response_class=HTMLResponse)
def start(request: Request, hub: HubDep, vault: VaultDep) -> HTMLResponse:
    counts = vault.counts()
    runs = list_runs(hub.home)
    steps = [
        ("Collect a chat export", "/sources", counts["messages"] > 0),
        ("Write a journal entry", "/journal", counts["notes"] > 0),
        (
            "Build a dataset",
            "/dataset",
            (hub.home.datasets).is_dir() and any(hub.home.datasets.iterdir()),
        ),
        ("Train your twin", "/training", any(run.status == "completed" for run in runs)),
        ("Talk to it", "/chat", False),
        (
            "See how like you it is",
            "/eval",
            vault.db.execute("SELECT 1 FROM evaluations LIMIT 1").fetchone() is not None,
        ),
    ]
    return render(
        request,
        "start.html",
        title="Start",
        counts=counts,
        steps=steps,
        jobs=list_jobs(vault, limit=5),
    )


@router.get("/favicon.ico")
def favicon() -> Response:
    return RedirectResponse("/static/diagram.svg", status_code=307)
