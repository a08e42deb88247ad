"""How fast `twin ask` / `twin chat` speak with the default model, and how much memory chat holds.

Three paths on the same prompts, in one run: the plain path (Transformers' `model.generate`,
float32, as twin spoke before, and the fallback), twin's fast path in PyTorch
(`twin.chat.decode` over the lean Llama runner, `twin.models.runner`, float32:
``TWIN_DECODE=lean``) and the same loop with each step through ONNX Runtime with 8-bit
weights (`twin.models.onnx_runner`, the default; the export is built once before the
measured runs, and its time reported). Each runs in its own child process that does what a
chat process does: opens an encrypted vault holding a few journal entries, loads the embedder
and the twin through `load_engine`, builds each prompt the way the twin does (persona,
recalled passages, the question), and generates greedily; then one whole guarded reply
through `Twin.respond`. The child's peak resident memory (`ru_maxrss`) is the chat process's.

Reported per path: first-token latency (prompt in, first token chosen: the median over the
prompts, and the first prompt of the process apart, which pays the one-time set-up), decoding
speed in tokens/s (tokens after the first over the time they took), peak memory, and whether
each fast path chose the same tokens as `model.generate`; as a table, then as one JSON line, with
the load average before and after. Run it under the heavy lock:

    flock /tmp/twin-heavy.lock .venv/bin/python bench/chat.py [--tokens 96] [--model FOLDER]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

JOURNAL = (
    "Adopted a grey cat from the shelter and named her Pixel.",
    "Ran my first 10 km race along the river in 58 minutes.",
    "Started cello lessons with Ines on Thursdays.",
    "Moved to a flat in Leeds with a view of the canal in March.",
)
QUESTIONS = (
    "What is my cat called?",
    "How fast was my first 10 km race?",
    "hey, how was your weekend?",
    "Tell me about your cello lessons.",
    "what are you up to tonight?",
    "Where do you live these days, and do you like it?",
)


PATHS = {
    "plain": "plain model.generate",
    "lean": "fast path, PyTorch",
    "onnx": "fast path, ONNX 8-bit",
}
"""Each path's `--child` name and its row in the table."""


class Clock:
    """A streamer for `generate` that marks when each token comes and which it is."""

    def __init__(self, marks: list[float], chosen: list[int]) -> None:
        self.marks = marks
        self.chosen = chosen

    def put(self, value: Any) -> None:
        if value.dim() > 1:  # the prompt comes first, as a batch
            return
        self.marks.append(time.perf_counter())
        self.chosen.append(int(value[0]))

    def end(self) -> None:
        pass


def child(path: str, tokens: int, model: str | None) -> dict[str, Any]:
    """Everything one chat process measures on path `path` (a key of `PATHS`, or "prepare")."""
    import torch

    from twin.chat.decode import TextPieces, decode, stop_tokens
    from twin.chat.engine import GenerationSettings, TransformersEngine, load_engine
    from twin.chat.twin import Twin
    from twin.home import Home
    from twin.memory.embeddings import default_embedder
    from twin.memory.recall import recall_for_prompt
    from twin.memory.store import add_journal_entry
    from twin.persona.persona import load_persona
    from twin.persona.prompt import build_messages
    from twin.records import ChatTurn
    from twin.vault.key import Secret
    from twin.vault.vault import Vault

    os.environ["TWIN_DECODE"] = {"plain": "generate", "lean": "lean"}.get(path, "")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        home = Home(Path(folder) / "home")
        with Vault.create(home, Secret(passphrase="bench")) as vault:
            embedder = default_embedder()
            for text in JOURNAL:
                add_journal_entry(vault, text, embedder)
            started = time.perf_counter()
            engine = load_engine(home, Path(model) if model else None)
            assert isinstance(engine, TransformersEngine)
            if path != "plain":
                forward = engine.forward_pass()  # the ONNX path opens (or builds) its export
                if path == "onnx" and type(forward).__name__ != "OnnxForward":
                    sys.exit(f"the default fast path runs {type(forward).__name__}, not ONNX")
            loaded = time.perf_counter() - started
            if path == "prepare":
                return {"path": path, "load_s": loaded}
            persona = load_persona(vault)
            for question in QUESTIONS:
                passages = recall_for_prompt(vault, embedder, question)
                turn: ChatTurn = {"role": "user", "content": question}
                messages = build_messages(persona, passages, [turn])
                inputs = engine._prompt(messages)
                ids = inputs["input_ids"]
                room = engine._room(inputs, GenerationSettings(max_new_tokens=tokens))
                marks: list[float] = []
                chosen: list[int] = []
                begun = time.perf_counter()
                if path == "plain":
                    with torch.inference_mode():
                        engine.model.generate(
                            input_ids=ids,
                            attention_mask=torch.ones_like(ids),
                            max_new_tokens=room,
                            do_sample=False,
                            streamer=Clock(marks, chosen),
                            pad_token_id=engine.tokenizer.pad_token_id,
                        )
                    stop = stop_tokens(engine.model, engine.tokenizer)
                    if chosen and chosen[-1] in stop:  # generate hands over the stop token too
                        chosen.pop()
                        marks.pop()
                else:
                    pieces = TextPieces(engine.tokenizer)
                    for token in decode(
                        engine.forward_pass(),
                        ids,
                        max_new_tokens=room,
                        temperature=0,
                        stop=stop_tokens(engine.model, engine.tokenizer),
                    ):
                        pieces.add(token)
                        marks.append(time.perf_counter())
                        chosen.append(token)
                    pieces.end()
                results.append(
                    {
                        "prompt_tokens": int(ids.shape[1]),
                        "first_token_s": marks[0] - begun,
                        "tokens": chosen,
                        "decode_s": marks[-1] - marks[0],
                    }
                )
            twin = Twin(vault, engine, embedder)
            settings = GenerationSettings(max_new_tokens=tokens)
            asked: ChatTurn = {"role": "user", "content": "what did you do on Thursday?"}
            reply = twin.ask([asked], settings)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "path": path,
        "load_s": loaded,
        "dtype": str(getattr(engine.model, "dtype", "")),
        "prompts": results,
        "reply": reply.text,
        "peak_rss_mib": peak_kib / 1024,
        "threads": torch.get_num_threads(),
    }


