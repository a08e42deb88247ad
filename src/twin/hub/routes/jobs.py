"""A background job's page, its state as JSON, its live progress (SSE), and cancelling it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.jobs import get_job

router = APIRouter()
RETURN_TO = {"import": "/sources", "dataset": "/dataset", "train": "/training", "evaluate": "/eval"}


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, hub: HubDep, vault: VaultDep, job_id: int) -> HTMLResponse:
    job = hub.jobs.view(get_job(vault, job_id))
    return render(
        request, "job.html", title=f"Job {job_id}", job=job, back=RETURN_TO.get(job.kind, "/")
    )


@router.get("/jobs/{job_id}/state")
def job_state(hub: HubDep, vault: VaultDep, job_id: int) -> dict[str, object]:
    return hub.jobs.view(get_job(vault, job_id)).describe()


@router.get("/jobs/{job_id}/events")
async def job_events(hub: HubDep, job_id: int) -> StreamingResponse:
    """Server-sent events: the job's row each time it changes, until it ends."""

    async def events() -> AsyncIterator[str]:
        last = ""
        while True:
            with hub.open_vault() as vault:
                job = hub.jobs.view(get_job(vault, job_id))
            now = json.dumps(job.describe())
            if now != last:
                yield f"data: {now}\n\n"
                last = now
            if not job.live:
                yield "event: end\ndata: {}\n\n"
                return
            await asyncio.sleep(0.5)

    return StreamingResponse(events(), media_type="text/event-stream")


@router.post("/jobs/{job_id}/cancel")
def cancel(hub: HubDep, vault: VaultDep, job_id: int) -> Response:
    hub.jobs.cancel(vault, job_id)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
