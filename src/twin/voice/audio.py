"""Decoding any audio file (wav, mp3, m4a, ogg/opus, webm) to 16 kHz mono samples with PyAV."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from twin.errors import BadInput

RATE = 16_000
"""Whisper listens at 16 kHz."""
AUDIO_SUFFIXES = frozenset(
    {".wav", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".webm", ".weba", ".flac", ".amr"}
)
"""File endings taken for audio when looking through a folder or a chat export."""
MAX_AUDIO_BYTES = 512 * 1024**2

Samples = npt.NDArray[np.float32]


def decode(source: Path | bytes, label: str) -> Samples:
    """The audio as float32 samples at 16 kHz, mono; `BadInput` (one line) if it isn't audio."""
    import av

    stream: str | io.BytesIO = str(source) if isinstance(source, Path) else io.BytesIO(source)
    chunks: list[npt.NDArray[Any]] = []
    try:
        with av.open(stream, mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise BadInput(label, "holds no audio")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            for frame in container.decode(audio=0):
                frame.pts = None
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except BadInput:
        raise
    except (av.FFmpegError, ValueError, OSError) as error:
        raise BadInput(label, f"not an audio file PyAV can read ({_reason(error)})") from None
    if not chunks:
        raise BadInput(label, "holds no audio")
    return (np.concatenate(chunks).astype(np.float32) / 32768.0).astype(np.float32)


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
