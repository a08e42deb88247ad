"""Turn a GGUF file into a Hugging Face model folder once, so later loads take seconds.

Transformers dequantizes GGUF weights on load (``from_pretrained(dir, gguf_file=...)``) but will
not ``save_pretrained`` the result, because the model still remembers it came from a quantized
file. So the state dict is copied into a plain model built from the same config and saved as
safetensors, with the tokenizer, into a temporary folder that is renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any

from twin.atomic import write_text
from twin.errors import TwinError

MARKER = "twin-model.json"
"""Written into every folder twin converts: where the weights came from, and each file's
SHA-256, so a damaged or altered copy in the shared cache is noticed and made again."""

CHECKED = ".twin-checked.json"
"""Size and modification time of each file when its checksum last matched: hashing half a
gigabyte on every load is skipped while nothing about the files has changed."""


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextmanager
def _quiet_bar_in_logs() -> Iterator[None]:
    """Transformers' GGUF loader draws a tqdm bar of its own, which in a log (not a terminal)
    becomes hundreds of updates on one line; there, the lines before and after say enough."""
    import transformers.modeling_gguf_pytorch_utils as gguf_loading
    from transformers.utils import logging

    if sys.stderr.isatty():
        yield
        return
    bar, shown = gguf_loading.tqdm, logging.is_progress_bar_enabled()  # type: ignore[attr-defined]
    gguf_loading.tqdm = partial(bar, disable=True)  # type: ignore[attr-defined]
    logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # loading and saving bars
    try:
        yield
    finally:
        gguf_loading.tqdm = bar  # type: ignore[attr-defined]
        if shown:
            logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def convert_gguf(gguf: Path, target: Path) -> Path:
    """Dequantize GGUF file `gguf` into a safetensors model folder at `target` (atomically)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if (target / "config.json").is_file():
        damaged = damaged_file(target)
        if damaged is None:
            return target
        _say(f"{target}: the converted copy is damaged ({damaged}); converting it again.")
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _say(f"Converting {gguf.name} into a Transformers model (once; this takes a minute)...")
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with _quiet_bar_in_logs():
            try:
                tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
                loaded = AutoModelForCausalLM.from_pretrained(
                    gguf.parent, gguf_file=gguf.name, dtype=torch.float32
                )
            except (ValueError, OSError, KeyError, RuntimeError) as error:
                raise TwinError(f"{gguf}: cannot read this GGUF file ({error})") from None
            config = loaded.config
            if hasattr(config, "quantization_config"):
                del config.quantization_config
            plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)  # type: ignore[no-untyped-call]
            missing, unexpected = plain.load_state_dict(loaded.state_dict(), strict=False)
            missing = [name for name in missing if name != "lm_head.weight"]
            if missing or unexpected:
                raise TwinError(f"{gguf}: weights do not match the model ({missing or unexpected})")
            plain.tie_weights()
            plain.save_pretrained(work, safe_serialization=True)
            tokenizer.save_pretrained(work)
        marker: dict[str, Any] = {
            "source_gguf": str(gguf),
            "converted_at": time.time(),
            "sha256": {path.name: _sha256(path) for path in sorted(work.iterdir())},
        }
        (work / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        for path in work.iterdir():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        try:
            work.rename(target)
        except OSError:
            if not (target / "config.json").is_file():  # not another process finishing first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _say(f"Saved it to {target} in {time.monotonic() - started:.0f} s; later loads are quick.")
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _stats(folder: Path, names: list[str]) -> dict[str, list[int]]:
    found = {}
    for name in names:
        try:
            stat = (folder / name).stat()
        except OSError:
            continue
        found[name] = [stat.st_size, stat.st_mtime_ns]
    return found


def damaged_file(model_dir: Path) -> str | None:
    """The first file of a converted folder whose SHA-256 no longer matches, if any.

    A folder converted before checksums were kept is taken as it is.
    """
    try:
        expected: dict[str, str] = json.loads((model_dir / MARKER).read_text("utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    stats = _stats(model_dir, sorted(expected))
    try:
        if json.loads((model_dir / CHECKED).read_text("utf-8")) == stats:
            return None
    except (OSError, ValueError):
        pass
    for name, digest in sorted(expected.items()):
        if name not in stats:
            return f"{name} is missing"
        if _sha256(model_dir / name) != digest:
            return f"{name} does not match its checksum"
    with suppress(OSError):  # a cache someone else owns, read-only: check again next time
        write_text(model_dir / CHECKED, json.dumps(stats) + "\n")
    return None


def source_gguf(model_dir: Path) -> Path | None:
    """The GGUF file twin converted `model_dir` from, if that file still exists."""
    try:
        marker = json.loads((model_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = Path(marker.get("source_gguf", ""))
    return path if path.is_file() else None
