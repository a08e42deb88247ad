"""The one door every request passes: Host check, who is asking, CSRF on every form.

- From this machine (loopback) a browser without a session is sent to the unlock page.
- From anywhere else, every route but pairing answers 401 without a session or a device token.
- A paired device's token (``Authorization: Bearer``) opens the push API; in a browser, the
  device cookie set at pairing opens the unlock page, and a session opens the rest.
- Every state-changing request made with a session cookie carries the session's CSRF token,
  as the ``csrf`` form field, the ``X-CSRF-Token`` header or, for uploads, the query string.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twin.hub.devices import device_for_token
from twin.hub.security import DEVICE_COOKIE, SESSION_COOKIE, csrf_matches
from twin.hub.settings import is_loopback
from twin.hub.state import Hub, Locked

PAIRING = ("/pair", "/api/pair")
"""Open to anyone who can reach the hub: a code is the only way in."""
BEFORE_UNLOCK = ("/unlock", "/welcome", "/welcome/create", "/static/", "/favicon.ico")
"""What a browser on this machine, or a paired one, sees before it is unlocked."""
LOCAL_WATCHERS = ("/api/0/",)
"""ActivityWatch's API: open to watchers on this machine (they send no token), as aw-server is."""
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_FORM_BYTES = 1024 * 1024


def _is(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in prefixes)


def _host_name(headers: Headers) -> str:
    host = headers.get("host", "")
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if ":" in host else host


class Gate:
    """ASGI middleware implementing the rules above."""

    def __init__(self, app: ASGIApp, hub: Hub, allowed_hosts: set[str]) -> None:
        self.app = app
        self.hub = hub
        self.allowed_hosts = {h.lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        if _host_name(request.headers).lower() not in self.allowed_hosts:
            await PlainTextResponse("unknown Host header", status_code=400)(scope, receive, send)
            return
        client = request.client.host if request.client else ""
        local = is_loopback(client)
        session = self.hub.sessions.get(request.cookies.get(SESSION_COOKIE))
        device = self._device(request)
        scope.setdefault("state", {})
        scope["state"].update(session=session, device=device, local=local, client=client)
        api = path.startswith("/api/")
        if _is(path, PAIRING) or session is not None:
            allowed = True
        elif device is not None:
            allowed = api or _is(path, BEFORE_UNLOCK)
        else:
            allowed = local and (_is(path, BEFORE_UNLOCK) or _is(path, LOCAL_WATCHERS))
        if not allowed:
            await self._refuse(request, local, api)(scope, receive, send)
            return
        if (
            request.method not in SAFE_METHODS
            and session is not None
            and "authorization" not in request.headers
        ):
            receive, given = await self._csrf_token(request, receive)
            if not csrf_matches(session, given):
                await PlainTextResponse(
                    "this form is out of date or did not come from the hub; reload the page",
                    status_code=403,
                )(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _device(self, request: Request) -> Any:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            token = request.cookies.get(DEVICE_COOKIE, "")
        token = token.strip()
        if not token or not self.hub.unlocked:
            return None
        try:
            with self.hub.open_vault() as vault:
                return device_for_token(vault, token)
        except Locked:
            return None

    def _refuse(self, request: Request, local: bool, api: bool) -> Response:
        if local and not api and request.method in SAFE_METHODS:
            target = "/unlock" if self.hub.has_vault else "/welcome"
            return RedirectResponse(target, status_code=303)
        return JSONResponse(
            {"detail": "unlock the hub or pair this device first"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    async def _csrf_token(self, request: Request, receive: Receive) -> tuple[Receive, str | None]:
        """The CSRF token of a request, and a `receive` that replays any body read for it."""
        given = request.headers.get("x-csrf-token") or request.query_params.get("csrf")
        kind = request.headers.get("content-type", "")
        if given or not kind.startswith("application/x-www-form-urlencoded"):
            return receive, given
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_FORM_BYTES or not message.get("more_body"):
                break
        body = b"".join(chunks)
        fields = parse_qs(body.decode("utf-8", "replace"))
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        found = fields.get("csrf")
        return replay, found[0] if found else None
