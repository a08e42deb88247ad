"""An OpenAI-compatible HTTP API, so existing chat front ends and client libraries can talk
to the twin: ``GET /v1/models`` and ``POST /v1/chat/completions`` (with ``stream: true``, as
server-sent events in OpenAI's chunk shape).

It listens on 127.0.0.1 by default. Any other address reaches other machines, so it requires
a token, checked on every request as ``Authorization: Bearer <token>``. Replies carry an extra
``twin`` field (passages used, guard verdicts) that OpenAI clients ignore.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from twin.chat.access import (
    DEFAULT_HOST,
    Certificate,
    SlowDown,
    allowed_hosts,
    check_listen,
    ensure_certificate,
    is_loopback,
)
from twin.chat.engine import GenerationSettings
from twin.chat.twin import Reply, Twin
from twin.chat.usage import reply_usage
from twin.errors import TwinError
from twin.records import ChatTurn


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text; content parts other than text are dropped."""
        if isinstance(self.content, list):
            return "".join(
                str(part.get("text", "")) for part in self.content if part.get("type") == "text"
            )
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=4096)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    seed: int | None = None


def _settings(request: ChatRequest, base: GenerationSettings) -> GenerationSettings:
    return GenerationSettings(
        max_new_tokens=request.max_completion_tokens or request.max_tokens or base.max_new_tokens,
        temperature=base.temperature if request.temperature is None else request.temperature,
        top_p=request.top_p or base.top_p,
        seed=request.seed if request.seed is not None else base.seed,
    )


class ModelCard(BaseModel):
    id: str
    object: str = "model"
    created: int = 0
    owned_by: str = "you"


class ModelList(BaseModel):
    object: str = "list"
    data: list[ModelCard]


class ReplyMessage(BaseModel):
    role: str = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ReplyMessage
    finish_reason: str = "stop"


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletion(BaseModel):
    """OpenAI's chat completion, plus a ``twin`` field (passages, guard verdicts)."""

    id: str
    object: str = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage = Usage()
    twin: dict[str, Any]


def _usage(twin: Twin, conversation: list[ChatTurn], reply: Reply) -> Usage:
    """OpenAI's ``usage``, counted with the engine's tokenizer (`twin.chat.usage`)."""
    counted = reply_usage(twin.engine, twin.persona, conversation, reply)
    return Usage(
        prompt_tokens=counted.prompt_tokens,
        completion_tokens=counted.completion_tokens,
        total_tokens=counted.total_tokens,
    )


def _chunk(ident: str, created: int, model: str, delta: dict[str, str], finish: str | None) -> str:
    body = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def get_twin(request: Request) -> Twin:
    """The one twin this app serves."""
    twin: Twin = request.app.state.twin
    return twin


def check_token(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Refuse a request without the app's bearer token, when it has one.

    The token is compared in constant time, and a client that sent a wrong one must wait,
    twice as long after each failure, before it is listened to again.
    """
    token: str | None = request.app.state.token
    if token is None:
        return
    slow: SlowDown = request.app.state.slowdown
    client = request.client.host if request.client else "?"
    wait = slow.wait_left(client)
    if wait > 0:
        raise HTTPException(
            status_code=429,
            detail={"message": "too many wrong tokens; wait", "type": "rate_limit_error"},
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    scheme, _, given = (authorization or "").partition(" ")
    right = secrets.compare_digest(given.strip().encode(), token.encode())
    if scheme.lower() == "bearer" and right:
        slow.succeeded(client)
        return
    slow.failed(client)
    raise HTTPException(
        status_code=401,
        detail={"message": "missing or wrong bearer token", "type": "invalid_request_error"},
        headers={"WWW-Authenticate": "Bearer"},
    )


TwinDep = Annotated[Twin, Depends(get_twin)]
Authorised = Depends(check_token)
router = APIRouter(prefix="/v1", dependencies=[Authorised])


@router.get("/models")
def models(twin: TwinDep) -> ModelList:
    return ModelList(data=[ModelCard(id=twin.engine.name)])


@router.post("/chat/completions", response_model=None)
def chat_completions(
    request: ChatRequest, twin: TwinDep, http: Request
) -> ChatCompletion | StreamingResponse:
    conversation: list[ChatTurn] = [{"role": m.role, "content": m.text()} for m in request.messages]
    settings = _settings(request, twin.settings)
    ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    model = twin.engine.name
    busy: threading.Lock = http.app.state.busy
    if not request.stream:
        with busy:
            reply = twin.ask(conversation, settings)
        return ChatCompletion(
            id=ident,
            created=created,
            model=model,
            choices=[Choice(message=ReplyMessage(content=reply.text))],
            usage=_usage(twin, conversation, reply),
            twin=reply.describe(),
        )

    def events() -> Iterator[str]:
        with busy:
            streamed, pieces = twin.respond(conversation, settings)
            yield _chunk(ident, created, model, {"role": "assistant", "content": ""}, None)
            for piece in pieces:
                yield _chunk(ident, created, model, {"content": piece}, None)
            yield _chunk(ident, created, model, {}, "stop")
            if (request.model_extra or {}).get("stream_options", {}).get("include_usage"):
                usage = _usage(twin, conversation, streamed)
                body = {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": usage.model_dump(),
                }
                yield f"data: {json.dumps(body)}\n\n"
            yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def openai_error(request: Request, error: Exception) -> JSONResponse:
    """Errors in OpenAI's shape: ``{"error": {"message": …}}``."""
    assert isinstance(error, HTTPException)
    detail = error.detail if isinstance(error.detail, dict) else {"message": str(error.detail)}
    return JSONResponse({"error": detail}, status_code=error.status_code, headers=error.headers)


def create_app(
    twin: Twin, *, token: str | None = None, hosts: list[str] | None = None
) -> FastAPI:
    """The API over one loaded twin. With a `token`, every request must carry it.

    Requests whose Host header names another site are refused (`hosts`: the names allowed),
    and no CORS headers are sent, so web pages of other origins cannot read replies.
    """
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app = FastAPI(title="twin", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts or allowed_hosts(DEFAULT_HOST))
    app.state.twin = twin
    app.state.token = token
    app.state.slowdown = SlowDown()
    app.state.busy = threading.Lock()  # one reply at a time: one model, one vault connection
    app.add_exception_handler(HTTPException, openai_error)
    app.include_router(router)
    return app


def serve(
    twin: Twin, host: str, port: int, token: str | None, tls: Path | None = None
) -> Certificate | None:
    """Run the API until interrupted; beyond this machine over HTTPS only.

    `tls` is the folder of the self-signed certificate, made there on first use.
    """
    import uvicorn

    check_listen(host, token)
    app = create_app(twin, token=token, hosts=allowed_hosts(host))
    if is_loopback(host):
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return None
    if tls is None:
        raise TwinError("serving beyond this machine needs a folder for its HTTPS certificate")
    certificate = ensure_certificate(tls, host)
    print(
        f"HTTPS with a self-signed certificate; pin its SHA-256 fingerprint:\n"
        f"  {certificate.fingerprint}",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        ssl_certfile=str(certificate.cert),
        ssl_keyfile=str(certificate.key),
    )
    return certificate
