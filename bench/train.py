"""Training speed on CPU: twin's loop against a plain Transformers + PEFT loop with padding.

twin's loop and the plain loops train the same LoRA (rank, targets, top layers, learning rate)
on the built-in default model and the same conversations, each in its own process so peak
memory is measured separately: the plain loop in float32, as the PEFT examples do, and under
bfloat16 autocast (float32 weights), the usual mixed-precision recipe and the fastest plain
variant here; `--plain-all` adds the plain loop with PEFT's usual adapter on every layer.

Each process takes `--warmup` steps that are not counted (the first steps pay one-time costs),
then `--steps` measured ones. The variants run in `--repeats` rounds, each round in a new
order, so that all of them see the same changes of load; reported are the medians over the
rounds, and each ratio is the median of the ratios within a round. Figures: useful tokens per
second (real tokens, not padding), loss tokens per second, useful tokens per CPU-second
(steadier than wall time when other work shares the machine), seconds per step, peak resident
memory; as a table, then as one JSON line, with the load average before and after.

twin's loop runs with the CPU preset as `twin train` would pick it here (bfloat16 base weights
where the CPU multiplies them natively, the adapter in float32).

    python bench/train.py [--dataset FOLDER] [--steps 12] [--warmup 2] [--repeats 3]
        [--threads N] [--plain-all]

FOLDER holds train.jsonl in the dataset format; without it, examples are made from the sample
WhatsApp chats the way the dataset builder makes them (persona line, up to 8 turns of context,
one of Sam's turns as the target).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SAMPLES = Path(__file__).resolve().parents[1] / "src" / "twin" / "samples" / "whatsapp"
LINE = re.compile(r"^\d+/\d+/\d+, \d+:\d+\s[AP]M - ([^:]+): (.*)$")


def sample_conversations(me: str = "Sam Rivera", context: int = 8) -> list[dict[str, Any]]:
    """Training examples from the sample WhatsApp exports, shaped like the dataset builder's."""
    examples = []
    for path in sorted(SAMPLES.glob("*.txt")):
        other = path.stem.removeprefix("WhatsApp Chat with ")
        turns: list[tuple[str, str]] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            match = LINE.match(line)
            if not match or match.group(2) == "<Media omitted>":
                continue
            sender, text = match.groups()
            role = "assistant" if sender == me else "user"
            if turns and turns[-1][0] == role:
                turns[-1] = (role, turns[-1][1] + "\n" + text)
            else:
                turns.append((role, text))
        system = {"role": "system", "content": f"You are Sam, chatting with {other} on WhatsApp."}
        for index, (role, _) in enumerate(turns):
            if role != "assistant":
                continue
            window = turns[max(0, index - context) : index + 1]
            while window and window[0][0] == "assistant":
                window = window[1:]
            if not window:
                window = [("user", f"(new conversation with {other})"), turns[index]]
            messages = [system] + [{"role": r, "content": t} for r, t in window]
            examples.append({"messages": messages})
    return examples


VARIANTS = ("twin", "plain-bf16", "plain", "plain-all")
"""twin's loop; the plain loop with twin's adapter under bfloat16 autocast; the same in float32;
the plain loop adapting every layer (only with --plain-all)."""


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(steps: list[tuple[int, int, float, float]], kind: str) -> dict[str, Any]:
    """The figures of the counted steps: (tokens, loss tokens, seconds, CPU seconds) each."""
    return {
        "tokens": sum(step[0] for step in steps),
        "loss_tokens": sum(step[1] for step in steps),
        "seconds": sum(step[2] for step in steps),
        "cpu_seconds": sum(step[3] for step in steps),
        "steps": len(steps),
        "step_seconds": [round(step[2], 3) for step in steps],
        "dtype": kind,
        "peak_mib": peak_mib(),
    }


