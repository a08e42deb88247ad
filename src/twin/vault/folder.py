"""A folder given to `twin import`: one export as a whole, or a folder of separate exports.

A Telegram or unzipped WhatsApp export is a folder holding one chat file and its media; a
folder of downloads may hold several exports side by side. When two or more files directly
in the folder are exports on their own, each is imported, and every other file is skipped with
the reason; otherwise the folder is read as one export, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from twin.errors import TwinError
from twin.importers import detect_importer
from twin.importers.files import SourceFile
from twin.importers.looks import looks_like


@dataclass
class FolderPlan:
    """What to import from a folder, and what to leave, with why."""

    exports: list[Path] = field(default_factory=list)
    """The files to import one by one; empty means: import the folder as one export."""
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def _recognised(path: Path) -> bool:
    try:
        source = SourceFile(path)
    except TwinError:
        return False
    try:
        detect_importer(source)
    except TwinError:
        return False
    finally:
        source.close()
    return True


def plan_folder(folder: Path) -> FolderPlan:
    """Which files directly inside `folder` are exports of their own (see the module's note)."""
    plan = FolderPlan()
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    found = [path for path in files if _recognised(path)]
    if len(found) < 2:
        return plan
    plan.exports = found
    for path in files:
        if path not in found:
            kind = looks_like(path)
            why = f"{kind}, not a chat export" if kind else "not an export twin recognises"
            plan.skipped.append((path, why))
    return plan
