"""Counting tokens: with a model's own tokenizer when a model folder is given, else an estimate."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from twin.errors import TwinError

MESSAGE_OVERHEAD = 4
"""Tokens a chat template spends on each message's role markers (ChatML: about four)."""
CHARS_PER_TOKEN = 4
"""The usual rule of thumb for English text with a BPE tokenizer."""


class TokenCounter(Protocol):
    method: str
    """How tokens are counted, in words for the card."""

    def count(self, text: str) -> int: ...


class CharacterEstimate:
    """One token per four characters: no tokenizer needed, roughly right for English."""

    method = f"estimated as characters / {CHARS_PER_TOKEN} (no model tokenizer given)"

    def count(self, text: str) -> int:
        return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


class ModelTokenizer:
    """The tokenizer saved in a model folder (``tokenizer.json``), loaded from disk only."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        path = folder / "tokenizer.json"
        if not path.is_file():
            raise TwinError(f"{folder}: no tokenizer.json here; is this a model folder?")
        try:
            self.tokenizer = Tokenizer.from_file(str(path))
        except Exception as error:  # the library raises bare Exceptions on bad files
            raise TwinError(f"{path}: cannot load the tokenizer ({error})") from None
        self.method = f"counted with the tokenizer of {folder.name}"

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)


def token_counter(model: Path | None) -> TokenCounter:
    """The model's tokenizer when a folder is given, else the estimate."""
    if model is None:
        return CharacterEstimate()
    if not model.is_dir():
        raise TwinError(f"--model {model}: not a folder; give the folder of a saved model")
    return ModelTokenizer(model)
