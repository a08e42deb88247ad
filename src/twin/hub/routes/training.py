"""Training: start a run with the hardware's preset, watch it live, stop it, resume it."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from twin.dataset.store import dataset_names
from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.jobs import JobContext, list_jobs, live_job
from twin.hub.state import Hub
from twin.train.before import RunEstimate, estimate_run
from twin.train.presets import preset
from twin.train.runs import Run, list_runs
from twin.train.training import TrainRequest, train
from twin.vault.vault import Vault

router = APIRouter()
FIELDS = ("dataset", "base", "epochs", "max_steps", "max_minutes")
"""The form's fields, kept as typed when the page comes back with an estimate."""


def _page(
    request: Request,
    hub: Hub,
    vault: Vault,
    chosen: dict[str, str] | None = None,
    cost: RunEstimate | None = None,
) -> HTMLResponse:
    runs = list_runs(hub.home)
    return render(
        request,
        "training.html",
        title="Training",
        runs=runs,
        datasets=dataset_names(hub.home),
        preset=preset(),
        live=live_job(vault, "train"),
        jobs=list_jobs(vault, "train", limit=5),
        resumable=[run for run in runs if run.status == "stopped"],
        chosen=chosen or {},
        cost=cost,
    )


@router.get("/training", response_class=HTMLResponse)
def training_page(request: Request, hub: HubDep, vault: VaultDep) -> HTMLResponse:
    return _page(request, hub, vault)


def _number(value: object, kind: type) -> object:
    text = str(value or "").strip()
    return kind(text) if text else None


def _ask(form: FormData) -> TrainRequest:
    """What the form asks for, as `twin train` would be asked."""
    overrides = {
        "epochs": _number(form.get("epochs"), int),
        "max_steps": _number(form.get("max_steps"), int),
        "max_minutes": _number(form.get("max_minutes"), float),
    }
    return TrainRequest(
        dataset=str(form.get("dataset") or "") or None,
        base=str(form.get("base") or "") or None,
        overrides={k: v for k, v in overrides.items() if v is not None},
        resume=form.get("resume") == "on",
        run_id=str(form.get("run") or "") or None,
    )


@router.post("/training/estimate", response_class=HTMLResponse)
async def estimate(request: Request, hub: HubDep, vault: VaultDep) -> HTMLResponse:
    """The run's time and memory, worked out as `twin train` does before it starts."""
    form = await request.form()
    ask = _ask(form)
    ask.sealer = vault.sealer
    chosen = {k: str(form.get(k) or "") for k in FIELDS}
    return _page(request, hub, vault, chosen, estimate_run(hub.home, ask))


@router.post("/training/start")
async def start(request: Request, hub: HubDep) -> Response:
    form = await request.form()
    ask = _ask(form)
    resume = ask.resume

    def work(job: JobContext) -> str:
        started = time.monotonic()
        losses: list[float] = []

        def on_step(run: Run, loss: float) -> bool:
            losses.append(round(loss, 4))
            done = max(run.step, 1)
            spent = time.monotonic() - started
            job.report(
                run=run.id,
                step=run.step,
                total=run.total_steps,
                loss=round(loss, 4),
                losses=losses[-200:],
                tokens_per_second=round(run.tokens_per_second or 0),
                eta_seconds=round(spent / done * max(run.total_steps - run.step, 0)),
            )
            return job.cancelled()

        ask.sealer = job.vault.sealer  # datasets are sealed: the run opens them in memory
        run = train(hub.home, ask, on_step=on_step, progress=False)
        job.report(
            force=True, run=run.id, step=run.step, total=run.total_steps, losses=losses[-200:]
        )
        if run.status == "stopped":
            return f"Run {run.id} stopped at step {run.step} of {run.total_steps}; resume it below."
        return f"Run {run.id} {run.status}: {run.step} steps. Your twin now speaks through it."

    params = {"dataset": ask.dataset, "base": ask.base, "resume": resume, **ask.overrides}
    job_id = hub.jobs.start("train", params, work)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
