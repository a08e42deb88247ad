"""The training loop: LoRA on a frozen base model, loss on the user's own turns only.

Read top to bottom: find the data and the base model, pack the examples, estimate the cost,
wrap the model with a LoRA adapter, then step through the epochs, writing a checkpoint every
few steps and the adapter whenever validation loss improves. A first Ctrl-C stops cleanly after
the current step; `twin train --resume` then continues from the very same step.
"""

from __future__ import annotations

import math
import os
import random
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.home import Home
from twin.models.registry import resolve_model
from twin.train import data
from twin.train.atomic import write_file, write_folder
from twin.train.estimate import estimate, refuse_if_too_big
from twin.train.presets import TrainConfig, preset
from twin.train.runs import Run, get_run, latest_good_run, latest_unfinished_run, new_run, now

StepHook = Callable[[Run, float], bool]
"""Called after every step with the run and the step's loss; returning True stops the run."""


@dataclass
class TrainRequest:
    """What the user asked `twin train` for."""

    dataset: str | None = None
    base: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    """Settings that replace the hardware preset's (None values are ignored)."""
    resume: bool = False
    """Continue the latest stopped run (or `run_id`) from its last checkpoint."""
    run_id: str | None = None
    continue_training: bool = False
    """Start from the latest completed run's adapter and train on examples added since."""


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class _Stop:
    """Set by Ctrl-C or a step hook; the loop checks it between steps."""

    requested = False


