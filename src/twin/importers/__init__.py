"""The importer registry: built-in sources and those plugins add through entry points."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import entry_points

from twin.errors import BadInput, TwinError
from twin.importers.base import Importer
from twin.importers.files import SourceFile

BUILT_IN = {
    "whatsapp": "twin.importers.whatsapp:WhatsAppImporter",
    "telegram": "twin.importers.telegram:TelegramImporter",
}
"""Built-in importers, loaded the same way a plugin's are (``module:Class``)."""


def _load(target: str) -> Importer:
    module_name, _, class_name = target.partition(":")
    importer: Importer = getattr(import_module(module_name), class_name)()
    return importer


@cache
def importers() -> dict[str, Importer]:
    """Every importer by source name: the built-in ones, then plugins (``twin.importers`` group)."""
    found = {name: _load(target) for name, target in BUILT_IN.items()}
    for entry in entry_points(group="twin.importers"):
        found.setdefault(entry.name, entry.load()())
    return found


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