def run_twin(dataset: Path, warmup: int, steps: int, threads: int) -> dict[str, Any]:
    """twin's loop, through `train` as `twin train` runs it: packed rows, loss on labelled
    positions only."""
    from twin.home import Home, default_home
    from twin.models.registry import resolve_model
    from twin.train.runs import Run
    from twin.train.training import TrainRequest, train

    base = resolve_model(Home(default_home()))
    home = Home(Path(tempfile.mkdtemp()))
    (home.datasets / "bench").mkdir(parents=True)
    for name in ("train.jsonl",):
        (home.datasets / "bench" / name).write_bytes((dataset / name).read_bytes())
    counted: list[tuple[int, int, float, float]] = []
    last: dict[str, Any] = {"tokens": 0, "loss_tokens": 0, "seconds": 0.0}
    last["cpu"] = time.process_time()

    def record(run: Run, loss: float) -> bool:
        cpu = time.process_time()
        if run.step > warmup:  # the step's own time; CPU from the end of the step before
            counted.append((
                run.seen_tokens - last["tokens"], run.trained_tokens - last["loss_tokens"],
                run.train_seconds - last["seconds"], cpu - last["cpu"],
            ))  # fmt: skip
        last.update(
            tokens=run.seen_tokens, loss_tokens=run.trained_tokens,
            seconds=run.train_seconds, cpu=cpu,
        )  # fmt: skip
        return False

    run = train(
        home,
        TrainRequest(
            dataset="bench",
            base=str(base),
            overrides={"threads": threads, "epochs": 1000, "max_steps": warmup + steps},
        ),
        on_step=record,
        progress=False,
    )
    return measured(counted, run.config.dtype)


