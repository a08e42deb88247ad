"""The chat importers: every one a plugin registered through ``register_importers``."""

from __future__ import annotations

from twin.errors import BadInput, TwinError
from twin.importers.base import Importer
from twin.importers.files import SourceFile
from twin.plugins import collect


def importers() -> dict[str, Importer]:
    """Every importer by source name, built-in ones first, in the order they are tried."""
    return collect("register_importers", "importers")


def get_importer(name: str) -> Importer:
    """The importer for a source name, or a clear error listing the known ones."""
    try:
        return importers()[name]
    except KeyError:
        known = ", ".join(sorted(importers()))
        raise TwinError(f"unknown source {name!r}; known sources: {known}") from None


def detect_importer(source: SourceFile) -> Importer:
    """The importer that recognises this file, or a `BadInput` saying none does."""
    for importer in importers().values():
        if importer.detect(source):
            return importer
    known = ", ".join(sorted(importers()))
    raise BadInput(
        source.path,
        f"not an export twin recognises (known sources: {known}); use --source to say which it is",
    )
