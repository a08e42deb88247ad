"""The hub's FastAPI app: the gate, the static files, and every page's routes via plugins."""

from __future__ import annotations

import contextlib
import importlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from twin.errors import TwinError
from twin.hub.deps import render
from twin.hub.gate import Gate
from twin.hub.state import Hub, Locked
from twin.plugins import call, load_plugins

BUILT_IN_ROUTES = "twin.hub.routes"
"""The hub's own pages: a plugin like any other, registered when an app is made (not at every
`twin` command, which would load the web stack for nothing)."""

STATIC = Path(__file__).parent / "static"


def allowed_hosts(hub: Hub) -> set[str]:
    """The names the Host header may carry: loopback, and under ``--lan`` this machine's."""
    hosts = {"127.0.0.1", "localhost", "[::1]", *hub.settings.allowed_hosts}
    if hub.settings.lan:
        name = socket.gethostname()
        hosts |= {name, f"{name}.local", hub.settings.host}
        with contextlib.suppress(OSError):
            hosts |= set(socket.gethostbyname_ex(name)[2])
    return {host.lower() for host in hosts}


def create_app(hub: Hub) -> FastAPI:
    """The hub for one twin home. Routes come from the ``register_hub_routes`` hook."""
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        hub.summaries.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="twin hub",
        summary="Your twin in the browser, and the push API your paired devices report to.",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.hub = hub
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    manager = load_plugins()
    if manager.get_plugin(BUILT_IN_ROUTES) is None:
        manager.register(importlib.import_module(BUILT_IN_ROUTES), BUILT_IN_ROUTES)
    call("register_hub_routes", app=app)

    @app.exception_handler(Locked)
    def locked(request: Request, error: Locked) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(error)}, status_code=503)
        return RedirectResponse("/unlock", status_code=303)

    @app.exception_handler(TwinError)
    def user_error(request: Request, error: TwinError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(error)}, status_code=400)
        return render(request, "error.html", status_code=400, title="Not done", problem=str(error))

    app.add_middleware(Gate, hub=hub, allowed_hosts=allowed_hosts(hub))
    return app
