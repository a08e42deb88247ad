"""Voice end to end: espeak-ng speaks, the packaged tiny.en listens, the vault keeps the words."""

from __future__ import annotations

import json
import wave
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import PASSPHRASE
from tests.voice.conftest import SENTENCES, encode, espeak_wav, wer
from twin.errors import BadInput
from twin.home import Home
from twin.memory.embeddings import default_embedder
from twin.vault.key import Secret
from twin.vault.vault import Vault
from twin.voice.audio import decode
from twin.voice.transcribe import transcribe

Twin = Callable[..., Result]


def test_wer_counts_word_edits() -> None:
    assert wer("a b c d", "a b c d") == 0
    assert wer("a b c d", "a x c") == 0.5


@pytest.mark.parametrize("sentence", SENTENCES)
def test_default_model_hears_clean_sentences(tmp_path: Path, sentence: str) -> None:
    wav = espeak_wav(sentence, tmp_path / "s.wav")
    heard = transcribe(decode(wav, str(wav)))
    assert wer(sentence, heard.text) < 0.2, heard.text
    assert heard.language == "en"
    assert 0 < heard.confidence <= 1
    assert heard.segments and heard.segments[0].start >= 0
    assert heard.segments[-1].end <= heard.duration + 0.5


def test_a_file_that_is_not_audio_gets_one_line(tmp_path: Path, twin: Twin) -> None:
    fake = tmp_path / "notes.opus"
    fake.write_text("this is not a voice note\n")
    with pytest.raises(BadInput):
        decode(fake, str(fake))
    twin("init")
    result = twin("voice", "import", str(fake), ok=False)
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "notes.opus" in result.output and "audio" in result.output
    assert "Traceback" not in result.output


def _zip_with_voice_note(tmp_path: Path) -> Path:
    voice = encode(espeak_wav(SENTENCES[0], tmp_path / "v.wav"))
    chat = (
        "12/03/2024, 09:15 - Maya: Are you coming tonight?\n"
        "12/03/2024, 09:16 - Sam: PTT-20240312-WA0001.opus (file attached)\n"
        "12/03/2024, 09:17 - Maya: Great, see you then\n"
    )
    path = tmp_path / "WhatsApp Chat with Maya.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("WhatsApp Chat with Maya.txt", chat)
        archive.writestr("PTT-20240312-WA0001.opus", voice)
    return path


def _messages(home: Home) -> list[tuple[str, str, int]]:
    with Vault.open(home, Secret(passphrase=PASSPHRASE)) as vault:
        return list(
            vault.db.execute("SELECT kind, text, transcribed FROM messages ORDER BY sort_key")
        )


def test_whatsapp_voice_note_becomes_its_message_text(
    tmp_path: Path, twin: Twin, tmp_home: Home
) -> None:
    export = _zip_with_voice_note(tmp_path)
    twin("init")
    result = twin("import", str(export), "--me", "Sam", "--transcribe")
    assert "1 voice note transcribed" in result.output
    rows = _messages(tmp_home)
    kind, text, transcribed = rows[1]
    assert (kind, transcribed) == ("text", 1)
    assert wer(SENTENCES[0], text) < 0.2, text
    assert [r[2] for r in rows] == [0, 1, 0]
    with Vault.open(tmp_home, Secret(passphrase=PASSPHRASE)) as vault:
        origin, original, audio, segments = vault.db.execute(
            "SELECT origin, original_text, audio, segments FROM voice_transcripts"
        ).fetchone()
    assert origin.endswith("PTT-20240312-WA0001.opus")
    assert original == "PTT-20240312-WA0001.opus (file attached)"
    assert audio is None  # not copied unless asked
    assert json.loads(segments)[0]["text"]
    again = twin("import", str(export), "--transcribe")
    assert "0 new" in again.output and "1 already" in again.output
    assert _messages(tmp_home) == rows


def test_a_dataset_can_leave_transcribed_voice_notes_out(
    tmp_path: Path, twin: Twin, tmp_home: Home
) -> None:
    twin("init")
    twin("import", str(_zip_with_voice_note(tmp_path)), "--me", "Sam", "--transcribe")
    spoken = _messages(tmp_home)[1][1]

    twin("dataset", "build", "--name", "spoken", "--val-fraction", "0", "--no-qa")
    twin("dataset", "export", "spoken", str(tmp_path / "spoken"))
    left_out = twin("dataset", "build", "--name", "typed", "--no-transcribed", ok=False)

    assert spoken in (tmp_path / "spoken" / "train.jsonl").read_text(encoding="utf-8")
    # The voice note is Sam's only message in this chat: without it nothing of Sam's is left.
    assert left_out.exit_code == 1
    assert "none of the selected messages are yours" in left_out.output


