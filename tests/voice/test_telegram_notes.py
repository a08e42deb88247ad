"""Finding a Telegram export's voice messages by chat and message id, without parsing it again."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE
from tests.voice.conftest import SENTENCES, encode, espeak_wav, wer
from twin.home import Home
from twin.importers.files import SourceFile
from twin.vault.key import Secret
from twin.vault.vault import Vault
from twin.voice.telegram_notes import MissingIds, VoiceFile, voice_files


def _message(i: int, file: str | None = None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": i, "type": "message", "date": f"2024-03-12T09:{i:02d}:00", "from": "Maya",
        "from_id": "user2", "text": [{"type": "bold", "text": "hi"}, " there"] if not file else "",
        **extra,
    }  # fmt: skip
    if file:
        found.update(file=file, media_type="voice_message", mime_type="audio/ogg")
    return found


def _account(chats: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "about": "Here is the data you requested.",
        "personal_information": {"user_id": 1, "first_name": "Sam"},
        "chats": {"about": "", "list": chats},
    }


def _folder(tmp_path: Path, export: dict[str, Any], files: dict[str, bytes]) -> Path:
    folder = tmp_path / "DataExport_2024-03-12"
    folder.mkdir()
    (folder / "result.json").write_text(json.dumps(export), encoding="utf-8")
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def test_voice_messages_are_named_by_chat_and_message_id(tmp_path: Path) -> None:
    voice = "voice_messages/audio_2@12-03-2024.ogg"
    export = _account([
        {"name": "Maya", "type": "personal_chat", "id": 42,
         "messages": [_message(1), _message(2, voice), _message(3, "photos/p.jpg")]},
        {"name": "Rui", "type": "personal_chat", "id": 7,
         "messages": [_message(2, "round_video_messages/r.mp4"), _message(5, voice),
                      _message(6, "voice_messages/missing.ogg"),
                      _message(8, "../voice_messages/outside.ogg")]},
    ])  # fmt: skip
    folder = _folder(
        tmp_path,
        export,
        {voice: b"ogg", "photos/p.jpg": b"jpg", "round_video_messages/r.mp4": b"mp4"},
    )
    (tmp_path / "voice_messages").mkdir()
    (tmp_path / "voice_messages" / "outside.ogg").write_bytes(b"not in the export")
    source = SourceFile(folder)
    assert list(voice_files(source)) == [
        VoiceFile("42", "2", voice),
        VoiceFile("7", "2", "round_video_messages/r.mp4"),
        VoiceFile("7", "5", voice),
    ]


def test_an_export_without_voice_files_is_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "ChatExport"
    folder.mkdir()
    (folder / "result.json").write_text("{ this is not even JSON")
    (folder / "photos").mkdir()
    (folder / "photos" / "p.jpg").write_bytes(b"jpg")
    assert list(voice_files(SourceFile(folder))) == []


def test_a_voice_message_without_an_id_asks_for_the_whole_parse(tmp_path: Path) -> None:
    voice = "voice_messages/a.ogg"
    message = _message(1, voice)
    del message["id"]
    export = {"name": "Maya", "type": "personal_chat", "id": 42, "messages": [message]}
    folder = _folder(tmp_path, export, {voice: b"ogg"})
    with pytest.raises(MissingIds):
        list(voice_files(SourceFile(folder)))


def test_a_zipped_account_export_has_its_voice_note_transcribed(
    tmp_path: Path, twin: Any, tmp_home: Home
) -> None:
    voice = "voice_messages/audio_1@12-03-2024_09-16-00.ogg"
    clip = encode(espeak_wav(SENTENCES[0], tmp_path / "v.wav"))
    export = _account([
        {"name": "Maya", "type": "personal_chat", "id": 42, "messages": [_message(1)]},
        {"name": "Rui", "type": "personal_chat", "id": 7,
         "messages": [_message(1), _message(2, voice)]},
    ])  # fmt: skip
    archive = tmp_path / "telegram.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("DataExport/result.json", json.dumps(export))
        out.writestr(f"DataExport/{voice}", clip)
    twin("init")
    twin("import", str(archive))
    result = twin("voice", "transcribe", "--conversation", "Rui")
    assert "1 voice note transcribed" in result.output
    again = twin("voice", "transcribe", "--conversation", "Rui")
    assert "0 voice notes transcribed, 1 already" in again.output
    with Vault.open(tmp_home, Secret(passphrase=PASSPHRASE)) as vault:
        rows = list(
            vault.db.execute(
                "SELECT c.title, m.source_message_id, m.text FROM messages m "
                "JOIN conversations c ON c.id = m.conversation_id WHERE m.transcribed = 1"
            )
        )
    assert [(r[0], r[1]) for r in rows] == [("Rui", "2")]
    assert wer(SENTENCES[0], rows[0][2]) < 0.2, rows[0][2]
