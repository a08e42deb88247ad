"""The training loop: loss on labelled tokens, optimizer steps, epochs, checkpoints.

One `Trainer` holds the model with its adapter, the optimizer and the schedule, and where in
its epochs the run stands (`TrainState`); `Trainer.fit` is the loop, and it ends for one
`StopReason`. `save_checkpoint` and `restore` move everything to and from disk, so a resumed
run goes on from the very same step with the very same random numbers.
"""

from __future__ import annotations

import ctypes
import functools
import io
import math
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from twin.atomic import write_file
from twin.errors import TwinError
from twin.train import data
from twin.train.presets import TrainConfig
from twin.train.runs import Run
from twin.vault.sealed import Sealer

StepHook = Callable[[Run, float], bool]
"""Called after every step with the run and the step's loss; returning True stops the run."""


class StopReason(StrEnum):
    """Why `Trainer.fit` returned."""

    DONE = "done"
    """Every step of every epoch (or ``max_steps``) was taken."""
    EARLY = "early"
    """Validation loss stopped improving for ``patience`` epochs."""
    TIME = "time"
    """The time limit (``max_minutes``) was reached."""
    ASKED = "asked"
    """Ctrl-C, or a step hook, asked to stop; a checkpoint lets the run resume."""


@dataclass
class TrainState:
    """Where a run stands in its epochs; saved with every checkpoint."""

    step: int = 0
    """Optimizer steps taken, over all epochs."""
    epoch: int = 0
    """Epochs finished."""
    step_in_epoch: int = 0
    """Steps taken in the current epoch."""
    best_val: float | None = None
    """Lowest validation loss so far; the adapter kept is the one that reached it."""
    bad_epochs: int = 0
    """Epochs in a row without a better validation loss."""
    epoch_loss: float = 0.0
    """Summed loss of the labelled tokens of the current epoch."""
    epoch_tokens: int = 0
    """Labelled tokens of the current epoch."""

    @classmethod
    def from_checkpoint(cls, checkpoint: dict[str, Any]) -> TrainState:
        return cls(**{field.name: checkpoint[field.name] for field in fields(cls)})


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Stop:
    """Set by Ctrl-C or a step hook; the loop checks it between steps."""

    requested = False


@contextmanager
def stop_on_interrupt(stop: Stop) -> Iterator[None]:
    """A first Ctrl-C asks the loop to stop after this step; a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: Any) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.requested = True
        say("\nStopping after this step and saving a checkpoint (Ctrl-C again to abort)...")

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


LOSS_CHUNK = 128
"""Labelled positions projected onto the vocabulary at a time: a chunk's logits are 128 x 49k
floats for the default model (about 25 MB), whatever the batch holds."""


def batch_loss(model: Any, batch: dict[str, Any]) -> tuple[Any, int]:
    """Summed cross-entropy over the labelled tokens of `batch`, and how many there were.

    The vocabulary projection, the largest single matrix in a small model, runs only on the
    positions that carry loss rather than on every token, a chunk at a time (`labelled_loss`).
    """
    base = model.get_base_model()
    hidden = base.get_decoder()(
        input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False
    ).last_hidden_state
    targets = batch["labels"][:, 1:]
    keep = targets != data.IGNORE
    loss = labelled_loss(hidden[:, :-1][keep], base.get_output_embeddings(), targets[keep])
    return loss, int(keep.sum())


def labelled_loss(hidden: Any, head: Any, targets: Any) -> Any:
    """Summed float32 cross-entropy of `head(hidden)` against `targets`.

    With a frozen head (the LoRA case) the logits are never kept: each chunk's gradient with
    respect to `hidden` is worked out as the loss is, so memory holds one chunk of logits rather
    than every labelled position's, and the backward pass has nothing left to recompute. A head
    that trains, or has a bias, takes autograd's plain path.
    """
    import torch.nn.functional as F

    weight = head.weight
    if weight.requires_grad or getattr(head, "bias", None) is not None:
        return F.cross_entropy(head(hidden).float(), targets, reduction="sum")
    return _ChunkedCrossEntropy.apply(hidden, weight, targets)


def _chunked_cross_entropy() -> Any:
    import torch

    class ChunkedCrossEntropy(torch.autograd.Function):
        """Cross-entropy of ``hidden @ weight.T``, chunk by chunk, gradient for `hidden` only."""

        @staticmethod
        def forward(ctx: Any, hidden: Any, weight: Any, targets: Any) -> Any:
            total = torch.zeros((), dtype=torch.float32, device=hidden.device)
            wants_grad = bool(ctx.needs_input_grad[0])
            grad = torch.empty_like(hidden) if wants_grad else None
            for start in range(0, hidden.shape[0], LOSS_CHUNK):
                part = slice(start, start + LOSS_CHUNK)
                logits = (hidden[part] @ weight.T).float()
                target = targets[part, None]
                log_total = torch.logsumexp(logits, dim=-1, keepdim=True)
                total += (log_total - logits.gather(1, target)).sum()
                if grad is not None:  # d loss / d logits = softmax - one-hot
                    logits.sub_(log_total).exp_()
                    logits.scatter_add_(1, target, torch.full_like(target, -1, dtype=logits.dtype))
                    grad[part] = logits.to(weight.dtype) @ weight
            ctx.save_for_backward(grad if grad is not None else hidden.new_empty(0))
            return total

        @staticmethod
        def backward(ctx: Any, grad_output: Any) -> Any:
            (grad,) = ctx.saved_tensors
            return grad * grad_output.to(grad.dtype), None, None

    return ChunkedCrossEntropy


class _Lazy:
    """The autograd function, built on first use so importing this module skips torch."""

    def __init__(self) -> None:
        self._function: Any = None

    def apply(self, *args: Any) -> Any:
        if self._function is None:
            self._function = _chunked_cross_entropy()
        return self._function.apply(*args)


_ChunkedCrossEntropy = _Lazy()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where the C library has none (macOS, musl, Windows)."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def give_back_memory() -> None:
    """Return the heap's free pages to the system after a step.

    Every batch has its own width, so each step frees and allocates tensors of new sizes; glibc
    keeps the freed memory, and over a run the resident size creeps far above what one step
    needs. Trimming after each step costs milliseconds.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


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


