"""What a dataset is, written next to it: ``stats.json``, ``card.md`` and ``lengths.png``.

Nothing here depends on the clock: the card states the build's inputs by content hash, so the
same vault and options give the same card, byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import json
from array import array
from collections import Counter
from pathlib import Path
from typing import IO, Any

from twin.dataset.card import render_card
from twin.dataset.estimates import estimates
from twin.dataset.examples import ExampleMaker
from twin.dataset.formats import Format
from twin.dataset.options import BuildOptions
from twin.dataset.redaction import KINDS, Redactor
from twin.dataset.selection import Selection
from twin.dataset.sessions import Sessionizer
from twin.dataset.split import Split
from twin.dataset.store import file_label, sealed_path
from twin.dataset.tokens import TokenCounter
from twin.vault.vault import Vault

HISTOGRAM_BINS = 32
DATA_FILES = ("train.jsonl", "val.jsonl", "notes.jsonl", "redactions.tsv")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def summary(values: array[int]) -> dict[str, float | int]:
    """Total, mean, median, 95th percentile and maximum of token counts."""
    if not values:
        return {"examples": 0, "total": 0, "mean": 0, "median": 0, "p95": 0, "max": 0}
    ordered = sorted(values)
    count = len(ordered)
    return {
        "examples": count,
        "total": sum(ordered),
        "mean": round(sum(ordered) / count, 1),
        "median": ordered[count // 2],
        "p95": ordered[min(count - 1, (count * 95) // 100)],
        "max": ordered[-1],
    }


def histogram(tokens: dict[str, array[int]], limit: int) -> dict[str, Any]:
    """Example lengths in fixed bins from 0 to the token budget (longer ones in the last)."""
    top = max([limit, *(max(values) for values in tokens.values() if values)])
    width = max(1, -(-top // HISTOGRAM_BINS))
    edges = [width * i for i in range(HISTOGRAM_BINS + 1)]
    counts: dict[str, list[int]] = {}
    for split, values in tokens.items():
        bins = [0] * HISTOGRAM_BINS
        for value in values:
            bins[min(HISTOGRAM_BINS - 1, value // width)] += 1
        counts[split] = bins
    return {"edges": edges, "counts": counts}


def plot_lengths(path: Path | IO[bytes], hist: dict[str, Any], method: str) -> None:
    """The length histogram as a PNG, without a timestamp in its metadata."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 3.5), dpi=100)
    edges = hist["edges"]
    width = edges[1] - edges[0]
    bottom = [0] * (len(edges) - 1)
    for split, color in (("train", "#4C72B0"), ("val", "#DD8452")):
        counts = hist["counts"][split]
        axes.bar(
            edges[:-1],
            counts,
            width=width,
            bottom=bottom,
            align="edge",
            color=color,
            label=split,
            edgecolor="white",
            linewidth=0.3,
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_xlabel("tokens per example")
    axes.set_ylabel("examples")
    axes.set_title(f"Example lengths (tokens {method.split(' (')[0]})", fontsize=9)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, format="png", metadata={"Software": None})
    pyplot.close(figure)


def _imports(vault: Vault, conversation_ids: list[int]) -> list[dict[str, Any]]:
    if not conversation_ids:
        return []
    marks = ",".join("?" * len(conversation_ids))
    return list(
        vault.rows(
            "SELECT id, source, importer_version, file_sha256, imported_at FROM imports "
            "WHERE id IN (SELECT DISTINCT import_id FROM messages "
            f"WHERE conversation_id IN ({marks})) ORDER BY id",
            *conversation_ids,
        )
    )


