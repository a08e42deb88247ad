"""Commands for voice: `twin voice import|transcribe|use`, `twin say`, `twin journal record`."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.state import State, pass_state
from twin.voice.exports import VoiceNotesSummary, transcribe_conversation
from twin.voice.recordings import import_voice, record_journal_entry
from twin.voice.speak import play, save_settings, settings, speak, write_wav
from twin.voice.transcribe import Progress as Heard
from twin.words import plural

console = Console(highlight=False, soft_wrap=True)
notes = Console(stderr=True, highlight=False, soft_wrap=True)
RECORDERS = (
    ("arecord", ["-q", "-f", "S16_LE", "-r", "16000", "-c", "1", "-t", "wav"]),
    ("pw-record", ["--rate", "16000", "--channels", "1"]),
)

model_option = click.option(
    "--model",
    metavar="DIR|NAME",
    help="A faster-whisper model folder (CTranslate2), or a name you downloaded yourself "
    "[default: settings, else the packaged tiny.en].",
)


def _model(state: State, model: str | None) -> str | None:
    return model or settings(state.home).get("whisper_model") or None


class _Bar:
    """A progress bar per recording, on stderr, only at a terminal."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), console=notes, transient=True,
            disable=not notes.is_terminal,
        )  # fmt: skip

    def __enter__(self) -> _Bar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, name: object) -> Heard:
        task = self.progress.add_task(f"Transcribing {Path(str(name)).name}", total=None)

        def heard(done: float, total: float) -> None:
            self.progress.update(task, completed=done, total=total)

        return heard


def print_voice_notes(summary: VoiceNotesSummary) -> None:
    """Say what transcribing an export's voice notes did."""
    console.print(
        f"  {plural(summary.transcribed, 'voice note')} transcribed"
        + (f", {summary.already} already" if summary.already else "")
    )
    for line in summary.failed:
        notes.print(f"  skipped {line}", markup=False)


@click.group()
def voice() -> None:
    """Speech to text and back, on this machine: voice notes, recordings, twin's voice."""


@voice.command(name="import")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@model_option
@click.option("--private", is_flag=True, help="Mark the transcripts private.")
@click.option("--keep-audio", is_flag=True, help="Keep the audio itself in the vault too.")
@pass_state
def voice_import(
    state: State, path: Path, model: str | None, private: bool, keep_audio: bool
) -> None:
    """Transcribe a voice file (wav, mp3, m4a, ogg/opus…) or a folder of them into notes."""
    with state.open_vault() as vault, _Bar() as bar:
        summary = import_voice(
            vault, path, model=_model(state, model), private=private, keep_audio=keep_audio,
            progress=bar,
        )  # fmt: skip
    for entry in summary.added:
        t = entry.transcript
        console.print(
            f"note {entry.note_id}: {t.duration:.1f} s, {t.language}, confidence "
            f"{t.confidence:.2f}: {t.text}",
            markup=False,
        )
    console.print(
        f"{path}: {plural(len(summary.added), 'recording')} transcribed, "
        f"{summary.already_there} already there"
        + (f" (import #{summary.import_id})" if summary.import_id else "")
    )


@voice.command(name="transcribe")
@click.option("--conversation", required=True, help="Title or id of the conversation.")
@click.option(
    "--from", "export", type=click.Path(path_type=Path, exists=True),
    help="The export holding the audio [default: the file it was imported from].",
)  # fmt: skip
@model_option
@click.option("--keep-audio", is_flag=True, help="Keep the audio itself in the vault too.")
@pass_state
def voice_transcribe(
    state: State, conversation: str, export: Path | None, model: str | None, keep_audio: bool
) -> None:
    """Transcribe the voice notes of a conversation imported earlier."""
    with state.open_vault() as vault, _Bar() as bar:
        summary = transcribe_conversation(
            vault, conversation, export=export, model=_model(state, model),
            keep_audio=keep_audio, progress=bar,
        )  # fmt: skip
    print_voice_notes(summary)


