"""Voice in the hub: a spoken journal entry (recorded in the browser, uploaded as a file, or
pushed by a paired device) is stored as its transcript, and the twin's replies can be heard.

Speech is made at test time with espeak-ng and encoded with PyAV as a browser or a phone would
(webm or ogg, Opus); the default Whisper model transcribes it.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time
import wave
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fastapi.testclient import TestClient

from tests.conftest import PASSPHRASE
from tests.hub.test_api import _pair
from tests.voice.conftest import SENTENCES, encode, espeak_wav, wer
from twin.home import Home
from twin.hub.app import create_app
from twin.hub.settings import HubSettings
from twin.hub.state import Hub

CHROMIUM = Path("/usr/bin/chromium")
REPLY = "Sure, I can meet you at six. Let me check the train times first."
"""About fourteen words: three to five seconds of speech."""


def _journal(hub: Hub) -> list[dict[str, Any]]:
    with hub.open_vault() as vault:
        return list(
            vault.rows(
                "SELECT n.id, n.text, n.private, n.import_id, v.origin, v.audio FROM notes n "
                "JOIN voice_transcripts v ON v.note_id = n.id WHERE n.kind = 'journal' "
                "ORDER BY n.id"
            )
        )


def _clip(tmp_path: Path, sentence: str, fmt: str) -> bytes:
    return encode(espeak_wav(sentence, tmp_path / f"{fmt}.wav"), fmt=fmt)


def test_the_journal_page_offers_recording_and_a_plain_upload(
    unlocked: tuple[TestClient, str],
) -> None:
    client, csrf = unlocked
    page = client.get("/journal").text
    assert f'action="/journal/record?csrf={csrf}"' in page
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert 'src="/voice/recorder.js"' in page
    script = client.get("/voice/recorder.js")
    assert script.status_code == 200 and "MediaRecorder" in script.text


def test_an_uploaded_webm_clip_becomes_a_journal_entry_of_its_words(
    unlocked: tuple[TestClient, str], hub: Hub, tmp_path: Path, twin: Callable[..., Result]
) -> None:
    client, csrf = unlocked
    clip = _clip(tmp_path, SENTENCES[2], "webm")
    response = client.post(
        f"/journal/record?csrf={csrf}",
        files={"audio": ("recording.webm", clip, "audio/webm")},
        data={"private": "true"},
    )
    assert response.status_code == 200, response.text
    assert "Saved, as private" in response.text
    [entry] = _journal(hub)
    assert wer(SENTENCES[2], str(entry["text"])) < 0.2, entry["text"]
    assert entry["private"] == 1
    assert entry["origin"] == "upload:recording.webm"
    assert entry["audio"] is None  # only the text is kept
    assert str(entry["text"]) in response.text
    assert "milk" in client.get("/journal/entries").text
    recalled = twin("recall", "what to buy on the way home", "--json").output
    assert "bread and milk" in recalled  # the twin can draw on it


def test_the_recorder_gets_the_ogg_entry_back_as_json(
    unlocked: tuple[TestClient, str], hub: Hub, tmp_path: Path
) -> None:
    client, csrf = unlocked
    clip = _clip(tmp_path, SENTENCES[1], "ogg")
    headers = {"x-csrf-token": csrf, "x-requested-with": "fetch"}
    files = {"audio": ("recording.ogg", clip, "audio/ogg")}
    first = client.post("/journal/record", files=files, headers=headers)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["added"] is True and answer["private"] is False
    assert wer(SENTENCES[1], answer["text"]) < 0.2, answer["text"]
    again = client.post("/journal/record", files=files, headers=headers).json()
    assert (again["added"], again["id"]) == (False, answer["id"])
    assert len(_journal(hub)) == 1


def test_a_file_that_is_not_audio_is_refused_in_one_line_and_nothing_is_stored(
    unlocked: tuple[TestClient, str], hub: Hub
) -> None:
    client, csrf = unlocked
    headers = {"x-csrf-token": csrf, "x-requested-with": "fetch"}
    files = {"audio": ("notes.ogg", b"this is a shopping list, not a recording", "audio/ogg")}
    refused = client.post("/journal/record", files=files, headers=headers)
    assert refused.status_code == 400
    detail = refused.json()["detail"]
    assert detail.startswith("upload:notes.ogg: not an audio file") and "\n" not in detail
    page = client.post(f"/journal/record?csrf={csrf}", files=files)
    assert page.status_code == 400 and "not an audio file" in page.text
    assert _journal(hub) == []


def test_the_recording_form_needs_the_csrf_token(
    unlocked: tuple[TestClient, str], hub: Hub, tmp_path: Path
) -> None:
    client, _ = unlocked
    files = {"audio": ("r.ogg", _clip(tmp_path, SENTENCES[0], "ogg"), "audio/ogg")}
    assert client.post("/journal/record", files=files).status_code == 403
    assert _journal(hub) == []


def test_a_paired_device_pushes_a_voice_note_to_the_journal(
    unlocked: tuple[TestClient, str],
    remote: TestClient,
    hub: Hub,
    tmp_path: Path,
    twin: Callable[..., Result],
) -> None:
    client, csrf = unlocked
    token = _pair(client, csrf, remote, "Sam's phone")
    clip = _clip(tmp_path, SENTENCES[0], "ogg")
    url = "/api/push/journal/recording?private=true&name=PTT-20240312.opus"
    assert remote.post(url, content=clip).status_code == 401  # no token, no entry
    auth = {"authorization": f"Bearer {token}", "content-type": "audio/ogg"}
    pushed = remote.post(url, content=clip, headers=auth)
    assert pushed.status_code == 200, pushed.text
    assert wer(SENTENCES[0], pushed.json()["text"]) < 0.2
    [entry] = _journal(hub)
    assert entry["private"] == 1 and entry["origin"] == "upload:PTT-20240312.opus"
    assert "pushed by device 1: Sam's phone" in twin("sources", "--json").output
    bad = remote.post(url, content=b"\x00" * 200, headers=auth)
    assert bad.status_code == 400 and "not an audio file" in bad.json()["detail"]
    gone = twin("forget", "--import", str(entry["import_id"]), "--yes")
    assert "1 note" in gone.output
    assert _journal(hub) == []


def _add_reply(hub: Hub, chat: str, text: str) -> int:
    with hub.open_vault() as vault, vault.transaction():
        for role, content in (("user", "Are we still on for tonight?"), ("assistant", text)):
            cursor = vault.db.execute(
                "INSERT INTO hub_chat_turns (chat, role, content, details, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (chat, role, content, json.dumps({"passages": [], "held_back": []}),
                 datetime.now(UTC).isoformat()),
            )  # fmt: skip
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return float(wav.getnframes() / wav.getframerate())


def test_each_reply_has_a_speaker_streaming_its_speech(
    unlocked: tuple[TestClient, str], hub: Hub
) -> None:
    client, _ = unlocked
    turn = _add_reply(hub, "c1", REPLY)
    page = client.get("/chat?c=c1").text
    assert f'<audio controls preload="none" src="/chat/turns/{turn}/speech.wav"' in page
    assert 'src="/chat/turns/TURN/speech.wav"' in page  # streamed replies get one too
    speech = client.get(f"/chat/turns/{turn}/speech.wav")
    assert speech.status_code == 200 and speech.headers["content-type"] == "audio/wav"
    assert 14 / 5 < _seconds(speech.content) < 14 / 2  # two to five words a second
    assert client.get(f"/chat/turns/{turn - 1}/speech.wav").status_code == 400  # not a reply


# In a real browser ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(vault_home: Home) -> Iterator[tuple[str, Hub]]:
    """A real hub on 127.0.0.1 over a vault, unlocked (a browser still signs in at /unlock)."""
    import uvicorn

    hub = Hub(vault_home, HubSettings(open_browser=False))
    hub.unlock(PASSPHRASE)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(hub), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}", hub
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def microphone(tmp_path: Path) -> Path:
    """What chromium's fake microphone says: a sentence, then a second of silence."""
    return espeak_wav(SENTENCES[1] + " ,,,,,,,,,,,,", tmp_path / "microphone.wav")


