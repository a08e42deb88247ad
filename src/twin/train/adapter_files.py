"""A run's LoRA adapter on disk: one sealed file, opened into memory only.

An adapter trained on private chats can give back what it memorised, so it is kept like the
datasets: ``runs/ID/adapter.safetensors.sealed`` holds the adapter's weights as safetensors
bytes, with PEFT's ``adapter_config.json`` in the safetensors metadata, sealed with a key
derived from the vault key (`twin.vault.sealed`). It is written atomically and read back into
memory: no plain copy of it is ever written, not even for a moment. Plain PEFT folders appear
only where the user asks for one (`twin model export --format peft`).

A run trained without a vault (on a dataset made by hand) has nothing to seal with and keeps
a plain PEFT folder ``runs/ID/adapter/``, as earlier versions of twin did for every run. Such a
folder still loads; when a vault key is at hand it is sealed on first use and the folder is
removed.
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin.atomic import write_file, write_folder
from twin.errors import TwinError
from twin.train.runs import Run
from twin.vault.sealed import Sealer

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

CONFIG_NAME = "adapter_config.json"
WEIGHTS_NAME = "adapter_model.safetensors"
CONFIG_KEY = "peft_config"
"""The safetensors metadata entry holding PEFT's adapter_config.json."""


def label(run: Run) -> str:
    """What a run's sealed adapter is sealed as: it opens only under this name."""
    return f"runs/{run.id}/adapter"


@dataclass(frozen=True)
class Adapter:
    """A LoRA adapter in memory: PEFT's config and its weights as safetensors bytes."""

    config: dict[str, Any]
    """The contents of PEFT's ``adapter_config.json``."""
    weights: bytes
    """``adapter_model.safetensors`` as bytes (keys without the adapter name, as PEFT saves)."""

    def tensors(self) -> dict[str, torch.Tensor]:
        from safetensors.torch import load

        return load(self.weights)

    def peft_config(self, *, inference: bool) -> Any:
        """The config as a PEFT config object, as `PeftConfig.from_pretrained` would make it."""
        from peft import PeftConfig

        values = {k: v for k, v in self.config.items() if k != "runtime_config"}
        checked = PeftConfig.check_kwargs(**values)  # type: ignore[no-untyped-call]
        config = PeftConfig.from_peft_type(**checked)  # type: ignore[no-untyped-call]
        config.inference_mode = inference
        return config

    def sealed_bytes(self) -> bytes:
        """The one blob that is sealed: the weights, with the config in their metadata."""
        from safetensors.torch import save

        metadata = {**_metadata(self.weights), CONFIG_KEY: json.dumps(self.config, sort_keys=True)}
        return save(self.tensors(), metadata=metadata)

    @classmethod
    def from_sealed_bytes(cls, blob: bytes, where: str) -> Adapter:
        metadata = _metadata(blob)
        if CONFIG_KEY not in metadata:
            raise TwinError(f"{where}: not a twin adapter (no PEFT config inside)")
        config = json.loads(metadata[CONFIG_KEY])
        return cls(config=config, weights=blob)

    @classmethod
    def from_model(cls, model: Any) -> Adapter:
        """The adapter of a PEFT model as `save_pretrained` would write it, in memory."""
        from peft import get_peft_model_state_dict
        from safetensors.torch import save

        state = get_peft_model_state_dict(model)
        tensors = {name: t.detach().cpu().contiguous().clone() for name, t in state.items()}
        config = model.peft_config["default"].to_dict()
        config = {k: sorted(v) if isinstance(v, set) else v for k, v in config.items()}
        config.pop("runtime_config", None)
        config["inference_mode"] = True
        base = getattr(model.get_base_model(), "name_or_path", None)
        config["base_model_name_or_path"] = config.get("base_model_name_or_path") or base
        weights = save(tensors, metadata={"format": "pt"})
        return cls(config=json.loads(json.dumps(config, default=str)), weights=weights)


def _metadata(blob: bytes) -> dict[str, str]:
    """The ``__metadata__`` of safetensors bytes (8-byte little-endian header size, then JSON)."""
    if len(blob) < 8:
        return {}
    (size,) = struct.unpack("<Q", blob[:8])
    try:
        header = json.loads(blob[8 : 8 + size])
    except ValueError:
        return {}
    found = header.get("__metadata__") or {}
    return {str(k): str(v) for k, v in found.items()}


def sealed_path(run: Run) -> Path:
    """Where a run's sealed adapter lives."""
    return run.sealed_adapter