@voice.command(name="use")
@click.option("--piper", "piper", metavar="MODEL.onnx", help="Your own Piper voice ('' resets).")
@click.option("--whisper", "whisper", metavar="DIR", help="A Whisper model folder ('' resets).")
@pass_state
def voice_use(state: State, piper: str | None, whisper: str | None) -> None:
    """Choose the voice twin speaks with and the Whisper model it listens with."""
    values = settings(state.home)
    for key, value in (("piper_voice", piper), ("whisper_model", whisper)):
        if value is None:
            continue
        if value and not Path(value).expanduser().exists():
            raise TwinError(f"{value}: no such file or folder")
        if value:
            values[key] = str(Path(value).expanduser().resolve())
        else:
            values.pop(key, None)
    if piper is not None or whisper is not None:
        save_settings(state.home, values)
    console.print(f"voice: {values.get('piper_voice', 'packaged en_US-joe-medium (Piper)')}")
    console.print(f"listening: {values.get('whisper_model', 'packaged tiny.en')}")


@click.command(name="say")
@click.argument("text")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write a WAV file.")
@click.option(
    "--engine", type=click.Choice(["auto", "piper", "espeak"]), default="auto", show_default=True,
    help="auto: Piper with your voice or the packaged one, espeak-ng if Piper is missing.",
)  # fmt: skip
@pass_state
def say(state: State, text: str, out: Path | None, engine: str) -> None:
    """Speak TEXT aloud, or write it to a WAV file with --out."""
    speech = speak(text, state.home, engine)
    if out is None:
        play(speech)
        return
    seconds = write_wav(speech, out)
    console.print(f"{out}: {seconds:.1f} s of speech ({speech.voice})")


@click.command(name="record")
@click.option(
    "--file", "audio", type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A recording to use instead of the microphone.",
)  # fmt: skip
@click.option("--seconds", type=int, default=60, show_default=True, help="Longest recording.")
@click.option("--private", is_flag=True, help="The twin may use it, but never quotes it at length.")
@model_option
@click.option("--keep-audio", is_flag=True, help="Keep the audio itself in the vault too.")
@pass_state
def journal_record(
    state: State, audio: Path | None, seconds: int, private: bool, model: str | None,
    keep_audio: bool,
) -> None:  # fmt: skip
    """Speak a journal entry: record from the microphone (or take --file), transcribe, keep."""
    data = audio.read_bytes() if audio is not None else _record(seconds)
    label = str(audio) if audio is not None else "microphone"
    with state.open_vault() as vault, _Bar() as bar:
        entry = record_journal_entry(
            vault, data, label, private=private, model=_model(state, model),
            keep_audio=keep_audio, progress=bar(label),
        )  # fmt: skip
    if not entry.added:
        console.print(f"That recording is already journal entry {entry.note_id}.")
        return
    mark = " (private)" if private else ""
    saved = f"Saved journal entry {entry.note_id}{mark}: {entry.transcript.text}"
    console.print(saved, markup=False)


def _record(seconds: int) -> bytes:
    """Record from the microphone until Ctrl-C or `seconds`, as WAV bytes."""
    found = [(name, args) for name, args in RECORDERS if shutil.which(name)]
    if not found:
        raise TwinError("no microphone recorder here (arecord, pw-record); use --file RECORDING")
    name, args = found[0]
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "entry.wav"
        notes.print(f"Recording for up to {seconds} s; press Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt, subprocess.TimeoutExpired):
            subprocess.run([name, *args, str(target)], timeout=seconds, check=False)
        if not target.exists() or target.stat().st_size <= 44:
            raise TwinError("nothing was recorded; is a microphone connected?")
        return target.read_bytes()


@hookimpl(trylast=True)  # after memory's commands, so the journal group is there
def register_commands(cli: click.Group) -> None:
    """Add `voice` and `say`, and `record` to the journal group."""
    cli.add_command(voice)
    cli.add_command(say)
    journal = cli.commands.get("journal")
    if isinstance(journal, click.Group):
        journal.add_command(journal_record)


@hookimpl
def register_hub_routes(app: Any) -> None:
    """The hub's voice pages; imported only when a hub app is made, not at every command."""
    from twin.voice import hub_routes

    hub_routes.register(app)
