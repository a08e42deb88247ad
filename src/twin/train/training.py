"""Training a twin: plan the run, load the model, run the loop, record how it ended.

Read top to bottom: work out what to train (a new run, a resumed one or a continued one), find
the data and the base model, pack the examples, estimate the cost, wrap the model with a LoRA
adapter (loss on the user's own turns only), and hand it to the `Trainer` in loop.py, which
steps through the epochs, writing a checkpoint every few steps and the adapter whenever
validation loss improves. A first Ctrl-C stops cleanly after the current step; `twin train
--resume` goes on from the very same step.
"""

from __future__ import annotations

import math
import os
import random
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.atomic import write_text
from twin.errors import TwinError
from twin.home import Home
from twin.models.registry import resolve_model
from twin.records import ChatTurn
from twin.train import data
from twin.train.adapter_files import Adapter, load_weights, read_adapter, read_plain_folder
from twin.train.estimate import estimate, refuse_if_too_big
from twin.train.loop import (
    StepHook,
    StopReason,
    Trainer,
    load_checkpoint,
    say,
    stop_on_interrupt,
)
from twin.train.presets import TrainConfig, preset
from twin.train.runs import Run, get_run, latest_good_run, latest_unfinished_run, new_run, now
from twin.vault.sealed import Sealer


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
    sealer: Sealer | None = None
    """Opens sealed datasets and seals what the run writes (from the unlocked vault)."""


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


def lora_config(config: TrainConfig, layers: int, top: int | None = None) -> Any:
    """The PEFT LoRA settings of `config`, adapting the last `top` of `layers` (all when None)."""
    from peft import LoraConfig

    top = min(top or layers, layers)
    return LoraConfig(
        r=config.rank,
        layers_to_transform=list(range(layers - top, layers)),
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.target_modules),
        task_type="CAUSAL_LM",
    )


def _with_adapter(model: Any, config: TrainConfig, start_from: Adapter | Path | None) -> Any:
    """`model` with a LoRA adapter to train: new, or starting from an adapter (or its folder)."""
    from peft import get_peft_model

    layers = int(model.config.num_hidden_layers)
    model = get_peft_model(model, lora_config(config, layers, config.top_layers))
    if isinstance(start_from, Path):
        start_from = read_plain_folder(start_from)
    if start_from is not None:
        load_weights(model, start_from)
    return model


def _seen(run: Run | None) -> set[str]:
    """Keys of the examples `run` and the runs before it trained on."""
    if run is None or not run.seen_examples.is_file():
        return set()
    return set(run.seen_examples.read_text(encoding="utf-8").split())


def _examples_for_continue(
    parent: Run, conversations: list[list[ChatTurn]], seed: int
) -> list[list[ChatTurn]]:
    """The conversations `parent` never saw, plus as many old ones again so the twin keeps them."""
    seen = _seen(parent)
    fresh = [m for m in conversations if data.example_key(m) not in seen]
    if not fresh:
        raise TwinError(f"nothing was added to the dataset since run {parent.id}; nothing to train")
    old = [m for m in conversations if data.example_key(m) in seen]
    replay = random.Random(seed).sample(old, min(len(old), len(fresh)))
    say(f"Continuing from run {parent.id}: {len(fresh)} new examples, {len(replay)} replayed.")
    return fresh + replay


@dataclass
class RunPlan:
    """What a run will train and how far: `plan_run`'s answer, for `train` and the estimate.

    The step and token counts are worked out here only, so the cost the hub shows before a run
    and the run itself cannot drift apart.
    """

    config: TrainConfig
    folder: Path
    base_name: str
    base_dir: Path
    parent: Run | None = None
    """The completed run a continued run starts from."""
    run: Run | None = None
    """The stopped run a resumed run goes on with."""
    checkpoint: dict[str, Any] | None = None
    """The resumed run's last checkpoint."""
    tokenizer: Any = None
    """The base model's tokenizer, which the rows were packed with."""
    examples: list[data.TokenizedExample] = field(default_factory=list)
    rows: list[data.Row] = field(default_factory=list)
    """The training examples packed into rows of at most ``seq_len`` tokens."""
    val_rows: list[data.Row] = field(default_factory=list)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.rows) / self.config.batch_size)

    @property
    def total_steps(self) -> int:
        """Optimizer steps of the whole run: every epoch, unless ``max_steps`` stops it sooner."""
        return min(self.steps_per_epoch * self.config.epochs, self.config.max_steps or sys.maxsize)

    @property
    def done(self) -> int:
        """Steps a resumed run already took."""
        return int(self.checkpoint["step"]) if self.checkpoint else 0

    @property
    def steps_left(self) -> int:
        return self.total_steps - self.done

    @property
    def epoch_tokens(self) -> int:
        """Tokens of one pass over the packed rows."""
        return sum(len(row.input_ids) for row in self.rows)

    @property
    def tokens_left(self) -> int:
        """Tokens the steps left will train on."""
        return self.epoch_tokens * self.steps_left // max(self.steps_per_epoch, 1)