def run_child(path: str, tokens: int, model: str | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", path, "--tokens", str(tokens)]
    if model:
        command += ["--model", model]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the {path} child failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def summary(result: dict[str, Any]) -> dict[str, Any]:
    prompts = result["prompts"]
    decoded = sum(len(p["tokens"]) - 1 for p in prompts)
    seconds = sum(p["decode_s"] for p in prompts)
    return {
        "first_token_ms": 1000 * statistics.median(p["first_token_s"] for p in prompts[1:]),
        "first_token_cold_ms": 1000 * prompts[0]["first_token_s"],
        "tokens_per_s": decoded / seconds if seconds else float("nan"),
        "tokens": sum(len(p["tokens"]) for p in prompts),
        "peak_rss_mib": result["peak_rss_mib"],
        "load_s": result["load_s"],
        "dtype": result["dtype"],
    }


def agreement(plain: dict[str, Any], fast: dict[str, Any]) -> dict[str, Any]:
    """How many prompts got the same tokens, and the share of tokens before any divergence."""
    same = 0
    kept = 0
    total = 0
    for a, b in zip(plain["prompts"], fast["prompts"], strict=True):
        same += a["tokens"] == b["tokens"]
        prefix = 0
        for x, y in zip(a["tokens"], b["tokens"], strict=False):
            if x != y:
                break
            prefix += 1
        kept += prefix
        total += len(a["tokens"])
    return {
        "identical_prompts": same,
        "prompts": len(plain["prompts"]),
        "shared_prefix": kept / total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=96, help="most tokens per reply")
    parser.add_argument("--model", help="a model folder instead of the default model")
    parser.add_argument("--child", choices=[*PATHS, "prepare"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(options.child, options.tokens, options.model)))
        return
    prepared = run_child("prepare", options.tokens, options.model)
    load_before = os.getloadavg()
    results = {name: run_child(name, options.tokens, options.model) for name in PATHS}
    load_after = os.getloadavg()
    rows = {name: summary(result) for name, result in results.items()}
    same = {name: agreement(results["plain"], results[name]) for name in ("lean", "onnx")}
    speedup = {name: rows[name]["tokens_per_s"] / rows["plain"]["tokens_per_s"] for name in same}
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores)")
    print(f"ONNX export ready in {prepared['load_s']:.1f} s (built once per model, then kept)")
    print(
        f"{'path':<24}{'dtype':>16}{'first token':>13}{'cold':>9}{'tokens/s':>10}"
        f"{'peak RSS':>11}{'load':>7}"
    )
    for name, row in rows.items():
        print(
            f"{PATHS[name]:<24}{row['dtype']:>16}{row['first_token_ms']:>10.0f} ms"
            f"{row['first_token_cold_ms']:>6.0f} ms{row['tokens_per_s']:>10.1f}"
            f"{row['peak_rss_mib']:>7.0f} MiB{row['load_s']:>6.1f}s"
        )
    for name, agreed in same.items():
        print(
            f"{PATHS[name]} / plain: {speedup[name]:.2f}x tokens/s; same tokens as generate on "
            f"{agreed['identical_prompts']}/{agreed['prompts']} prompts, "
            f"{100 * agreed['shared_prefix']:.0f}% of tokens before any divergence"
        )
    for name, result in results.items():
        print(f"{name} reply: {result['reply']!r}")
    print(
        json.dumps(
            {
                "bench": "chat",
                "load_before": load_before,
                "load_after": load_after,
                **rows,
                "export_s": prepared["load_s"],
                "speedup": speedup,
                "agreement": same,
                "max_new_tokens": options.tokens,
            }
        )
    )


if __name__ == "__main__":
    main()