def plain_folder(run: Run) -> Path | None:
    """A plain PEFT adapter folder of the run (no vault, or an earlier twin), if it has one."""
    folder = run.adapter_dir
    return folder if (folder / CONFIG_NAME).is_file() else None


def where(run: Run) -> Path:
    """What to show as the adapter's place on screen."""
    return sealed_path(run) if sealed_path(run).is_file() else run.adapter_dir


def save_adapter(run: Run, model: Any, sealer: Sealer | None) -> None:
    """Write the adapter of PEFT `model` as the run's adapter, replacing the old one at once.

    Sealed when `sealer` is given; a plain PEFT folder only without one (no vault).
    """
    if sealer is None:
        write_folder(run.folder / "adapter", lambda tmp: model.save_pretrained(tmp))
        return
    sealer.seal_bytes(sealed_path(run), label(run), Adapter.from_model(model).sealed_bytes())
    _drop_plain(run)


def _drop_plain(run: Run) -> None:
    for folder in (run.folder / "adapter", run.folder / "adapter.old"):
        shutil.rmtree(folder, ignore_errors=True)


def read_adapter(run: Run, sealer: Sealer | None) -> Adapter:
    """The run's adapter in memory; a plain one left by an earlier twin is sealed now if it can."""
    sealed = sealed_path(run)
    if sealed.is_file():
        if sealer is None:
            raise TwinError(f"{sealed}: sealed; unlock the vault to use this run's adapter")
        return Adapter.from_sealed_bytes(sealer.open_bytes(sealed, label(run)), str(sealed))
    folder = plain_folder(run)
    if folder is None:
        raise TwinError(f"run {run.id} has no saved adapter yet (status: {run.status})")
    adapter = read_plain_folder(folder)
    if sealer is not None:
        sealer.seal_bytes(sealed, label(run), adapter.sealed_bytes())
        _drop_plain(run)
        print(
            f"Run {run.id}'s adapter was kept in the clear by an earlier twin; it is sealed now.",
            file=sys.stderr,
            flush=True,
        )
    return adapter


def read_plain_folder(folder: Path) -> Adapter:
    """A plain PEFT adapter folder (``adapter_config.json`` + ``adapter_model.safetensors``)."""
    try:
        config = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
        weights = (folder / WEIGHTS_NAME).read_bytes()
    except (OSError, ValueError) as error:
        raise TwinError(f"{folder}: cannot read this adapter ({error})") from None
    return Adapter(config=config, weights=weights)


def write_plain_folder(adapter: Adapter, folder: Path) -> None:
    """The adapter as the PEFT folder other tools load (for `twin model export`)."""

    def write_config(tmp: Path) -> None:
        tmp.write_text(json.dumps(adapter.config, indent=2, sort_keys=True), encoding="utf-8")

    def write_weights(tmp: Path) -> None:
        tmp.write_bytes(adapter.weights)

    write_file(folder / CONFIG_NAME, write_config)
    write_file(folder / WEIGHTS_NAME, write_weights)


def attach(model: Any, adapter: Adapter, *, trainable: bool) -> Any:
    """`model` wrapped as a PEFT model with `adapter`'s weights loaded (from memory)."""
    from peft import get_peft_model

    with warnings.catch_warnings():
        # PEFT calls a Transformers method Transformers has deprecated: nothing the user can act on.
        warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
        peft_model = get_peft_model(model, adapter.peft_config(inference=not trainable))
    load_weights(peft_model, adapter)
    if not trainable:
        peft_model.eval()
    return peft_model


def load_weights(peft_model: Any, adapter: Adapter) -> None:
    """Put `adapter`'s weights into a PEFT model of the same shape; refuse a mismatch."""
    from peft import set_peft_model_state_dict

    result = set_peft_model_state_dict(peft_model, adapter.tensors())
    unexpected = list(getattr(result, "unexpected_keys", []) or [])
    if unexpected:
        raise TwinError(
            f"the adapter does not fit this model ({len(unexpected)} weights have no place, "
            f"e.g. {unexpected[0]})"
        )


def merge(model: PreTrainedModel, adapter: Adapter) -> PreTrainedModel:
    """`model` with `adapter` folded into its weights."""
    merged: PreTrainedModel = attach(model, adapter, trainable=False).merge_and_unload()
    merged.eval()  # type: ignore[no-untyped-call]
    return merged


def plain_adapters(runs: list[Run]) -> list[Path]:
    """Adapter folders kept in the clear among `runs` (an earlier twin's), for `twin check`."""
    return [folder for run in runs if (folder := plain_folder(run)) is not None]
