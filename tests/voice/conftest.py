"""Speech made at test time: espeak-ng speaks, PyAV encodes it as a voice note would be."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av", reason="the voice extra is not installed")
pytest.importorskip("faster_whisper", reason="the voice extra is not installed")

SENTENCES = [
    "I started music lessons with my teacher today.",
    "The weather in Berlin was cold and grey this morning.",
    "Please remember to buy bread and milk on the way home.",
]


def espeak_wav(text: str, path: Path) -> Path:
    """`text` spoken by espeak-ng into a WAV file."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        pytest.fail("espeak-ng is missing: scripts/setup installs it")
    subprocess.run([binary, "-w", str(path), text], check=True)
    return path


def encode(wav: Path, fmt: str = "ogg", codec: str = "libopus") -> bytes:
    """The WAV re-encoded (Opus in Ogg by default, as WhatsApp and Telegram voice notes are)."""
    with wave.open(str(wav)) as source:
        rate = source.getframerate()
        samples = np.frombuffer(source.readframes(source.getnframes()), dtype=np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=48000)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(piece):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def wer(reference: str, heard: str) -> float:
    """Word error rate: edits to turn the heard words into the reference, per reference word."""
    ref, hyp = words(reference), words(heard)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)] / max(len(ref), 1)