def run_plain(
    dataset: Path, warmup: int, steps: int, threads: int, same_lora: bool, bf16: bool = False
) -> dict[str, Any]:
    """The usual recipe: each example its own row, random batches padded to the longest.

    With `same_lora` the adapter is twin's CPU preset (top layers only), so the ratio shows what
    the loop itself gains; without it, every layer is adapted, as PEFT examples do. With `bf16`
    the steps run under bfloat16 autocast (float32 weights), the usual mixed-precision recipe.
    """
    import contextlib
    import random

    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from twin.home import Home, default_home
    from twin.models.registry import resolve_model
    from twin.train import data
    from twin.train.presets import preset
    from twin.train.training import lora_config

    config = preset("cpu").override(threads=threads)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    folder = resolve_model(Home(default_home()))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    layers = model.config.num_hidden_layers
    lora = lora_config(config, layers, config.top_layers if same_lora else None)
    model = get_peft_model(model, lora)
    examples = data.tokenize_all(
        tokenizer, data.read_conversations(dataset / "train.jsonl"), config.seq_len
    )
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    # As many examples per batch as twin's packed rows hold on average.
    per_row = config.seq_len * len(examples) / sum(len(e.input_ids) for e in examples)
    batch_size = max(1, round(config.batch_size * per_row))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    model.train()
    counted: list[tuple[int, int, float, float]] = []
    rng = random.Random(0)
    for step in range(warmup + steps):
        batch = rng.sample(examples, min(batch_size, len(examples)))
        width = max(len(e.input_ids) for e in batch)
        ids = torch.tensor([e.input_ids + [pad] * (width - len(e.input_ids)) for e in batch])
        mask = torch.tensor(
            [[1] * len(e.input_ids) + [0] * (width - len(e.input_ids)) for e in batch]
        )
        labels = torch.tensor([e.labels + [-100] * (width - len(e.input_ids)) for e in batch])
        started, cpu_started = time.perf_counter(), time.process_time()
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with autocast:
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step >= warmup:
            counted.append((
                int(mask.sum()), int((labels[:, 1:] != -100).sum()),
                time.perf_counter() - started, time.process_time() - cpu_started,
            ))  # fmt: skip
    result = measured(counted, "bfloat16 autocast" if bf16 else "float32")
    result["batch_size"] = batch_size
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, help="a dataset folder holding train.jsonl")
    parser.add_argument("--steps", type=int, default=12, help="measured steps of each run")
    parser.add_argument("--warmup", type=int, default=2, help="steps before them, not counted")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of every variant")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--plain-all", action="store_true", help="also the every-layer adapter")
    parser.add_argument("--only", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dataset is None:
        args.dataset = Path(tempfile.mkdtemp())
        lines = [json.dumps(example) for example in sample_conversations()]
        (args.dataset / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.only:
        if args.only == "twin":
            result = run_twin(args.dataset, args.warmup, args.steps, args.threads)
        else:
            same_lora = args.only != "plain-all"
            bf16 = args.only == "plain-bf16"
            result = run_plain(
                args.dataset, args.warmup, args.steps, args.threads, same_lora, bf16
            )
        print(json.dumps(result))
        return
    load_before = os.getloadavg()
    variants = list(VARIANTS if args.plain_all else VARIANTS[:-1])
    rounds: list[dict[str, dict[str, Any]]] = []
    for number in range(args.repeats):
        shift = number % len(variants)
        order = variants[shift:] + variants[:shift]  # each round starts with another variant
        results = {}
        for which in order:
            command = [sys.executable, __file__, "--only", which, "--dataset", str(args.dataset)]
            command += ["--steps", str(args.steps), "--warmup", str(args.warmup)]
            command += ["--threads", str(args.threads)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"{which} failed:\n{done.stderr[-3000:]}")
            results[which] = json.loads(done.stdout.strip().splitlines()[-1])
        rounds.append({which: results[which] for which in variants})
        print(f"round {number + 1}: " + ", ".join(
            f"{which} {speeds(result)[0]:.0f} tok/s" for which, result in rounds[-1].items()
        ), flush=True)  # fmt: skip
    load_after = os.getloadavg()
    report(args, rounds, load_before, load_after)


def speeds(result: dict[str, Any]) -> tuple[float, float, float]:
    """Useful tokens per second, loss tokens per second, useful tokens per CPU-second."""
    seconds = max(result["seconds"], 1e-9)
    return (
        result["tokens"] / seconds,
        result["loss_tokens"] / seconds,
        result["tokens"] / max(result["cpu_seconds"], 1e-9),
    )


def report(
    args: argparse.Namespace,
    rounds: list[dict[str, dict[str, Any]]],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    """The medians over the rounds as a table, then as one JSON line."""
    examples = sum(1 for _ in (args.dataset / "train.jsonl").open())
    print(
        f"default model, CPU, {args.threads} threads, {examples} examples, {args.steps} steps "
        f"after {args.warmup} not counted, median of {len(rounds)} interleaved rounds; load "
        f"average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    header = f"{'':10} {'tokens/s':>9} {'loss tok/s':>11} {'tok/CPU-s':>10} {'s/step':>7}"
    print(f"{header} {'peak MiB':>9}  dtype")
    figures: dict[str, Any] = {}
    for which in rounds[0]:
        runs = [one[which] for one in rounds]
        speed, loss_speed, cpu_speed = (
            statistics.median(speeds(run)[i] for run in runs) for i in range(3)
        )
        step = statistics.median(s for run in runs for s in run["step_seconds"])
        peak = max(run["peak_mib"] for run in runs)
        dtype = runs[0]["dtype"]
        print(
            f"{which:10} {speed:9.0f} {loss_speed:11.0f} {cpu_speed:10.0f} {step:7.2f}"
            f" {peak:9.0f}  {dtype}"
        )
        figures[which] = {
            "tokens_per_s": round(speed, 1),
            "loss_tokens_per_s": round(loss_speed, 1),
            "tokens_per_cpu_s": round(cpu_speed, 1),
            "median_step_s": round(step, 3),
            "rounds_tokens_per_s": [round(speeds(run)[0], 1) for run in runs],
            "peak_mib": round(peak),
            "dtype": dtype,
        }
    ratios = {}
    for peer in rounds[0]:
        if peer == "twin":
            continue
        wall, cpu = (
            statistics.median(speeds(one["twin"])[i] / speeds(one[peer])[i] for one in rounds)
            for i in (0, 2)
        )
        ratios[peer] = {"tokens_per_s": round(wall, 2), "tokens_per_cpu_s": round(cpu, 2)}
        print(f"twin / {peer}: {wall:.2f}x useful tokens per second, {cpu:.2f}x per CPU-second")
    print("target: twin / plain >= 1.6x, twin at least as fast as plain-bf16; peak < 2048 MiB")
    line = {
        "bench": "train",
        "threads": args.threads,
        "examples": examples,
        "steps": args.steps,
        "warmup": args.warmup,
        "repeats": len(rounds),
        "figures": figures,
        "ratios": ratios,
        "load_average": {"before": load_before, "after": load_after},
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
