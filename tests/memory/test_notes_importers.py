"""Notes importers: Markdown/Obsidian, plain text and TiddlyWiki, read into `Note` records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from twin.errors import BadInput
from twin.importers.notes import read_notes
from twin.records import Note


def notes_by_title(path: Path) -> dict[str, tuple[str, Note]]:
    return {note.title: (importer.name, note) for importer, note in read_notes(path)}


def test_every_format_in_a_folder_is_read_and_app_settings_are_skipped(
    notes_folder: Path,
) -> None:
    found = notes_by_title(notes_folder)
    assert {title: name for title, (name, _) in found.items()} == {
        "Norway trip": "markdown",
        "2024-03-02 cello": "plaintext",
        "Sourdough": "tiddlywiki",
        "Therapy notes": "markdown",
        "Tomatoes": "tiddlywiki",
        "Compost": "tiddlywiki",
    }


def test_obsidian_front_matter_wiki_links_and_tags(notes_folder: Path) -> None:
    _, note = notes_by_title(notes_folder)["Norway trip"]
    assert note.created_at == datetime(2023, 7, 14)
    assert note.tags == ["travel", "hiking"]
    assert note.links == ["Maria"]
    assert "with my sister Maria." in note.text
    assert "[[" not in note.text
    assert note.location == "trips/norway.md"
    assert not note.private


def test_front_matter_marks_a_note_private(notes_folder: Path) -> None:
    _, note = notes_by_title(notes_folder)["Therapy notes"]
    assert note.private


def test_plain_text_takes_its_day_from_the_file_name(notes_folder: Path) -> None:
    _, note = notes_by_title(notes_folder)["2024-03-02 cello"]
    assert note.created_at == datetime(2024, 3, 2)
    assert note.text.startswith("Started learning the cello")


def test_tid_file_fields_headings_and_links(notes_folder: Path) -> None:
    _, note = notes_by_title(notes_folder)["Sourdough"]
    assert note.created_at == datetime(2024, 1, 5, 9, 30, tzinfo=UTC)
    assert note.tags == ["cooking", "weekend projects"]
    assert note.text.splitlines()[0] == "# Starter"
    assert "## First loaf" in note.text
    assert "Maria said it tasted" in note.text
    assert note.links == ["Maria"]


def test_html_wiki_reads_both_stores_and_skips_system_and_image_tiddlers(
    notes_folder: Path,
) -> None:
    found = notes_by_title(notes_folder)
    assert "$:/SiteTitle" not in found and "Logo" not in found
    assert found["Tomatoes"][1].text.startswith("# Tomatoes\nI grow San Marzano")
    assert found["Compost"][1].text == (
        "The compost bin behind the shed takes coffee grounds & eggshells, never meat."
    )
    assert found["Compost"][1].location == "Compost"


def test_broken_tiddler_store_is_reported_with_the_file(tmp_path: Path) -> None:
    wiki = tmp_path / "wiki.html"
    wiki.write_text(
        '<html><meta content="TiddlyWiki"><script class="tiddlywiki-tiddler-store">[{"title"'
        "</script></html>",
        encoding="utf-8",
    )
    with pytest.raises(BadInput, match=r"wiki\.html: broken tiddler store"):
        list(read_notes(wiki))


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    note = tmp_path / "latin1.md"
    note.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(BadInput, match=r"latin1\.md: not valid UTF-8"):
        list(read_notes(note))
