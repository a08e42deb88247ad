"""Dataset: build one with the main options, read its card and plot, see past builds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from twin.dataset.build import build_dataset
from twin.dataset.options import BuildOptions
from twin.dataset.store import dataset_names, has_file, read_file, read_text
from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.jobs import JobContext, list_jobs
from twin.vault.rules import parse_day

router = APIRouter()
FORMATS = ("openai", "sharegpt", "alpaca", "text", "chatml")


@router.get("/dataset", response_class=HTMLResponse)
def dataset_page(request: Request, hub: HubDep, vault: VaultDep, name: str = "") -> HTMLResponse:
    names = dataset_names(hub.home)
    shown = name or (names[0] if names else "")
    card = (
        read_text(vault, shown, "card.md") if shown and has_file(hub.home, shown, "card.md") else ""
    )
    plot = bool(shown) and has_file(hub.home, shown, "lengths.png")
    return render(
        request,
        "dataset.html",
        title="Dataset",
        names=names,
        shown=shown,
        card=card,
        plot=plot,
        formats=FORMATS,
        jobs=list_jobs(vault, "dataset", limit=5),
    )


@router.get("/dataset/{name}/lengths.png")
def lengths_plot(vault: VaultDep, name: str) -> Response:
    """The plot, decrypted in memory for this page only."""
    return Response(
        read_file(vault, name, "lengths.png"),
        media_type="image/png",
        headers={"Cache-Control": "no-store"},
    )


@router.post("/dataset/build")
async def build(request: Request, hub: HubDep) -> Response:
    form = await request.form()
    since, until = str(form.get("since") or ""), str(form.get("until") or "")
    options = BuildOptions(
        name=str(form.get("name") or "default"),
        format=str(form.get("format") or "openai"),
        redact=form.get("redact") == "on",
        memory=form.get("memory") == "on",
        low_information=form.get("low_information") == "on",
        since=parse_day(since, "since") if since else None,
        until=parse_day(until, "until") if until else None,
    )

    def work(job: JobContext) -> str:
        job.report(force=True, step="reading your messages and building examples")
        built = build_dataset(job.vault, options)
        examples = built.stats.get("examples", {})
        return (
            f"Dataset {options.name!r} built: {examples.get('train', 0)} training and "
            f"{examples.get('val', 0)} validation examples. Read its card on the Dataset page."
        )

    job_id = hub.jobs.start("dataset", options.describe(), work)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
