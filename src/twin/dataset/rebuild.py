"""Build a dataset again with the options it was built with, so that what was added to the
vault since (messages, notes, journal entries, corrections) reaches the next training round."""

from __future__ import annotations

from twin.dataset.build import build_dataset
from twin.dataset.options import NAME, BuildOptions
from twin.dataset.store import has_file, load_stats
from twin.vault.vault import Vault


def rebuild_dataset(vault: Vault, name: str) -> bool:
    """Rebuild dataset `name` as `twin dataset build` first made it; whether its training or
    validation examples changed. A dataset folder twin did not build (no options recorded)
    is left as it is."""
    if not NAME.fullmatch(name) or not has_file(vault.home, name, "stats.json"):
        return False
    before = load_stats(vault, name)
    options = before.get("options")
    if not isinstance(options, dict):
        return False
    built = build_dataset(vault, BuildOptions.from_description({**options, "name": name}))
    return _examples(built.stats) != _examples(before)


def _examples(stats: dict[str, object]) -> tuple[object, object]:
    """The SHA-256 of the training and the validation examples."""
    hashes = stats.get("hashes")
    files = hashes.get("files") if isinstance(hashes, dict) else None
    if not isinstance(files, dict):
        return None, None
    return files.get("train.jsonl"), files.get("val.jsonl")
