"""Evaluation: run `twin eval` as a background job, show its figures; the blind test.

The figures come from the stored result (`latest_evaluation`) and are laid out by the same
functions as the CLI and the HTML report (`table_rows`, `good_and_bad`, `plots`). The blind
test is `twin blindtest` one round per page: `rounds` deals them from a seed carried in the
form, `record_pick` stores each pick, `store_pass_rate` keeps the rate with the run.
"""

from __future__ import annotations

import random
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from twin.errors import TwinError
from twin.evaluate.blindtest import Round, pass_rate, record_pick, rounds, store_pass_rate
from twin.evaluate.report import good_and_bad, plots, table_rows
from twin.evaluate.results import EvalResult
from twin.evaluate.store import latest_evaluation
from twin.home import Home
from twin.hub.deps import HubDep, VaultDep, render
from twin.hub.jobs import JobContext, list_jobs, live_job
from twin.train.runs import Run, get_run, latest_good_run, list_runs
from twin.vault.vault import Vault

router = APIRouter()
BASE = "base"
"""The run id of an evaluation of the base model alone (`twin eval --base`)."""
CONTEXT_TURNS = 4
"""Turns before the reply shown in a round, as `twin blindtest` shows."""


def _evaluable(home: Home) -> list[Run]:
    return [run for run in list_runs(home) if run.has_adapter]


def _chosen_run(home: Home, run_id: str) -> Run | None:
    return get_run(home, run_id) if run_id else latest_good_run(home)


@router.get("/eval", response_class=HTMLResponse)
def eval_page(request: Request, hub: HubDep, vault: VaultDep, run: str = "") -> HTMLResponse:
    """The latest evaluation of a run (the latest completed one by default), and a form."""
    chosen = _chosen_run(hub.home, run) if run != BASE else None
    run_id = BASE if run == BASE else (chosen.id if chosen else None)
    result = latest_evaluation(vault, run_id) if run_id else latest_evaluation(vault)
    main = (result.twin or result.base) if result else None
    good, bad = good_and_bad(main) if main else ([], [])
    return render(
        request,
        "eval.html",
        title="Evaluation",
        runs=_evaluable(hub.home),
        run_id=run_id,
        result=result,
        rows=table_rows(result) if result else [],
        images=plots(result) if result else {},
        good=good,
        bad=bad,
        rate=pass_rate(vault, result.run_id) if result else None,
        live=live_job(vault, "evaluate"),
        jobs=list_jobs(vault, "evaluate", limit=5),
    )


def _count(value: object, what: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise TwinError(f"{what}: give a whole number, not {text!r}")
    return int(text)


@router.post("/eval/start")
async def start(request: Request, hub: HubDep) -> Response:
    """`twin eval` as a background job, with the same choices."""
    from twin.evaluate.run import sizes_for

    form = await request.form()
    run_id = str(form.get("run") or "") or None
    base_only = run_id == BASE or form.get("base_only") == "on"
    quick = form.get("quick") == "on"
    sizes = sizes_for(
        quick,
        _count(form.get("replies"), "held-out replies"),
        _count(form.get("questions"), "fact questions"),
    )
    if run_id == BASE:
        run_id = None

    def work(job: JobContext) -> str:
        from twin.evaluate.run import evaluate

        job.report(force=True, step="loading the twin and its base model, then asking both")
        result = evaluate(
            job.vault,
            hub.home,
            run_id,
            quick=quick,
            base_only=base_only,
            sizes=sizes,
            embedder=hub.embedder(),
            progress=False,
        )
        said = (
            f", sounds like you {result.sounds_like_you:.0%}"
            if result.sounds_like_you is not None
            else ""
        )
        return (
            f"Evaluated run {result.run_id} on {result.held_out} held-out replies of "
            f"{result.dataset} in {result.seconds:.0f} s{said}. See the figures on the "
            "Evaluation page."
        )

    params: dict[str, Any] = {"run": run_id, "quick": quick, "base_only": base_only}
    job_id = hub.jobs.start("evaluate", params, work)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


def _evaluation(vault: Vault, home: Home, run_id: str) -> EvalResult:
    """The evaluation the blind test draws from, as `twin blindtest` finds it."""
    run = _chosen_run(home, run_id)
    if run is None:
        raise TwinError("no trained run yet: the blind test compares your twin with you")
    result = latest_evaluation(vault, run.id)
    if result is None:
        raise TwinError(f"run {run.id} has no evaluation yet: evaluate it on the Evaluation page")
    return result


def _round(result: EvalResult, seed: str, number: int) -> Round | None:
    dealt = rounds(result, random.Random(seed))
    return dealt[number] if 0 <= number < len(dealt) else None


@router.get("/eval/blind", response_class=HTMLResponse)
def blind_page(
    request: Request,
    hub: HubDep,
    vault: VaultDep,
    run: str = "",
    seed: str = "",
    number: Annotated[int, Query(alias="round")] = 0,
    said: str = "",
) -> HTMLResponse:
    """One round: the conversation so far and two replies; which one is really you?"""
    result = _evaluation(vault, hub.home, run)
    if not seed:
        seed = secrets.token_hex(4)
    shown = _round(result, seed, number)
    context = []
    if shown is not None:
        turns = [t for t in shown.sample.context if t.get("role") != "system"]
        context = [
            ("you" if t.get("role") == "assistant" else "them", t.get("content", ""))
            for t in turns[-CONTEXT_TURNS:]
        ]
    return render(
        request,
        "blind.html",
        title="Blind test",
        run_id=result.run_id,
        evaluated=result.created_at,
        seed=seed,
        number=number,
        total=len(rounds(result, random.Random(seed))),
        shown=shown,
        context=context,
        said=said,
        rate=pass_rate(vault, result.run_id),
    )


@router.post("/eval/blind/pick")
async def pick(request: Request, hub: HubDep, vault: VaultDep) -> Response:
    """Store one pick (or a skip) and go on to the next round."""
    form = await request.form()
    run_id, seed = str(form.get("run") or ""), str(form.get("seed") or "")
    number = int(str(form.get("round") or "0"))
    result = _evaluation(vault, hub.home, run_id)
    if str(form.get("evaluated") or "") != result.created_at:
        raise TwinError("a newer evaluation came in since this round was shown: start again")
    shown = _round(result, seed, number)
    if shown is None:
        raise TwinError("that round is not part of this test: start again")
    choice = str(form.get("choice") or "")
    said = "Skipped."
    if choice in ("1", "2"):
        twin_picked = record_pick(vault, result, shown, int(choice))
        store_pass_rate(vault, result.run_id)
        said = "That one was your twin." if twin_picked else "Right: that one was you."
    elif choice != "skip":
        raise TwinError("pick reply 1 or reply 2, or skip")
    query = urlencode({"run": result.run_id, "seed": seed, "round": number + 1, "said": said})
    return RedirectResponse(f"/eval/blind?{query}", status_code=303)
