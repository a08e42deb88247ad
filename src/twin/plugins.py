"""The one plugin manager: twin's own plugins first, then those installed packages declare.

A plugin that fails to load is skipped and reported (`load_failures`, `twin plugins`, and one
line on stderr from the CLI); it never stops the others from working.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from twin import hookspecs
from twin.errors import TwinError

ENTRY_POINT_GROUP = "twin"
"""The entry point group under which a package names its plugin module."""

DEFAULT_PLUGINS = (
    "twin.importers.builtin",
    "twin.dataset.formats",
    "twin.dataset.store",
    "twin.memory.forget",
    "twin.memory.activity",
    "twin.train.runs",
    "twin.vault.commands",
    "twin.vault.ownership_commands",
    "twin.vault.trust_commands",
    "twin.vault.unlock_commands",
    "twin.dataset.commands",
    "twin.memory.commands",
    "twin.chat.commands",
    "twin.models.commands",
    "twin.train.commands",
    "twin.evaluate.store",
    "twin.evaluate.commands",
    "twin.evaluate.refine_commands",
    "twin.evaluate.report_commands",
    "twin.hub.commands",
    "twin.voice.commands",  # after memory.commands: adds `record` to the journal group
)
"""twin's own plugins: modules with ``@hookimpl`` functions, loaded like any other plugin."""


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """A plugin that could not be loaded, and why."""

    plugin: str
    problem: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} was not loaded: {self.problem}"


pm = pluggy.PluginManager("twin")
pm.add_hookspecs(hookspecs)
load_failures: list[LoadFailure] = []
origins: dict[str, str] = {}
"""Where each loaded plugin comes from: ``built-in``, or the package and version."""
_loaded = False
_installed: list[tuple[str, str, object]] | None = None


def installed_plugins() -> list[tuple[str, str, object]]:
    """Import, once, every plugin installed packages name under the ``twin`` entry point group.

    Only imports them (failures go to `load_failures`); `load_plugins` registers them after
    twin's own, so twin's own always come first.
    """
    global _installed
    if _installed is not None:
        return _installed
    _installed = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        where = f"{entry.dist.name} {entry.dist.version}" if entry.dist else entry.value
        label = entry.name
        try:
            taken = origins.get(label) or ("built-in" if label in DEFAULT_PLUGINS else None)
            if taken is None and any(label == name for name, _, _ in _installed):
                taken = "another package"
            if taken is not None:
                raise TwinError(f"the name {label!r} is already taken by {taken}")
            _installed.append((label, where, entry.load()))
            origins[label] = where
        except Exception as error:  # a broken plugin must not break twin
            _fail(f"{label} ({where})", error)
    return _installed


def load_plugins() -> pluggy.PluginManager:
    """Register the built-in plugins, then every installed one; safe to call again."""
    global _loaded
    if _loaded:
        return pm
    _loaded = True
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name)
        origins[name] = "built-in"
    for label, where, plugin in installed_plugins():
        try:
            pm.register(plugin, label)
        except Exception as error:  # a plugin whose hooks don't match the specs
            origins.pop(label, None)
            _fail(f"{label} ({where})", error)
    return pm


def _fail(plugin: str, error: Exception) -> None:
    first_line = str(error).splitlines()[0] if str(error) else ""
    problem = f"{type(error).__name__}: {first_line}".rstrip(": ")
    load_failures.append(LoadFailure(plugin, problem))


def registered(hook: str, kind: str) -> dict[str, tuple[Any, str]]:
    """Call every plugin's ``register_*`` hook; each thing by name, with the plugin that added it.

    A name registered twice is an error naming both plugins.
    """
    load_plugins()
    found: dict[str, tuple[Any, str]] = {}
    caller = getattr(pm.hook, hook)
    for impl in caller.get_hookimpls():  # in registration order: built-ins first

        def register(thing: Any, plugin: str = impl.plugin_name) -> None:
            name = str(thing.name)
            if name in found:
                other = found[name][1]
                raise TwinError(f"two {kind} named {name!r}: one from {other}, one from {plugin}")
            found[name] = (thing, plugin)

        impl.function(register=register)
    return found


def collect(hook: str, kind: str) -> dict[str, Any]:
    """`registered` without the plugin names."""
    return {name: thing for name, (thing, _) in registered(hook, kind).items()}


def call(hook: str, **kwargs: Any) -> list[Any]:
    """Call a hook on every plugin (built-ins first) and return what each returned."""
    load_plugins()
    caller: Callable[..., list[Any]] = getattr(pm.hook, hook)
    return list(reversed(caller(**kwargs)))