def test_without_transcribe_the_voice_note_stays_media(
    tmp_path: Path, twin: Twin, tmp_home: Home
) -> None:
    twin("init")
    twin("import", str(_zip_with_voice_note(tmp_path)), "--me", "Sam")
    assert _messages(tmp_home)[1][0] == "media"
    twin("voice", "transcribe", "--conversation", "Maya")
    assert _messages(tmp_home)[1][2] == 1


def test_say_writes_a_wav_as_long_as_the_sentence(tmp_path: Path, twin: Twin) -> None:
    short, long = tmp_path / "short.wav", tmp_path / "long.wav"
    twin("say", "Hello.", "--out", str(short))
    twin("say", " ".join(SENTENCES), "--out", str(long))
    lengths = []
    for path in (short, long):
        with wave.open(str(path)) as wav:
            assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
            lengths.append(wav.getnframes() / wav.getframerate())
    assert 0.3 < lengths[0] < 2.5
    # about 29 words: two to four words a second
    assert 29 / 4 < lengths[1] < 29 / 2


def test_espeak_fallback_speaks_too(tmp_path: Path, twin: Twin) -> None:
    out = tmp_path / "e.wav"
    result = twin("say", "Hello there.", "--out", str(out), "--engine", "espeak")
    assert "espeak-ng" in result.output
    with wave.open(str(out)) as wav:
        assert wav.getnframes() > 0


def test_spoken_journal_entry_is_kept_private(tmp_path: Path, twin: Twin) -> None:
    wav = espeak_wav(SENTENCES[1], tmp_path / "entry.wav")
    twin("init")
    twin("journal", "record", "--file", str(wav), "--private")
    rows = json.loads(twin("journal", "list", "--json").output)
    assert rows[0]["private"] is True
    assert wer(SENTENCES[1], rows[0]["text"]) < 0.2


def test_hub_upload_of_a_webm_clip_becomes_a_journal_entry(
    tmp_path: Path, tmp_home: Home, twin: Twin
) -> None:
    from twin.voice.recordings import transcribe_upload

    clip = encode(espeak_wav(SENTENCES[2], tmp_path / "c.wav"), fmt="webm")
    twin("init")
    with Vault.open(tmp_home, Secret(passphrase=PASSPHRASE)) as vault:
        entry = transcribe_upload(vault, clip, "recording.webm", False, embedder=default_embedder())
        assert entry.added
        assert wer(SENTENCES[2], entry.transcript.text) < 0.2
        with pytest.raises(BadInput):
            transcribe_upload(vault, b"not audio", "x.ogg", False, embedder=default_embedder())


def test_telegram_folder_voice_message_is_transcribed(
    tmp_path: Path, twin: Twin, tmp_home: Home
) -> None:
    folder = tmp_path / "ChatExport_2024-03-12"
    (folder / "voice_messages").mkdir(parents=True)
    voice = encode(espeak_wav(SENTENCES[1], tmp_path / "t.wav"))
    (folder / "voice_messages" / "audio_1@12-03-2024_09-16-00.ogg").write_bytes(voice)
    export = {
        "name": "Maya",
        "type": "personal_chat",
        "id": 42,
        "messages": [
            {"id": 1, "type": "message", "date": "2024-03-12T09:15:00", "from": "Maya",
             "from_id": "user2", "text": "How was it?"},
            {"id": 2, "type": "message", "date": "2024-03-12T09:16:00", "from": "Sam",
             "from_id": "user1", "file": "voice_messages/audio_1@12-03-2024_09-16-00.ogg",
             "media_type": "voice_message", "mime_type": "audio/ogg", "duration_seconds": 3,
             "text": ""},
        ],
    }  # fmt: skip
    (folder / "result.json").write_text(json.dumps(export), encoding="utf-8")
    twin("init")
    twin("import", str(folder), "--me", "Sam", "--transcribe")
    kind, text, transcribed = _messages(tmp_home)[1]
    assert (kind, transcribed) == ("text", 1)
    assert wer(SENTENCES[1], text) < 0.2, text


def test_speaking_without_a_sound_device_says_so_in_one_line(twin: Twin) -> None:
    from twin.voice.speak import player

    if player() is not None:
        pytest.skip("this machine can play sound")
    for args in (("chat", "--speak"), ("say", "Hello.")):
        result = twin(*args, ok=False)
        assert result.exit_code == 1
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert "no audio player" in result.output
