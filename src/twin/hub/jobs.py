"""Background jobs of the hub: one at a time per kind, progress kept in the vault.

A job's row in ``hub_jobs`` says what it is doing, so a page reload or a hub restart shows the
same progress; a job still marked running when the hub starts was cut short by the last stop,
and says so. Cancelling sets a flag the job's work checks between steps.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from twin.errors import TwinError
from twin.vault.vault import Vault

KINDS = ("import", "dataset", "train", "evaluate")
STOPPABLE = ("import", "train")
"""Kinds whose work checks for a cancel between steps; a build or an evaluation runs to its end."""
LIVE = ("queued", "running")
OpenVault = Callable[[], Vault]


class Cancelled(Exception):
    """Raised inside a job's work when the person cancelled it."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    """One row of ``hub_jobs``."""

    id: int
    kind: str
    status: str
    params: dict[str, Any]
    progress: dict[str, Any]
    outcome: str
    created_at: str
    finished_at: str | None

    @property
    def live(self) -> bool:
        return self.status in LIVE

    @property
    def stoppable(self) -> bool:
        return self.kind in STOPPABLE

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": self.progress,
            "outcome": self.outcome,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


_COLUMNS = "id, kind, status, params, progress, outcome, created_at, finished_at"


def _job(row: tuple[Any, ...]) -> Job:
    return Job(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]), *row[5:])


def get_job(vault: Vault, job_id: int) -> Job:
    row = vault.db.execute(f"SELECT {_COLUMNS} FROM hub_jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise TwinError(f"there is no job {job_id}")
    return _job(row)


def list_jobs(vault: Vault, kind: str | None = None, limit: int = 20) -> list[Job]:
    sql = f"SELECT {_COLUMNS} FROM hub_jobs"
    params: list[object] = []
    if kind:
        sql += " WHERE kind = ?"
        params.append(kind)
    rows = vault.db.execute(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
    return [_job(row) for row in rows]


def live_job(vault: Vault, kind: str) -> Job | None:
    row = vault.db.execute(
        f"SELECT {_COLUMNS} FROM hub_jobs WHERE kind = ? AND status IN ('queued', 'running') "
        "ORDER BY id DESC LIMIT 1",
        (kind,),
    ).fetchone()
    return None if row is None else _job(row)


def mark_interrupted(vault: Vault) -> int:
    """At start: jobs the last hub left running were cut short; say so on their rows."""
    with vault.transaction():
        return vault.db.execute(
            "UPDATE hub_jobs SET status = 'interrupted', finished_at = ?, "
            "outcome = 'the hub stopped while this ran' WHERE status IN ('queued', 'running')",
            (_now(),),
        ).rowcount


class JobContext:
    """What a job's work gets: its vault connection, and ways to report and to be stopped.

    Progress lives in memory while the work holds a write transaction (an import is one), and
    goes to the job's row whenever the connection is free, and at the end.
    """

    def __init__(self, vault: Vault, job_id: int, jobs: Jobs) -> None:
        self.vault = vault
        self.job_id = job_id
        self.jobs = jobs
        self._last_write = 0.0

    def cancelled(self) -> bool:
        return self.job_id in self.jobs.cancelling

    def check(self) -> None:
        """Raise `Cancelled` when the person asked to stop."""
        if self.cancelled():
            raise Cancelled

    def report(self, force: bool = False, **progress: Any) -> None:
        """Note the job's progress; stored in its row at most a few times a second."""
        self.jobs.progress[self.job_id] = progress
        moment = time.monotonic()
        if self.vault.db.in_transaction or (not force and moment - self._last_write < 0.5):
            return
        self._last_write = moment
        self.jobs.save_progress(self.vault, self.job_id)


Work = Callable[[JobContext], str]
"""A job's work: runs in its own thread with its own vault connection, returns the outcome."""


class Jobs:
    """Starts jobs in threads, one live job per kind."""

    def __init__(self, open_vault: OpenVault) -> None:
        self.open_vault = open_vault
        self._lock = threading.Lock()
        self.threads: dict[int, threading.Thread] = {}
        self.progress: dict[int, dict[str, Any]] = {}
        self.cancelling: set[int] = set()

    def save_progress(self, vault: Vault, job_id: int) -> None:
        with vault.transaction():
            vault.db.execute(
                "UPDATE hub_jobs SET progress = ? WHERE id = ?",
                (json.dumps(self.progress.get(job_id, {}), default=str), job_id),
            )

    def cancel(self, vault: Vault, job_id: int) -> Job:
        """Ask a live job to stop; its work stops at its next check."""
        job = get_job(vault, job_id)
        if job.live:
            self.cancelling.add(job_id)
        return self.view(job)

    def view(self, job: Job) -> Job:
        """A job's row with its latest progress, which may not be stored yet."""
        if job.live and job.id in self.progress:
            job.progress = self.progress[job.id]
        return job

    def start(self, kind: str, params: dict[str, Any], work: Work) -> int:
        """Queue a job and start it, or refuse while another of its kind is live."""
        if kind not in KINDS:
            raise TwinError(f"unknown kind of job {kind!r}")
        with self._lock, self.open_vault() as vault:
            running = live_job(vault, kind)
            if running is not None:
                raise TwinError(
                    f"a {kind} job (#{running.id}) is already running; wait or cancel it"
                )
            with vault.transaction():
                cursor = vault.db.execute(
                    "INSERT INTO hub_jobs (kind, status, params, created_at) "
                    "VALUES (?, 'queued', ?, ?)",
                    (kind, json.dumps(params, default=str), _now()),
                )
            job_id = cursor.lastrowid
            assert job_id is not None
        thread = threading.Thread(
            target=self._run, args=(job_id, work), name=f"twin-job-{job_id}", daemon=True
        )
        self.threads[job_id] = thread
        thread.start()
        return job_id

    def _run(self, job_id: int, work: Work) -> None:
        with self.open_vault() as vault:
            with vault.transaction():
                vault.db.execute("UPDATE hub_jobs SET status = 'running' WHERE id = ?", (job_id,))
            status, outcome = "done", ""
            try:
                outcome = work(JobContext(vault, job_id, self))
            except Cancelled:
                status, outcome = "cancelled", "cancelled; nothing from this job was kept"
            except TwinError as error:
                status, outcome = "failed", str(error)
            except Exception as error:  # a bug, but the hub must go on and say what happened
                status, outcome = "failed", f"{type(error).__name__}: {error}"
            if job_id in self.progress:
                self.save_progress(vault, job_id)
            with vault.transaction():
                vault.db.execute(
                    "UPDATE hub_jobs SET status = ?, outcome = ?, finished_at = ? WHERE id = ?",
                    (status, outcome, _now(), job_id),
                )
            self.cancelling.discard(job_id)
            self.progress.pop(job_id, None)

    def wait(self, job_id: int, timeout: float | None = None) -> None:
        thread = self.threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