def write_report(
    vault: Vault,
    folder: Path,
    options: BuildOptions,
    selection: Selection,
    sessionizer: Sessionizer,
    maker: ExampleMaker,
    redactor: Redactor | None,
    writer: Format,
    counter: TokenCounter,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """Write stats.json, card.md and lengths.png into `folder`; return the statistics."""
    split: Split = extra["split"]
    tokens: dict[str, array[int]] = extra["tokens"]
    per_conversation: Counter[int] = extra["per_conversation"]
    total_examples = sum(per_conversation.values())
    conversations = [
        {
            "id": conversation_id,
            "title": extra["titles"][conversation_id],
            "source": extra["sources"][conversation_id],
            "examples": count,
            "share": round(count / total_examples, 4) if total_examples else 0,
        }
        for conversation_id, count in sorted(
            per_conversation.items(), key=lambda item: (-item[1], item[0])
        )
    ]
    hist = histogram(tokens, options.max_tokens)
    png = io.BytesIO()
    plot_lengths(png, hist, counter.method)
    _seal(vault, folder, options.name, "lengths.png", png.getvalue())
    files: dict[str, str] = extra["files"]
    output = hashlib.sha256()
    for name in ("train.jsonl", "val.jsonl"):
        output.update(files[name].encode())
    redactions: Counter[str] = Counter()
    replaced: Counter[str] = Counter()
    if redactor is not None:
        for kind in KINDS:
            redactions[kind] = len(redactor.numbers[kind])
            replaced[kind] = redactor.replaced.get(kind, 0)
    spans = extra["spans"]
    train_tokens = int(sum(tokens["train"]))
    stats: dict[str, Any] = {
        "name": options.name,
        "format": options.format,
        "format_description": writer.description,
        "me": selection.me,
        "options": options.describe(),
        "rules": selection.rules.describe(),
        "token_method": counter.method,
        "selection": {**selection.counts, "messages_read": extra["messages_read"]},
        "filters": {
            "messages": {
                name: sessionizer.removed[name]
                for name in ("system", "media", "deleted", "call", "link-only")
            },
            "turns": {"empty": sessionizer.removed["empty"]},
            "targets": {
                name: maker.removed[name]
                for name in (
                    "refers-to-missing",
                    "low-information",
                    "too-long",
                    "duplicate",
                    "near-duplicate",
                )
            },
            "on": options.describe()["filters_on"],
        },
        "merged_messages": sessionizer.merged,
        "gaps": {
            name: sessionizer.gaps[name]
            for name in ("under 5m", "5m-1h", "1h-3h", "3h-6h", "6h-1d", "1d or more")
        },
        "sessions": {
            "total": len(spans),
            "with_examples": sum(1 for span in spans if span.examples),
            "train": len(split.train),
            "val": len(split.val),
            "straddling": len(split.straddling),
            "straddling_examples": sum(s.examples for s in spans if s.key in split.straddling),
        },
        "your_turns": maker.targets_considered,
        "examples": {
            "train": len(tokens["train"]),
            "val": len(tokens["val"]),
            "generated": extra["generated"],
            "corrections": extra.get("corrections", {}).get("examples", 0),
            "memory": extra.get("memory_examples", 0),
        },
        "corrections": extra.get("corrections", {}),
        "tokens": {"train": summary(tokens["train"]), "val": summary(tokens["val"])},
        "histogram": hist,
        "redactions": {
            "on": options.redact,
            "placeholders": dict(sorted(redactions.items())),
            "replacements": dict(sorted(replaced.items())),
            "phone_region": redactor.region if redactor is not None else None,
            "warnings": _leftover_warnings(redactor),
            "review": "redactions.tsv",
        },
        "conversations": conversations,
        "conversation_ids": extra["conversation_ids"],
        "notes": extra["notes"],
        "imports": _imports(vault, extra["conversation_ids"]),
        "estimates": estimates(train_tokens),
        "hashes": {"input": extra["input_sha256"], "output": output.hexdigest(), "files": files},
    }
    _seal(vault, folder, options.name, "stats.json", _text(stats_json(stats)))
    _seal(vault, folder, options.name, "card.md", _text(render_card(stats)))
    return stats


def _leftover_warnings(redactor: Redactor | None) -> list[str]:
    """Plain-words warnings about what still looks private after redaction."""
    if redactor is None:
        return []
    what = {"PHONE": "phone numbers", "EMAIL": "email addresses"}
    return [
        f"{count:,} things that look like {what[kind]} ({kind}) were left as written; "
        "search the exported files and add them with `twin dataset redaction deny`"
        for kind, count in sorted(redactor.leftovers.items())
        if count
    ]


def stats_json(stats: dict[str, Any]) -> str:
    return json.dumps(stats, indent=2, ensure_ascii=False, sort_keys=True)


def _text(text: str) -> bytes:
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def _seal(vault: Vault, folder: Path, name: str, file: str, data: bytes) -> None:
    """Seal one file of dataset `name` into `folder` (its staging folder)."""
    vault.sealer.seal_bytes(sealed_path(folder, file), file_label(name, file), data)
