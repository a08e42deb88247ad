"""Training speed on CPU: twin's loop against a plain Transformers + PEFT loop with padding.

twin's loop and the plain loop train the same LoRA (rank, targets, top layers, learning rate)
on the built-in default model and the same conversations, for the same number of seconds, each
in its own process so peak memory is measured separately; a third run shows the plain loop with
PEFT's usual adapter on every layer. Reported: useful tokens per second (real tokens, not padding),
loss tokens per second, useful tokens per CPU-second (steadier than wall time when other work
shares the machine), peak resident memory, and the ratios; as a table, then as one JSON line,
with the load average before and after.

twin's loop runs with the CPU preset as `twin train` would pick it here (bfloat16 base weights
where the CPU multiplies them natively, the adapter in float32); the plain loops in float32, as
the PEFT examples do. `--plain-bf16` adds the plain loop under bfloat16 autocast, to show how
much of the gain is the number format and how much the loop.

    python bench/train.py [--dataset FOLDER] [--seconds 90] [--threads N] [--plain-bf16]

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


VARIANTS = ("twin", "plain", "plain-all", "plain-bf16")
"""twin's loop; the plain loop with twin's adapter; the plain loop adapting every layer; the
plain loop with twin's adapter under bfloat16 autocast (only with --plain-bf16)."""


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_twin(dataset: Path, seconds: float, threads: int) -> dict[str, Any]:
    """twin's loop: packed rows, loss on labelled positions only."""
    from twin.home import Home, default_home
    from twin.models.registry import resolve_model
    from twin.train.runs import Run
    from twin.train.training import TrainRequest, train

    base = resolve_model(Home(default_home()))
    home = Home(Path(tempfile.mkdtemp()))
    (home.datasets / "bench").mkdir(parents=True)
    for name in ("train.jsonl",):
        (home.datasets / "bench" / name).write_bytes((dataset / name).read_bytes())
    started = time.perf_counter()
    first: dict[str, float] = {}

    def stop_when_time_is_up(run: Run, loss: float) -> bool:
        if not first:  # CPU time is counted from the end of the first step on
            first.update(cpu=time.process_time(), tokens=run.seen_tokens)
        return time.perf_counter() - started > seconds

    run = train(
        home,
        TrainRequest(
            dataset="bench", base=str(base), overrides={"threads": threads, "epochs": 100}
        ),
        on_step=stop_when_time_is_up,
        progress=False,
    )
    return {
        "tokens": run.seen_tokens,
        "loss_tokens": run.trained_tokens,
        "seconds": run.train_seconds,
        "steps": run.step,
        "cpu_tokens": run.seen_tokens - first["tokens"],
        "cpu_seconds": time.process_time() - first["cpu"],
        "dtype": run.config.dtype,
        "peak_mib": peak_mib(),
    }


def run_plain(
    dataset: Path, seconds: float, threads: int, same_lora: bool, bf16: bool = False
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
    tokens = loss_tokens = steps = cpu_tokens = 0
    elapsed = cpu_seconds = 0.0
    rng = random.Random(0)
    while elapsed < seconds:
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
        elapsed += time.perf_counter() - started
        if steps:  # CPU time is counted from the end of the first step on, as for twin
            cpu_seconds += time.process_time() - cpu_started
            cpu_tokens += int(mask.sum())
        tokens += int(mask.sum())
        loss_tokens += int((labels[:, 1:] != -100).sum())
        steps += 1
    return {
        "tokens": tokens,
        "loss_tokens": loss_tokens,
        "seconds": elapsed,
        "steps": steps,
        "cpu_tokens": cpu_tokens,
        "cpu_seconds": cpu_seconds,
        "dtype": "bfloat16 autocast" if bf16 else "float32",
        "batch_size": batch_size,
        "peak_mib": peak_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, help="a dataset folder holding train.jsonl")
    parser.add_argument("--seconds", type=float, default=90.0, help="training time for each")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--plain-bf16", action="store_true", help="also the plain loop in bf16")
    parser.add_argument("--only", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dataset is None:
        args.dataset = Path(tempfile.mkdtemp())
        lines = [json.dumps(example) for example in sample_conversations()]
        (args.dataset / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.only:
        if args.only == "twin":
            result = run_twin(args.dataset, args.seconds, args.threads)
        else:
            same_lora = args.only != "plain-all"
            bf16 = args.only == "plain-bf16"
            result = run_plain(args.dataset, args.seconds, args.threads, same_lora, bf16)
        print(json.dumps(result))
        return
    load_before = os.getloadavg()
    results = {}
    for which in VARIANTS if args.plain_bf16 else VARIANTS[:-1]:
        command = [sys.executable, __file__, "--only", which, "--dataset", str(args.dataset)]
        command += ["--seconds", str(args.seconds), "--threads", str(args.threads)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"{which} failed:\n{done.stderr[-3000:]}")
        results[which] = json.loads(done.stdout.strip().splitlines()[-1])
    load_after = os.getloadavg()
    report(args, results, load_before, load_after)


def report(
    args: argparse.Namespace,
    results: dict[str, dict[str, Any]],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    """The figures as a table, then as one JSON line."""
    examples = sum(1 for _ in (args.dataset / "train.jsonl").open())
    print(
        f"default model, CPU, {args.threads} threads, {examples} examples,"
        f" {args.seconds:.0f} s each; load average {load_before[0]:.2f} before,"
        f" {load_after[0]:.2f} after"
    )
    header = f"{'':10} {'tokens/s':>9} {'loss tok/s':>11} {'tok/CPU-s':>10} {'steps':>6}"
    print(f"{header} {'peak MiB':>9}  dtype")
    figures: dict[str, Any] = {}
    for which, result in results.items():
        speed = result["tokens"] / result["seconds"]
        loss_speed = result["loss_tokens"] / result["seconds"]
        cpu_speed = result["cpu_tokens"] / max(result["cpu_seconds"], 1e-9)
        print(
            f"{which:10} {speed:9.0f} {loss_speed:11.0f} {cpu_speed:10.0f} {result['steps']:6}"
            f" {result['peak_mib']:9.0f}  {result['dtype']}"
        )
        figures[which] = {
            "tokens_per_s": round(speed, 1),
            "loss_tokens_per_s": round(loss_speed, 1),
            "tokens_per_cpu_s": round(cpu_speed, 1),
            "steps": result["steps"],
            "peak_mib": round(result["peak_mib"]),
            "dtype": result["dtype"],
        }
    ratios = {}
    for peer in results:
        if peer == "twin":
            continue
        wall = figures["twin"]["tokens_per_s"] / figures[peer]["tokens_per_s"]
        cpu = figures["twin"]["tokens_per_cpu_s"] / figures[peer]["tokens_per_cpu_s"]
        ratios[peer] = {"tokens_per_s": round(wall, 2), "tokens_per_cpu_s": round(cpu, 2)}
        print(f"twin / {peer}: {wall:.2f}x useful tokens per second, {cpu:.2f}x per CPU-second")
    print("target: twin / plain >= 1.6x; twin's peak < 2048 MiB")
    line = {
        "bench": "train",
        "threads": args.threads,
        "examples": examples,
        "seconds": args.seconds,
        "figures": figures,
        "ratios": ratios,
        "load_average": {"before": load_before, "after": load_after},
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
