"""Training runs: one folder per run under ``$TWIN_HOME/runs``, described by ``run.json``."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from twin.atomic import readable_folder, write_text
from twin.errors import TwinError
from twin.home import Home, private_folder
from twin.hookspecs import hookimpl
from twin.train.presets import TrainConfig
from twin.vault.forget import Forgotten
from twin.vault.vault import Vault

Status = Literal["running", "stopped", "completed", "failed"]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Run:
    """What one training run did: its inputs, settings, losses and timing."""

    id: str
    folder: Path
    base: str
    """The base model as the user named it (``default``, a name, a folder or a GGUF file)."""
    base_dir: str
    """The model folder the base resolved to."""
    dataset: str
    dataset_hash: str
    config: TrainConfig
    """The settings it trained with."""
    status: Status = "running"
    parent: str | None = None
    """The run whose adapter this one continued from (`twin train --continue`)."""
    conversation_ids: list[int] = field(default_factory=list)
    """Vault conversations its examples came from (and its parent's): `twin forget` uses them."""
    epochs: list[dict[str, Any]] = field(default_factory=list)
    """Per epoch: epoch, steps, train_loss, val_loss."""
    step: int = 0
    total_steps: int = 0
    trained_tokens: int = 0
    """Tokens that carried loss (the user's own words), summed over all steps."""
    seen_tokens: int = 0
    """All tokens fed to the model, prompts included."""
    train_seconds: float = 0.0
    tokens_per_second: float | None = None
    """Tokens fed to the model per second of training."""
    examples: int = 0
    started_at: str = field(default_factory=now)
    created: float = field(default_factory=time.time)
    """When the run was created, in seconds since the epoch: orders runs started in one second."""
    finished_at: str | None = None
    message: str | None = None
    pid: int | None = None

    @property
    def adapter_dir(self) -> Path:
        """The LoRA adapter (PEFT format) with the best validation loss so far."""
        return readable_folder(self.folder / "adapter") or self.folder / "adapter"

    @property
    def sealed_adapter(self) -> Path:
        """The adapter, sealed with a key derived from the vault key (`train.adapter_files`)."""
        return self.folder / "adapter.safetensors.sealed"

    @property
    def checkpoint(self) -> Path:
        """A plain checkpoint, written only by runs without a vault (datasets made by hand)."""
        return self.folder / "checkpoint.pt"

    @property
    def sealed_checkpoint(self) -> Path:
        """The checkpoint, sealed with a key derived from the vault key."""
        return self.folder / "checkpoint.pt.sealed"

    @property
    def has_checkpoint(self) -> bool:
        return self.sealed_checkpoint.is_file() or self.checkpoint.is_file()

    @property
    def seen_examples(self) -> Path:
        """Keys of every example this run and the runs it continued from trained on."""
        return self.folder / "examples.txt"

    @property
    def has_adapter(self) -> bool:
        return self.sealed_adapter.is_file() or (self.adapter_dir / "adapter_config.json").is_file()

    def base_path(self, home: Home) -> Path:
        """The base model folder, resolved again if it has moved since."""
        if (Path(self.base_dir) / "config.json").is_file():
            return Path(self.base_dir)
        from twin.models.registry import resolve_model

        return resolve_model(home, self.base)

    def save(self) -> None:
        """Write ``run.json`` atomically."""
        data = asdict(self)
        data["folder"] = str(self.folder)
        data["config"] = self.config.to_json()
        write_text(self.folder / "run.json", json.dumps(data, indent=2) + "\n")

    def summary(self) -> dict[str, Any]:
        """What `twin runs list --json` shows."""
        return {
            "id": self.id,
            "base": self.base,
            "dataset": self.dataset,
            "dataset_hash": self.dataset_hash,
            "status": self.status,
            "parent": self.parent,
            "epochs": self.epochs,
            "step": self.step,
            "total_steps": self.total_steps,
            "tokens_per_second": self.tokens_per_second,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _load(folder: Path) -> Run:
    try:
        data = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TwinError(f"{folder / 'run.json'}: cannot read this run ({error})") from None
    data["folder"] = folder
    data["config"] = TrainConfig.from_json(data.get("config") or {})
    data.setdefault("created", datetime.fromisoformat(data["started_at"]).timestamp())
    run = Run(**data)
    if run.status == "running" and not _alive(run.pid):
        run.status = "stopped"  # killed before it could say so; `twin train --resume` goes on
        run.message = run.message or "the training process ended without finishing"
    return run


def new_run(home: Home, **values: Any) -> Run:
    """Create the folder and ``run.json`` of a new run."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_id = f"{stamp}-{secrets.token_hex(2)}"
    folder = private_folder(home.runs) / run_id
    folder.mkdir(mode=0o700)
    run = Run(id=run_id, folder=folder, pid=os.getpid(), **values)
    run.save()
    return run


def list_runs(home: Home) -> list[Run]:
    """Every run, oldest first."""
    if not home.runs.is_dir():
        return []
    folders = [p for p in home.runs.iterdir() if (p / "run.json").is_file()]
    return sorted((_load(folder) for folder in folders), key=lambda run: (run.created, run.id))


def get_run(home: Home, run_id: str) -> Run:
    """The run `run_id`; a unique prefix of the id is enough."""
    matches = [run for run in list_runs(home) if run.id.startswith(run_id)]
    if not matches:
        raise TwinError(f"no run {run_id!r}; see `twin runs list`")
    if len(matches) > 1 and not any(run.id == run_id for run in matches):
        raise TwinError(f"{run_id!r} matches several runs; give more of the id")
    exact = [run for run in matches if run.id == run_id]
    return exact[0] if exact else matches[0]


def latest_good_run(home: Home) -> Run | None:
    """The newest completed run that has an adapter, or None."""
    good = [run for run in list_runs(home) if run.status == "completed" and run.has_adapter]
    return good[-1] if good else None


def latest_unfinished_run(home: Home) -> Run | None:
    """The newest stopped run with a checkpoint to resume from, or None."""
    stopped = [run for run in list_runs(home) if run.status == "stopped" and run.has_checkpoint]
    return stopped[-1] if stopped else None


@hookimpl(specname="forget_derived")
def forget_runs(vault: Vault, gone: Forgotten) -> None:
    """Delete every run trained on a conversation that `twin forget` touched.

    A fine-tuned adapter can repeat what it was trained on, so it goes with its data.
    """
    if not gone.conversation_ids:
        return
    for run in list_runs(vault.home):
        if gone.conversation_ids & set(run.conversation_ids):
            shutil.rmtree(run.folder)
            gone.derived.append(f"training run {run.id} (it learned from messages now forgotten)")


def check_runs(vault: Vault) -> list[str]:
    """Runs that learned from conversations no longer in the vault (for `twin check`)."""
    conversations = {row[0] for row in vault.db.execute("SELECT id FROM conversations")}
    problems = []
    for run in list_runs(vault.home):
        gone = set(run.conversation_ids) - conversations
        if gone:
            problems.append(
                f"training run {run.id} learned from {len(gone)} conversations no longer in the "
                "vault; delete it (`twin forget` normally does)"
            )
    return problems