def _save_checkpoint(
    run: Run,
    model: Any,
    optimizer: Any,
    scheduler: Any,
    state: TrainState,
    sealer: Sealer | None = None,
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
        **asdict(state),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    if sealer is not None:  # the adapter weights in it can give back what they learned
        sealer.seal_bytes(run.sealed_checkpoint, f"runs/{run.id}/checkpoint.pt", buffer.getvalue())
        run.checkpoint.unlink(missing_ok=True)
    else:

        def write(tmp: Path) -> None:
            tmp.write_bytes(buffer.getvalue())

        write_file(run.checkpoint, write)
    run.save()


def load_checkpoint(run: Run, sealer: Sealer | None) -> dict[str, Any]:
    """The run's last checkpoint, opened in memory when sealed."""
    import torch

    if run.sealed_checkpoint.is_file():
        if sealer is None:
            raise TwinError(f"{run.sealed_checkpoint}: sealed; unlock the vault to resume")
        raw = sealer.open_bytes(run.sealed_checkpoint, f"runs/{run.id}/checkpoint.pt")
        loaded: dict[str, Any] = torch.load(io.BytesIO(raw), weights_only=False)
        return loaded
    plain: dict[str, Any] = torch.load(run.checkpoint, weights_only=False)
    return plain


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
        self.stop = Stop()
        self.state = TrainState()
        self.sealer: Sealer | None = None
        """Seals checkpoints with a key derived from the vault key (None: a plain file)."""

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
        self.state = TrainState.from_checkpoint(checkpoint)

    def save_checkpoint(self) -> None:
        _save_checkpoint(
            self.run, self.model, self.optimizer, self.scheduler, self.state, self.sealer
        )

    def save_adapter(self) -> None:
        """Swap in the current adapter as the run's adapter (the old one stays until then)."""
        from twin.train.adapter_files import save_adapter

        save_adapter(self.run, self.model, self.sealer)  # sealed when trained from the vault

    def fit(self, total_steps: int, on_step: StepHook | None, bar: Any) -> StopReason:
        """Take steps until the run is done, stops improving, runs out of time or is stopped."""
        state, config = self.state, self.config
        task = bar.add_task(
            "training", total=total_steps, completed=state.step, loss=float("nan"), speed=0.0
        )
        self.model.train()
        groups, groups_epoch = [], -1
        while True:
            if state.step >= total_steps or state.epoch >= config.epochs:
                return StopReason.DONE
            if groups_epoch != state.epoch:
                groups = data.batches(self.rows, config.batch_size, seed=config.seed + state.epoch)
                groups_epoch = state.epoch
                bar.update(task, description=f"epoch {state.epoch + 1}/{config.epochs}")
            if state.step_in_epoch < len(groups):
                if self.stop.requested:
                    return StopReason.ASKED
                loss = self._step([self.rows[i] for i in groups[state.step_in_epoch]])
                bar.update(task, advance=1, loss=loss, speed=self.run.tokens_per_second or 0.0)
                if on_step is not None and on_step(self.run, loss):
                    self.stop.requested = True
                if state.step % config.save_every == 0 and not self.stop.requested:
                    self.save_checkpoint()
            out_of_time = self._out_of_time()
            if not (out_of_time or state.step_in_epoch >= len(groups) or state.step >= total_steps):
                continue
            if self.stop.requested and not out_of_time and state.step < total_steps:
                return StopReason.ASKED
            stopped_improving = self._end_epoch(partial=state.step_in_epoch < len(groups))
            if out_of_time:
                return StopReason.TIME
            if stopped_improving:
                return StopReason.EARLY
            self.save_checkpoint()

    def _out_of_time(self) -> bool:
        limit = self.config.max_minutes
        return bool(limit) and self.run.train_seconds >= (limit or 0) * 60

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
        del batch, loss_sum
        if self.config.device == "cpu":
            give_back_memory()
        state, run = self.state, self.run
        state.step += 1
        state.step_in_epoch += 1
        state.epoch_loss += loss_total
        state.epoch_tokens += tokens
        run.step = state.step
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
        train_loss = state.epoch_loss / state.epoch_tokens if state.epoch_tokens else None
        epoch = state.epoch + 1
        run.epochs.append(
            {
                "epoch": epoch,
                "steps": state.step,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "partial": partial,
            }
        )
        say(f"Epoch {epoch}: train loss {_shown(train_loss)}, validation loss {_shown(val_loss)}")
        state.epoch, state.step_in_epoch, state.epoch_loss, state.epoch_tokens = epoch, 0, 0.0, 0
        if val_loss is None or state.best_val is None or val_loss < state.best_val:
            state.best_val, state.bad_epochs = val_loss, 0
            self.save_adapter()
            return False
        state.bad_epochs += 1
        if state.bad_epochs < self.config.patience:
            return False
        say(f"Validation loss has not improved for {state.bad_epochs} epoch(s): stopping.")
        return True


def _shown(loss: float | None) -> str:
    return "-" if loss is None else f"{loss:.3f}"
