"""The package's layers point one way: a module imports only from its own layer and those below."""

from __future__ import annotations

import ast
from pathlib import Path

import twin

LAYERS = [
    "ground",  # records, errors, home, atomic: what everything stands on
    "plugins",  # hookspecs and the one plugin manager
    "importers",
    "vault",
    "models",
    "memory",
    "persona",
    "dataset",
    "voice",
    "train",
    "chat",
    "evaluate",
    "hub",
    "faces",  # the CLI and every area's commands: they call the layers, never the reverse
]
"""The layer order, written once: lower first."""

GROUND = {"twin", "twin.records", "twin.errors", "twin.home", "twin.atomic", "twin.samples"}
GROUND |= {"twin.cli_options", "twin.words"}  # click options from dataclasses; plurals
GROUND |= {"twin.words"}  # counted nouns and plain rows, for every face
PLUGINS = {"twin.hookspecs", "twin.plugins"}
FACES = {"twin.cli", "twin.state", "twin.__main__"}
SOURCE = Path(twin.__file__).parent


def layer(module: str) -> str:
    """The layer a module (``twin.dataset.build``) belongs to."""
    if module in FACES or module.rsplit(".", 1)[-1].endswith("commands"):
        return "faces"
    if module.rsplit(".", 1)[-1] == "hub_routes":
        return "hub"  # an area's pages in the hub (twin.voice.hub_routes): a face like the hub's
    if module in GROUND or module.startswith("twin.samples."):
        return "ground"
    if module in PLUGINS:
        return "plugins"
    area = module.split(".")[1]
    assert area in LAYERS, f"{module}: add its package to LAYERS in tests/test_layers.py"
    return area


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every twin module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "twin" or name.startswith("twin.")}


def test_no_module_imports_from_a_layer_above_it() -> None:
    upward = []
    for path in sorted(SOURCE.rglob("*.py")):
        module = module_name(path)
        own = LAYERS.index(layer(module))
        for target in sorted(imported(path)):
            if LAYERS.index(layer(target)) > own:
                upward.append(f"{module} ({layer(module)}) imports {target} ({layer(target)})")
    assert upward == []


def test_the_layer_of_a_module_is_its_package() -> None:
    assert layer("twin.records") == "ground"
    assert layer("twin.dataset.build") == "dataset"
    assert layer("twin.vault.ownership_commands") == "faces"
    assert layer("twin.chat.commands") == "faces"