@contextmanager
def _stop_on_interrupt(stop: _Stop) -> Iterator[None]:
    """A first Ctrl-C asks the loop to stop after this step; a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: Any) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.requested = True
        _say("\nStopping after this step and saving a checkpoint (Ctrl-C again to abort)...")

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _schedule(config: TrainConfig, total_steps: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / (config.warmup_steps + 1)
        progress = (step - config.warmup_steps) / max(1, total_steps - config.warmup_steps)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return factor


def batch_loss(model: Any, batch: dict[str, Any]) -> tuple[Any, int]:
    """Summed cross-entropy over the labelled tokens of `batch`, and how many there were.

    The vocabulary projection, the largest single matrix in a small model, runs only on the
    positions that carry loss rather than on every token.
    """
    import torch.nn.functional as F

    base = model.get_base_model()
    hidden = base.get_decoder()(
        input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False
    ).last_hidden_state
    targets = batch["labels"][:, 1:]
    keep = targets != data.IGNORE
    logits = base.get_output_embeddings()(hidden[:, :-1][keep])
    loss = F.cross_entropy(logits.float(), targets[keep], reduction="sum")
    return loss, int(keep.sum())


def _to(batch: dict[str, Any], device: str) -> dict[str, Any]:
    return {key: value.to(device) for key, value in batch.items()}


def evaluate(model: Any, rows: list[data.Row], config: TrainConfig, pad_id: int) -> float | None:
    """Mean loss per labelled token over `rows`; None when there are none."""
    import torch

    if not rows:
        return None
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for group in data.batches(rows, config.batch_size, seed=0):
            batch = _to(data.collate([rows[i] for i in group], pad_id), config.device)
            loss, tokens = batch_loss(model, batch)
            total += float(loss)
            count += tokens
    model.train()
    return total / count if count else None


def _load_base(base_dir: Path, config: TrainConfig) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    dtype = getattr(torch, config.dtype)
    kwargs: dict[str, Any] = {"dtype": dtype}
    if config.load_in_4bit:
        if config.device != "cuda":
            raise TwinError("--load-in-4bit needs a CUDA GPU")
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=dtype,
            bnb_4bit_use_double_quant=True,
        )
        kwargs["device_map"] = {"": 0}
    model = AutoModelForCausalLM.from_pretrained(base_dir, **kwargs)
    if config.load_in_4bit:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(  # type: ignore[no-untyped-call]
            model, use_gradient_checkpointing=False
        )
    else:
        model.to(config.device)  # type: ignore[arg-type]
    return model


def _with_adapter(model: Any, config: TrainConfig, start_from: Path | None) -> Any:
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from safetensors.torch import load_file

    layers = int(model.config.num_hidden_layers)
    top = min(config.top_layers or layers, layers)
    lora = LoraConfig(
        r=config.rank,
        layers_to_transform=list(range(layers - top, layers)),
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.target_modules),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    if start_from is not None:
        set_peft_model_state_dict(model, load_file(start_from / "adapter_model.safetensors"))
    return model


def _save_checkpoint(
    run: Run, model: Any, optimizer: Any, scheduler: Any, state: dict[str, Any]
) -> None:
    """Everything needed to go on from this very step, written atomically, then run.json."""
    import torch
    from peft import get_peft_model_state_dict

    payload = {
        "adapter": get_peft_model_state_dict(model),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "python_rng": random.getstate(),
        **state,
    }
    write_file(run.checkpoint, lambda tmp: torch.save(payload, tmp))
    run.save()


def _seen(run: Run | None) -> set[str]:
    """Keys of the examples `run` and the runs before it trained on."""
    if run is None or not run.seen_examples.is_file():
        return set()
    return set(run.seen_examples.read_text(encoding="utf-8").split())


def _examples_for_continue(
    parent: Run, conversations: list[data.Messages], seed: int
) -> list[data.Messages]:
    """The conversations `parent` never saw, plus as many old ones again so the twin keeps them."""
    seen = _seen(parent)
    fresh = [m for m in conversations if data.example_key(m) not in seen]
    if not fresh:
        raise TwinError(f"nothing was added to the dataset since run {parent.id}; nothing to train")
    old = [m for m in conversations if data.example_key(m) in seen]
    replay = random.Random(seed).sample(old, min(len(old), len(fresh)))
    _say(f"Continuing from run {parent.id}: {len(fresh)} new examples, {len(replay)} replayed.")
    return fresh + replay


@dataclass
class _Plan:
    """What a run will train: settings, data, base model, and where it starts from."""

    config: TrainConfig
    folder: Path
    base_name: str
    base_dir: Path
    parent: Run | None = None
    run: Run | None = None
    checkpoint: dict[str, Any] | None = None


def _plan(home: Home, request: TrainRequest) -> _Plan:
    """Work out what `request` means: a new run, a resumed one, or a continued one."""
    import torch

    if request.resume:
        run = get_run(home, request.run_id) if request.run_id else latest_unfinished_run(home)
        if run is None:
            raise TwinError("no stopped run to resume; start one with `twin train`")
        if run.status == "completed" or not run.checkpoint.is_file():
            raise TwinError(f"run {run.id} has no checkpoint to resume from ({run.status})")
        folder = home.datasets / run.dataset
        if not folder.is_dir() or data.dataset_hash(folder) != run.dataset_hash:
            raise TwinError(f"dataset {run.dataset!r} changed since run {run.id} began")
        return _Plan(
            config=TrainConfig.from_json(run.config),
            folder=folder,
            base_name=run.base,
            base_dir=run.base_path(home),
            parent=get_run(home, run.parent) if run.parent else None,
            run=run,
            checkpoint=torch.load(run.checkpoint, weights_only=False),
        )
    config = preset(request.overrides.get("device")).override(**request.overrides)
    folder = data.dataset_dir(home, request.dataset)
    if not request.continue_training:
        return _Plan(config, folder, request.base or "default", resolve_model(home, request.base))
    parent = latest_good_run(home)
    if parent is None:
        raise TwinError("no completed run to continue from; train one with `twin train`")
    if request.base is not None and request.base != parent.base:
        raise TwinError("--continue keeps the base model of the run it continues")
    return _Plan(config, folder, parent.base, parent.base_path(home), parent=parent)


def _rows(plan: _Plan, tokenizer: Any) -> tuple[list[data.Example], list[data.Row], list[data.Row]]:
    """The training examples, the rows they pack into, and the packed validation rows."""
    seq_len = plan.config.seq_len
    conversations = data.read_conversations(plan.folder / "train.jsonl")
    if plan.parent is not None:
        conversations = _examples_for_continue(plan.parent, conversations, plan.config.seed)
    examples = data.tokenize_all(tokenizer, conversations, seq_len)
    if not examples:
        raise TwinError(f"{plan.folder / 'train.jsonl'}: no assistant turn to learn from")
    held_out = data.read_conversations(plan.folder / "val.jsonl")
    val_rows = data.pack(data.tokenize_all(tokenizer, held_out, seq_len), seq_len)
    return examples, data.pack(examples, seq_len), val_rows


def train(
    home: Home, request: TrainRequest, on_step: StepHook | None = None, progress: bool = True
) -> Run:
    """Train (or resume, or continue) a run as `request` says, and return it once it stops."""
    import torch
    from transformers import AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
    plan = _plan(home, request)
    config = plan.config
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(plan.base_dir)
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        pad_id = tokenizer.eos_token_id
    examples, rows, val_rows = _rows(plan, tokenizer)
    steps_per_epoch = math.ceil(len(rows) / config.batch_size)
    total_steps = min(steps_per_epoch * config.epochs, config.max_steps or sys.maxsize)
    done = plan.checkpoint["step"] if plan.checkpoint else 0
    epoch_tokens = sum(len(row.input_ids) for row in rows)

    model = _load_base(plan.base_dir, config)
    parameters = sum(p.numel() for p in model.parameters())
    tokens_left = epoch_tokens * (total_steps - done) // steps_per_epoch
    cost = estimate(model.config, parameters, config, tokens_left, total_steps - done)
    refuse_if_too_big(cost)
    _say(
        f"Training on {len(examples)} examples ({epoch_tokens} tokens an epoch, "
        f"{total_steps} steps) on {config.device}: {cost.describe()}."
    )

    run = plan.run
    if run is None:
        run = new_run(
            home,
            base=plan.base_name,
            base_dir=str(plan.base_dir),
            dataset=plan.folder.name,
            dataset_hash=data.dataset_hash(plan.folder),
            config=config.to_json(),
            parent=plan.parent.id if plan.parent else None,
            examples=len(examples),
        )
        seen = _seen(plan.parent) | {example.key for example in examples}
        run.seen_examples.write_text("\n".join(sorted(seen)) + "\n", encoding="utf-8")
    run.status, run.pid, run.message, run.total_steps = "running", os.getpid(), None, total_steps
    run.save()

    start_from = plan.parent.adapter_dir if plan.parent and plan.checkpoint is None else None
    trainer = Trainer(run, _with_adapter(model, config, start_from), config, rows, val_rows, pad_id)
    if plan.checkpoint is not None:
        trainer.restore(plan.checkpoint)
        _say(f"Resuming run {run.id} at step {trainer.state['step']} of {total_steps}.")
    try:
        with _stop_on_interrupt(trainer.stop), _progress(progress) as bar:
            finished = trainer.fit(total_steps, on_step, bar)
    except BaseException as error:
        run.status = "stopped" if isinstance(error, KeyboardInterrupt) else "failed"
        run.message = f"{type(error).__name__}: {error}"
        run.save()
        raise
    if not finished:
        trainer.save_checkpoint()
        run.status = "stopped"
        run.message = "stopped by request; `twin train --resume` continues it"
        run.save()
        _say(f"Run {run.id} stopped at step {run.step} of {total_steps}; `twin train --resume`.")
        return run
    if not run.has_adapter:
        trainer.save_adapter()
    run.status, run.finished_at, run.pid = "completed", now(), None
    run.save()
    run.checkpoint.unlink(missing_ok=True)
    return run


def _progress(enabled: bool) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.3f}"),
        TextColumn("{task.fields[speed]:.0f} tok/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


class Trainer:
    """The model, optimizer and schedule of one run, and where in its epochs it stands."""

    def __init__(
        self,
        run: Run,
        model: Any,
        config: TrainConfig,
        rows: list[data.Row],
        val_rows: list[data.Row],
        pad_id: int,
    ) -> None:
        import torch

        self.run, self.model, self.config = run, model, config
        self.rows, self.val_rows, self.pad_id = rows, val_rows, pad_id
        self.trainable = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            self.trainable, lr=config.lr, weight_decay=config.weight_decay
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, _schedule(config, run.total_steps)
        )
        self.stop = _Stop()
        self.state: dict[str, Any] = {
            "step": 0,
            "epoch": 0,
            "step_in_epoch": 0,
            "best_val": None,
            "bad_epochs": 0,
            "epoch_loss": 0.0,
            "epoch_tokens": 0,
        }

    def restore(self, checkpoint: dict[str, Any]) -> None:
        """Go back to exactly where `checkpoint` was written: weights, optimizer, RNG, step."""
        import torch
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(self.model, checkpoint["adapter"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.scheduler.load_state_dict(checkpoint["scheduler"])
        torch.set_rng_state(checkpoint["torch_rng"])
        if checkpoint.get("cuda_rng") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(checkpoint["cuda_rng"])
        random.setstate(checkpoint["python_rng"])
        self.state = {key: checkpoint[key] for key in self.state}

    def save_checkpoint(self) -> None:
        _save_checkpoint(self.run, self.model, self.optimizer, self.scheduler, self.state)

    def save_adapter(self) -> None:
        """Swap in the current adapter as the run's adapter (the old one stays until then)."""
        write_folder(self.run.folder / "adapter", lambda tmp: self.model.save_pretrained(tmp))

    def fit(self, total_steps: int, on_step: StepHook | None, bar: Any) -> bool:
        """Run the remaining steps; True when training finished, False when asked to stop."""
        state, config = self.state, self.config
        task = bar.add_task(
            "training", total=total_steps, completed=state["step"], loss=float("nan"), speed=0.0
        )
        self.model.train()
        while state["step"] < total_steps and state["epoch"] < config.epochs:
            bar.update(task, description=f"epoch {state['epoch'] + 1}/{config.epochs}")
            groups = data.batches(self.rows, config.batch_size, seed=config.seed + state["epoch"])
            while state["step_in_epoch"] < len(groups) and state["step"] < total_steps:
                if self.stop.requested:
                    return False
                loss = self._step([self.rows[i] for i in groups[state["step_in_epoch"]]])
                bar.update(task, advance=1, loss=loss, speed=self.run.tokens_per_second or 0.0)
                if on_step is not None and on_step(self.run, loss):
                    self.stop.requested = True
                if state["step"] % config.save_every == 0 and not self.stop.requested:
                    self.save_checkpoint()
                if self._out_of_time():
                    break
            if self._out_of_time():
                self.run.message = f"finished at the time limit of {config.max_minutes} minutes"
                self._end_epoch(partial=state["step_in_epoch"] < len(groups))
                return True
            if self.stop.requested and state["step"] < total_steps:
                return False
            if self._end_epoch(partial=state["step_in_epoch"] < len(groups)):
                break
            self.save_checkpoint()
        return True

    def _out_of_time(self) -> bool:
        limit = self.config.max_minutes
        return limit is not None and self.run.train_seconds >= limit * 60

    def _step(self, rows: list[data.Row]) -> float:
        """One optimizer step on `rows`; returns its loss per labelled token."""
        import torch

        started = time.perf_counter()
        batch = _to(data.collate(rows, self.pad_id), self.config.device)
        loss_sum, tokens = batch_loss(self.model, batch)
        (loss_sum / max(tokens, 1)).backward()
        torch.nn.utils.clip_grad_norm_(self.trainable, 1.0)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        loss_total = float(loss_sum.detach())
        state, run = self.state, self.run
        state["step"] += 1
        state["step_in_epoch"] += 1
        state["epoch_loss"] += loss_total
        state["epoch_tokens"] += tokens
        run.step = state["step"]
        run.trained_tokens += tokens
        run.seen_tokens += sum(len(row.input_ids) for row in rows)
        run.train_seconds += time.perf_counter() - started
        run.tokens_per_second = run.seen_tokens / run.train_seconds
        return loss_total / max(tokens, 1)

    def _end_epoch(self, partial: bool) -> bool:
        """Record the epoch's losses and keep the adapter if validation improved.

        Returns True when validation loss has stopped improving (early stopping).
        """
        state, run = self.state, self.run
        val_loss = evaluate(self.model, self.val_rows, self.config, self.pad_id)
        train_loss = state["epoch_loss"] / state["epoch_tokens"] if state["epoch_tokens"] else None
        epoch = state["epoch"] + 1
        run.epochs.append(
            {
                "epoch": epoch,
                "steps": state["step"],
                "train_loss": train_loss,
                "val_loss": val_loss,
                "partial": partial,
            }
        )
        _say(f"Epoch {epoch}: train loss {_shown(train_loss)}, validation loss {_shown(val_loss)}")
        state.update(epoch=epoch, step_in_epoch=0, epoch_loss=0.0, epoch_tokens=0)
        if val_loss is None or state["best_val"] is None or val_loss < state["best_val"]:
            state["best_val"], state["bad_epochs"] = val_loss, 0
            self.save_adapter()
            return False
        state["bad_epochs"] += 1
        if state["bad_epochs"] < self.config.patience:
            return False
        _say(f"Validation loss has not improved for {state['bad_epochs']} epoch(s): stopping.")
        run.message = "stopped early: validation loss stopped improving"
        return True


def _shown(loss: float | None) -> str:
    return "-" if loss is None else f"{loss:.3f}"
