"""Voice in the hub: a spoken journal entry recorded in the browser (or a plain file upload, or
a paired device's push), and each of the twin's chat replies spoken aloud.

A face over `twin.voice`: the recording goes to `transcribe_upload`, the reply's speech comes
from `speak` (Piper with the person's voice or the packaged one, espeak-ng otherwise). The
speech is made here and streamed from the hub; the page fetches nothing from anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from jinja2 import ChoiceLoader, FileSystemLoader
from starlette.concurrency import run_in_threadpool

from twin.errors import TwinError
from twin.home import Home
from twin.hub.deps import TEMPLATES, DeviceDep, HubDep, VaultDep, render
from twin.hub.provenance import check_rules, count_pushed, device_import
from twin.hub.state import Hub
from twin.vault.vault import Vault
from twin.voice.audio import MAX_AUDIO_BYTES
from twin.voice.recordings import transcribe_upload
from twin.voice.speak import settings, speak, wav_bytes
from twin.voice.store import VoiceEntry

HERE = Path(__file__).parent
VOICE_TEMPLATES = HERE / "templates"
"""``voice_recorder.html`` (the Journal page's recorder) and ``voice_speaker.html`` (a reply's
speaker), found by the hub's templates once this plugin is registered."""
RECORDER_JS = HERE / "static" / "recorder.js"
CHUNK = 1024 * 1024

router = APIRouter()


def _keep(
    hub: Hub, vault: Vault, data: bytes, name: str, private: bool,
    provenance: Callable[[], int] | None = None,
) -> VoiceEntry:  # fmt: skip
    """Transcribe and keep, off the event loop (the models may load on first use)."""
    return transcribe_upload(
        vault, data, name, private, embedder=hub.embedder(),
        model=settings(hub.home).get("whisper_model") or None, provenance=provenance,
    )  # fmt: skip


async def _read_upload(upload: UploadFile) -> bytes:
    """The uploaded recording, refused past the size any voice note could have."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > MAX_AUDIO_BYTES:
            raise TwinError(f"{upload.filename}: larger than {MAX_AUDIO_BYTES // CHUNK} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/journal/record", response_model=None)
async def record_entry(
    request: Request,
    hub: HubDep,
    vault: VaultDep,
    audio: UploadFile,
    private: Annotated[bool, Form()] = False,
) -> HTMLResponse | JSONResponse:
    """A spoken journal entry: the browser's recording (MediaRecorder) or a chosen audio file."""
    fetched = request.headers.get("x-requested-with") == "fetch"
    try:
        data = await _read_upload(audio)
        entry = await run_in_threadpool(
            _keep, hub, vault, data, audio.filename or "recording", private
        )
    except TwinError as error:
        if fetched:  # the recorder shows the one line; a plain form gets the error page
            return JSONResponse({"detail": str(error)}, status_code=400)
        raise
    if fetched:
        return JSONResponse(_described(entry, private))
    return render(
        request, "journal.html", title="Journal", saved=True, private=private,
        heard=entry.transcript.text, already=not entry.added,
    )  # fmt: skip


def _described(entry: VoiceEntry, private: bool) -> dict[str, Any]:
    t = entry.transcript
    return {
        "id": entry.note_id,
        "added": entry.added,
        "text": t.text,
        "private": private,
        "seconds": t.duration,
        "language": t.language,
        "confidence": t.confidence,
    }


@router.post("/api/push/journal/recording", tags=["push"])
async def push_recording(
    request: Request,
    hub: HubDep,
    vault: VaultDep,
    device: DeviceDep,
    private: bool = False,
    name: str = "recording",
) -> dict[str, Any]:
    """A spoken journal entry recorded on a paired device: the audio file as the request body
    (ogg/opus, webm, m4a, mp3, wav), ``?private=true`` to mark it private."""
    check_rules(vault, "journal")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_AUDIO_BYTES:
            raise TwinError(f"{name}: larger than {MAX_AUDIO_BYTES // CHUNK} MiB")
        chunks.append(chunk)

    def provenance() -> int:
        import_id = device_import(vault, device, "journal")
        count_pushed(vault, import_id, 1)
        return import_id

    entry = await run_in_threadpool(_keep, hub, vault, b"".join(chunks), name, private, provenance)
    return _described(entry, private)


def reply_text(vault: Vault, turn: int) -> str:
    """The text of one of the twin's replies in the hub's chat."""
    row = vault.db.execute(
        "SELECT role, content FROM hub_chat_turns WHERE id = ?", (turn,)
    ).fetchone()
    if row is None or row[0] != "assistant":
        raise TwinError("there is no such reply")
    return str(row[1])


@lru_cache(maxsize=8)
def _spoken(text: str, home: Home, voice: str) -> bytes:
    """The reply as WAV bytes; kept for a few replies, as a browser may ask twice (ranges)."""
    return wav_bytes(speak(text, home))


@router.get("/chat/turns/{turn}/speech.wav")
def reply_speech(hub: HubDep, vault: VaultDep, turn: int) -> Response:
    """The reply spoken, as a WAV file the page's <audio> element plays."""
    data = _spoken(reply_text(vault, turn), hub.home, settings(hub.home).get("piper_voice", ""))
    return Response(
        data,
        media_type="audio/wav",
        headers={"Cache-Control": "private, max-age=3600", "Content-Disposition": "inline"},
    )


@router.get("/voice/recorder.js", include_in_schema=False)
def recorder_script() -> FileResponse:
    return FileResponse(RECORDER_JS, media_type="text/javascript")


def add_templates() -> None:
    """Let the hub's pages find this plugin's templates (included where voice is offered)."""
    loader = TEMPLATES.env.loader
    if isinstance(loader, ChoiceLoader) and any(
        isinstance(one, FileSystemLoader) and str(VOICE_TEMPLATES) in one.searchpath
        for one in loader.loaders
    ):
        return
    assert loader is not None
    TEMPLATES.env.loader = ChoiceLoader([loader, FileSystemLoader(str(VOICE_TEMPLATES))])


def register(app: FastAPI) -> None:
    """Add the voice pages and the device push route to the hub."""
    add_templates()
    app.include_router(router)
