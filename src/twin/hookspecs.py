"""Every extension point of twin, in one place.

A plugin is a module (or object) with functions marked ``@hookimpl`` whose names are those
below. twin's own importers, formats and commands are plugins too: they go through the same
door (`twin.plugins.DEFAULT_PLUGINS`). A third-party package makes its module known under the
``twin`` entry point group::

    [project.entry-points.twin]
    hello = "twin_hello"

Each ``register_*`` hook gets a ``register`` function to call once per thing it adds; a
name already taken is an error that names both plugins.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("twin")
hookimpl = pluggy.HookimplMarker("twin")


@hookspec
def register_importers(register: Any) -> None:
    """Register chat importers: ``register(importer)``, one `twin.importers.base.Importer` each."""


@hookspec
def register_note_importers(register: Any) -> None:
    """Register notes importers: ``register(importer)``, one `NoteImporter` each.

    They are tried in registration order, so register specific formats before general ones.
    """


@hookspec
def register_dataset_formats(register: Any) -> None:
    """Register dataset line formats: ``register(format)``, one `Format` each."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the `twin` click group: ``cli.add_command(command)``."""


@hookspec
def forget_derived(vault: Any, gone: Any) -> None:
    """Delete what a plugin derived from records `twin forget` is deleting.

    Called inside the forget transaction with the `Vault` and a `twin.vault.forget.Forgotten`
    naming the conversations and notes going; add a line to ``gone.derived`` for each thing removed.
    """


@hookspec
def register_hub_routes(app: Any) -> None:
    """Add routes to the hub's FastAPI app: ``app.include_router(router)``."""
