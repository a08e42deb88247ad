"""Training: start a run with the hardware's preset, watch it live, stop it, resume it."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from twin.dataset.store import dataset_names
from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.jobs import JobContext, list_jobs, live_job
from twin.train.presets import preset
from twin.train.runs import Run, list_runs
from twin.train.training import TrainRequest, train

router = APIRouter()


@router.get("/training", response_class=HTMLResponse)
def training_page(request: Request, hub: HubDep, vault: VaultDep) -> HTMLResponse:
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
    )


def _number(value: object, kind: type) -> object:
    text = str(value or "").strip()
    return kind(text) if text else None


@router.post("/training/start")
async def start(request: Request, hub: HubDep) -> Response:
    form = await request.form()
    resume = form.get("resume") == "on"
    overrides = {
        "epochs": _number(form.get("epochs"), int),
        "max_steps": _number(form.get("max_steps"), int),
        "max_minutes": _number(form.get("max_minutes"), float),
    }
    ask = TrainRequest(
        dataset=str(form.get("dataset") or "") or None,
        base=str(form.get("base") or "") or None,
        overrides={k: v for k, v in overrides.items() if v is not None},
        resume=resume,
        run_id=str(form.get("run") or "") or None,
    )

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