InBrowser = Callable[[Callable[[Any], None]], None]


@pytest.fixture
def in_browser(microphone: Path, served: tuple[str, Hub]) -> InBrowser:
    """Runs a check on a page of headless chromium, its fake microphone reading `microphone`,
    unlocked at the hub. Playwright runs in a thread of its own: the session's other browser
    (tests/hub/test_browser.py) holds this thread's event loop, and this one needs other flags."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/setup")
    url, _ = served

    def run(check: Callable[[Any], None]) -> None:
        failed: list[BaseException] = []

        def session() -> None:
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=str(CHROMIUM),
                        args=[
                            "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-background-networking",
                            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                            f"--use-file-for-fake-audio-capture={microphone}",
                            "--autoplay-policy=no-user-gesture-required",
                        ],
                    )  # fmt: skip
                    try:
                        context = browser.new_context(base_url=url, permissions=["microphone"])
                        page = context.new_page()
                        page.goto("/unlock")
                        page.fill("#passphrase", PASSPHRASE)
                        page.click("button[type=submit]")
                        page.wait_for_url(re.compile(r"/(?!unlock)"))
                        check(page)
                    finally:
                        browser.close()
            except BaseException as error:  # handed to the test's own thread
                failed.append(error)

        thread = threading.Thread(target=session)
        thread.start()
        thread.join(300)
        assert not thread.is_alive(), "the browser check did not end"
        if failed:
            raise failed[0]

    return run


def test_speaking_into_the_journal_page_keeps_the_words(
    in_browser: InBrowser, served: tuple[str, Hub], microphone: Path
) -> None:
    from playwright.sync_api import expect

    _, hub = served

    def check(page: Any) -> None:
        page.goto("/journal")
        expect(page.locator("#recorder")).to_be_visible()  # MediaRecorder is there
        page.check("#voice-private")
        page.click("#record-start")
        expect(page.locator("#record-state")).to_contain_text("Recording")
        page.wait_for_timeout(1000 * (_seconds(microphone.read_bytes()) + 0.5))
        page.click("#record-stop")
        expect(page.locator("#record-state")).to_contain_text("Saved, as private", timeout=120_000)

    in_browser(check)
    [entry] = _journal(hub)
    assert str(entry["origin"]).startswith("upload:recording.")
    assert entry["private"] == 1
    # The fake microphone loops its file: the sentence is heard at least once, in order.
    heard = str(entry["text"])
    assert "Berlin" in heard and "cold" in heard, heard
    assert wer(SENTENCES[1], heard[: heard.find("morning") + len("morning")]) < 0.2, heard


def test_the_speaker_plays_the_reply_in_the_browser(
    in_browser: InBrowser, served: tuple[str, Hub]
) -> None:
    _, hub = served
    turn = _add_reply(hub, "c2", REPLY)
    heard: dict[str, Any] = {}

    def check(page: Any) -> None:
        page.goto("/chat?c=c2")
        audio = page.locator(f'audio[src="/chat/turns/{turn}/speech.wav"]')
        heard.update(
            audio.evaluate(
                """async (a) => {
                    const ready = new Promise((ok, bad) => {
                        a.addEventListener("canplaythrough", ok, { once: true });
                        a.addEventListener("error", () => bad(new Error("code " + a.error.code)));
                    });
                    a.load();
                    await ready;
                    await a.play();
                    const bytes = await (await fetch(a.currentSrc)).arrayBuffer();
                    const context = new OfflineAudioContext(1, 1, 22050);
                    const decoded = await context.decodeAudioData(bytes);
                    return { readyState: a.readyState, duration: a.duration, paused: a.paused,
                             decoded: decoded.duration, channels: decoded.numberOfChannels };
                }"""
            )
        )
        wav = page.request.get(f"/chat/turns/{turn}/speech.wav")
        heard["wav_seconds"] = _seconds(wav.body())

    in_browser(check)
    assert heard["readyState"] >= 3 and heard["paused"] is False, heard
    assert 14 / 5 < heard["duration"] < 14 / 2, heard
    assert abs(heard["decoded"] - heard["duration"]) < 0.1, heard
    assert abs(heard["wav_seconds"] - heard["duration"]) < 0.1, heard
