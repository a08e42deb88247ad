"""Dialogue scripts: both layouts, --as, scenes as sessions, kept out of datasets by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from twin.dataset.build import build_dataset
from twin.dataset.options import BuildOptions
from twin.dataset.store import read_text
from twin.errors import BadInput
from twin.home import Home
from twin.importers import detect_importer
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.importers.script import ScriptImporter
from twin.records import Message
from twin.vault import Secret, Vault
from twin.vault.collect import import_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "script"
PLAY = FIXTURES / "hamlet_act3.txt"
SCREENPLAY = FIXTURES / "kitchen.fountain"
CHATS = Path(__file__).parent.parent / "dataset" / "fixtures"


def parse(path: Path, speaker: str | None) -> list[Message]:
    return list(ScriptImporter().parse(SourceFile(path), ParseOptions(speaker=speaker)))


def test_play_speeches_continuations_and_directions() -> None:
    lines = parse(PLAY, "hamlet")
    assert [m.sender for m in lines] == ["HAMLET", "OPHELIA", "HAMLET", "POLONIUS", "HAMLET"]
    assert lines[0].text.count("\n") == 2  # a speech over three lines stays one turn
    assert all("Exit" not in m.text and "Enter" not in m.text for m in lines)
    assert [m.from_me for m in lines] == [True, False, True, False, True]
    assert lines[0].source == "script" and lines[0].is_group is True


def test_scenes_are_days_apart_and_speeches_keep_order() -> None:
    lines = parse(PLAY, "Hamlet")
    assert lines[2].sent_at < lines[3].sent_at
    assert (lines[3].sent_at - lines[2].sent_at).total_seconds() > 3 * 3600  # a new session
    assert lines[1].sent_at - lines[0].sent_at == lines[2].sent_at - lines[1].sent_at


def test_screenplay_cues_extensions_and_parentheticals() -> None:
    lines = parse(SCREENPLAY, "SAM")
    assert [m.sender for m in lines] == ["Maya", "Sam", "Maya", "Sam"]
    assert lines[1].text == "Twice. He's lying to you."  # "(distracted)" dropped
    assert lines[3].text == "Found the ball!\nUnder the hedge, as usual."
    assert "stirs" not in " ".join(m.text for m in lines)  # action is not dialogue


def test_as_is_required_and_checked() -> None:
    with pytest.raises(BadInput, match="--as NAME"):
        parse(PLAY, None)
    with pytest.raises(BadInput, match="never speaks"):
        parse(PLAY, "Laertes")


def test_detected_from_the_file_alone_but_chats_are_not_scripts() -> None:
    assert detect_importer(SourceFile(PLAY)).name == "script"
    assert detect_importer(SourceFile(SCREENPLAY)).name == "script"
    for chat in CHATS.glob("WhatsApp Chat with *.txt"):
        assert not ScriptImporter().detect(SourceFile(chat))


def test_datasets_leave_scripts_out_unless_asked(tmp_home: Home) -> None:
    with Vault.create(tmp_home, Secret(passphrase=PASSPHRASE)) as vault:
        for chat in sorted(CHATS.glob("WhatsApp Chat with *.txt")):
            import_file(vault, chat, me="Sam")
        import_file(vault, PLAY, source="script", options=ParseOptions(speaker="Hamlet"))
        plain = build_dataset(vault, BuildOptions(name="plain", val_fraction=0.0, redact=False))
        assert "outrageous fortune" not in read_text(vault, "plain", "train.jsonl")
        assert "dialogue-script" not in read_text(vault, "plain", "card.md")
        mixed = build_dataset(
            vault, BuildOptions(name="mixed", val_fraction=0.0, redact=False, with_scripts=True)
        )
        assert "outrageous fortune" in read_text(vault, "mixed", "train.jsonl")
        assert "Includes dialogue-script material" in read_text(vault, "mixed", "card.md")
        assert mixed.stats["examples"]["train"] > plain.stats["examples"]["train"]


def test_scripts_are_never_held_out(tmp_home: Home) -> None:
    with Vault.create(tmp_home, Secret(passphrase=PASSPHRASE)) as vault:
        # Only script material: a time-ordered split would hold its last scene out.
        import_file(vault, PLAY, source="script", options=ParseOptions(speaker="Hamlet"))
        built = build_dataset(
            vault, BuildOptions(name="s", val_fraction=0.5, redact=False, with_scripts=True)
        )
        assert built.stats["examples"]["val"] == 0
        assert built.stats["examples"]["train"] > 0
