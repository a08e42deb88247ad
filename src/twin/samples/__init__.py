"""The built-in sample data: the invented messages, notes and journal of Sam Rivera.

A newcomer's first run imports these files, builds a dataset, trains a small model and talks to
it, so every path a first run needs is a function here. See README.md in this folder for who Sam
is and what each file holds.
"""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).parent
"""The folder holding the sample files, inside the installed package."""


def whatsapp_exports() -> list[Path]:
    """The two WhatsApp chat exports (Sam's sister, and the running club group), sorted by name."""
    return sorted((SAMPLES / "whatsapp").glob("WhatsApp Chat with *.txt"))


def telegram_export() -> Path:
    """The Telegram Desktop export of Sam's chat with Rui, a friend from the orchestra."""
    return SAMPLES / "telegram" / "result.json"


def notes_folder() -> Path:
    """Sam's folder of Obsidian-style Markdown notes."""
    return SAMPLES / "notes"


def journal_file() -> Path:
    """Sam's journal: one JSON object per line with ``date``, ``text`` and ``private``."""
    return SAMPLES / "journal.jsonl"
