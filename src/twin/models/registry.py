"""Which base model a name means: the built-in default, a registered name, a folder, a GGUF file,
or a Hugging Face hub id (downloaded only when the user asks for one and may go online)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from twin.atomic import write_text
from twin.errors import TwinError
from twin.home import Home, model_cache
from twin.models.convert import convert_gguf
from twin.models.default import DEFAULT_NAME, packaged_gguf

REGISTRY_FILE = "registry.json"
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ModelEntry:
    """A base model the user registered under a short name."""

    name: str
    source: str
    """A model folder, a GGUF file or a hub id."""


def _registry_path(home: Home) -> Path:
    return home.models / REGISTRY_FILE


def registered(home: Home) -> dict[str, ModelEntry]:
    """The models registered with `twin models add`, by name."""
    try:
        raw = json.loads(_registry_path(home).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as error:
        raise TwinError(f"{_registry_path(home)}: not valid JSON ({error})") from None
    return {name: ModelEntry(name, str(source)) for name, source in raw.items()}


def add_model(home: Home, name: str, source: str) -> Path:
    """Register `source` under `name`, converting or downloading it now so later use is quick."""
    if not NAME.match(name) or name == "default":
        raise TwinError(f"{name!r}: a model name is lowercase letters, digits, '.', '_' or '-'")
    if Path(source).expanduser().exists():
        source = str(Path(source).expanduser().resolve())
    path = _resolve_source(home, source)
    entries = {entry.name: entry.source for entry in registered(home).values()}
    entries[name] = source
    write_text(_registry_path(home), json.dumps(entries, indent=2, sort_keys=True) + "\n")
    return path


def resolve_model(home: Home, name: str | None = None) -> Path:
    """A local folder holding a Hugging Face causal LM (config, safetensors, tokenizer).

    `None` or ``"default"`` is the built-in SmolLM2-135M-Instruct, converted from its packaged
    GGUF on first use. Otherwise `name` is a registered name, a model folder, a ``.gguf`` file,
    or a hub id (only when ``HF_HUB_OFFLINE`` is not set).
    """
    if name is None or name in ("default", DEFAULT_NAME):
        for folder in (home.models / DEFAULT_NAME, model_cache() / DEFAULT_NAME):
            if (folder / "config.json").is_file():  # converted already; the wheel is not needed
                return folder
        return convert_gguf(packaged_gguf(), model_cache() / DEFAULT_NAME)
    entry = registered(home).get(name)
    return _resolve_source(home, entry.source if entry else name)


def _resolve_source(home: Home, source: str) -> Path:
    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise TwinError(f"{path}: not a Hugging Face model folder (no config.json)")
        return path
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise TwinError(f"{path}: a base model is a model folder or a .gguf file")
        return convert_gguf(path, model_cache() / _gguf_folder_name(path))
    if HUB_ID.match(source):
        return _download(source)
    raise TwinError(
        f"{source!r}: no such model; give a model folder, a .gguf file, a name from "
        "`twin models list`, or a Hugging Face hub id"
    )


def _gguf_folder_name(path: Path) -> str:
    """A cache folder name that changes when the file at `path` does."""
    stat = path.resolve().stat()
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:48]
    return f"{slug}-{hashlib.sha256(key).hexdigest()[:8]}"


def _download(hub_id: str) -> Path:
    """Fetch a hub model the user named; refused when the machine is meant to stay offline."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() not in ("", "0", "false", "no"):
        raise TwinError(
            f"{hub_id!r} is a Hugging Face hub id, but HF_HUB_OFFLINE is set, so twin will not "
            "download it; unset HF_HUB_OFFLINE or give a local folder or .gguf file"
        )
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(
            hub_id,
            allow_patterns=["*.json", "*.safetensors", "tokenizer*", "*.model", "*.txt"],
        )
    except Exception as error:  # the hub client raises many kinds; all mean "could not fetch"
        raise TwinError(f"{hub_id}: cannot download from the Hugging Face hub ({error})") from None
    return Path(folder)


def list_models(home: Home) -> list[tuple[str, str, bool]]:
    """(name, source, ready) for the default and every registered model; ready means on disk."""
    default_ready = any(
        (folder / DEFAULT_NAME / "config.json").is_file() for folder in (home.models, model_cache())
    )
    rows = [("default", f"SmolLM2-135M-Instruct (built in, {DEFAULT_NAME})", default_ready)]
    for entry in sorted(registered(home).values(), key=lambda e: e.name):
        source = Path(entry.source)
        if source.is_dir():
            ready = True
        elif source.is_file():
            ready = (model_cache() / _gguf_folder_name(source) / "config.json").is_file()
        else:
            ready = False
        rows.append((entry.name, entry.source, ready))
    return rows