def _what_to_train(home: Home, request: TrainRequest) -> RunPlan:
    """Work out what `request` means: a new run, a resumed one, or a continued one."""
    if request.resume:
        run = get_run(home, request.run_id) if request.run_id else latest_unfinished_run(home)
        if run is None:
            raise TwinError("no stopped run to resume; start one with `twin train`")
        if run.status == "completed" or not run.has_checkpoint:
            raise TwinError(f"run {run.id} has no checkpoint to resume from ({run.status})")
        folder = home.datasets / run.dataset
        if not folder.is_dir() or data.dataset_hash(folder, request.sealer) != run.dataset_hash:
            raise TwinError(f"dataset {run.dataset!r} changed since run {run.id} began")
        return RunPlan(
            config=run.config,
            folder=folder,
            base_name=run.base,
            base_dir=run.base_path(home),
            parent=get_run(home, run.parent) if run.parent else None,
            run=run,
            checkpoint=load_checkpoint(run, request.sealer),
        )
    config = preset(request.overrides.get("device")).override(**request.overrides)
    folder = data.dataset_dir(home, request.dataset)
    if not request.continue_training:
        return RunPlan(config, folder, request.base or "default", resolve_model(home, request.base))
    parent = latest_good_run(home)
    if parent is None:
        raise TwinError("no completed run to continue from; train one with `twin train`")
    if request.base is not None and request.base != parent.base:
        raise TwinError("--continue keeps the base model of the run it continues")
    return RunPlan(config, folder, parent.base, parent.base_path(home), parent=parent)


def _pack(plan: RunPlan, sealer: Sealer | None) -> None:
    """Read, tokenize and pack the training and validation examples into `plan`."""
    seq_len = plan.config.seq_len
    conversations = data.read_conversations(plan.folder / "train.jsonl", sealer)
    if plan.parent is not None:
        conversations = _examples_for_continue(plan.parent, conversations, plan.config.seed)
    examples = data.tokenize_all(plan.tokenizer, conversations, seq_len)
    if not examples:
        raise TwinError(f"{plan.folder / 'train.jsonl'}: no assistant turn to learn from")
    held_out = data.read_conversations(plan.folder / "val.jsonl", sealer)
    plan.examples = examples
    plan.rows = data.pack(examples, seq_len)
    plan.val_rows = data.pack(data.tokenize_all(plan.tokenizer, held_out, seq_len), seq_len)


def plan_run(home: Home, request: TrainRequest) -> RunPlan:
    """Everything `train` works out before it loads the model: settings, data, rows, steps.

    `train` and the hub's estimate (`twin.train.before`) both plan through here.
    """
    from transformers import AutoTokenizer

    plan = _what_to_train(home, request)
    plan.tokenizer = AutoTokenizer.from_pretrained(plan.base_dir)
    _pack(plan, request.sealer)
    return plan


def train(
    home: Home, request: TrainRequest, on_step: StepHook | None = None, progress: bool = True
) -> Run:
    """Train (or resume, or continue) a run as `request` says, and return it once it stops."""
    import torch
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
    plan = plan_run(home, request)
    config = plan.config
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    pad_id = plan.tokenizer.pad_token_id
    if pad_id is None:
        pad_id = plan.tokenizer.eos_token_id
    examples, rows, val_rows = plan.examples, plan.rows, plan.val_rows
    total_steps = plan.total_steps

    model = _load_base(plan.base_dir, config)
    parameters = sum(p.numel() for p in model.parameters())
    cost = estimate(model.config, parameters, config, plan.tokens_left, plan.steps_left)
    refuse_if_too_big(cost)
    say(
        f"Training on {len(examples)} examples ({plan.epoch_tokens} tokens an epoch, "
        f"{total_steps} steps) on {config.device}: {cost.describe()}."
    )

    run = plan.run
    if run is None:
        run = new_run(
            home,
            base=plan.base_name,
            base_dir=str(plan.base_dir),
            dataset=plan.folder.name,
            dataset_hash=data.dataset_hash(plan.folder, request.sealer),
            config=config,
            parent=plan.parent.id if plan.parent else None,
            conversation_ids=data.conversation_ids(plan.folder, plan.parent, request.sealer),
            examples=len(examples),
        )
        seen = _seen(plan.parent) | {example.key for example in examples}
        write_text(run.seen_examples, "\n".join(sorted(seen)) + "\n")
    run.status, run.pid, run.message, run.total_steps = "running", os.getpid(), None, total_steps
    run.save()

    start_from = None
    if plan.parent and plan.checkpoint is None:
        start_from = read_adapter(plan.parent, request.sealer)
    trainer = Trainer(run, _with_adapter(model, config, start_from), config, rows, val_rows, pad_id)
    trainer.sealer = request.sealer
    if plan.checkpoint is not None:
        trainer.restore(plan.checkpoint)
        say(f"Resuming run {run.id} at step {trainer.state.step} of {total_steps}.")
    try:
        with stop_on_interrupt(trainer.stop), _progress(progress) as bar:
            reason = trainer.fit(total_steps, on_step, bar)
    except BaseException as error:
        run.status = "stopped" if isinstance(error, KeyboardInterrupt) else "failed"
        run.message = f"{type(error).__name__}: {error}"
        run.save()
        raise
    if reason is StopReason.ASKED:
        trainer.save_checkpoint()
        run.status = "stopped"
        run.message = "stopped by request; `twin train --resume` continues it"
        run.save()
        say(f"Run {run.id} stopped at step {run.step} of {total_steps}; `twin train --resume`.")
        return run
    if reason is StopReason.TIME:
        run.message = (
            f"stopped at the time limit of {config.max_minutes:g} minutes after {run.step} of "
            f"{total_steps} steps; a longer --max-minutes trains further"
        )
    elif reason is StopReason.EARLY:
        run.message = "stopped early: validation loss stopped improving"
    if not run.has_adapter:
        trainer.save_adapter()
    run.status, run.finished_at, run.pid = "completed", now(), None
    run.save()
    run.checkpoint.unlink(missing_ok=True)
    run.sealed_checkpoint.unlink(missing_ok=True)
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
        console=(console := Console(stderr=True)),
        disable=not enabled or not console.is_terminal,  # in a log, the lines say enough
    )
