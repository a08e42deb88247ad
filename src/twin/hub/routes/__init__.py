"""The hub's pages and APIs, one module per page; registered like a plugin's routes would be."""

from __future__ import annotations

from fastapi import FastAPI

from twin.hookspecs import hookimpl
from twin.hub.routes import (
    activitywatch,
    chat,
    data,
    dataset,
    devices,
    evaluation,
    jobs,
    journal,
    onboarding,
    push,
    redaction,
    settings,
    sources,
    training,
    unlock,
)

PAGES = (
    onboarding,
    unlock,
    sources,
    data,
    journal,
    dataset,
    redaction,
    training,
    jobs,
    chat,
    evaluation,
    devices,
    settings,
    push,
    activitywatch,
)


@hookimpl
def register_hub_routes(app: FastAPI) -> None:
    """Add every built-in page and API of the hub."""
    for page in PAGES:
        app.include_router(page.router)
