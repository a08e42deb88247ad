"""Your own redaction word lists, kept in ``$TWIN_HOME/redaction.json``.

``never``: words and phrases the redactor must leave alone (a friend called May, the word Will).
``always``: words and phrases always replaced by a ``<PRIVATE_n>`` placeholder (a surname, a street,
an employer). ``phone_region``: the country (ISO code such as GB or BR) whose local phone numbers
are recognised without a ``+`` prefix. The file is plain JSON and may be edited by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from twin.atomic import write_text
from twin.errors import TwinError
from twin.home import Home

DEFAULT_REGION = "US"
"""The phone region when neither you, your own number nor your locale names one."""


def lists_path(home: Home) -> Path:
    return home.path / "redaction.json"


@dataclass
class WordLists:
    """The user's never-redact and always-redact lists."""

    never: list[str] = field(default_factory=list)
    always: list[str] = field(default_factory=list)
    phone_region: str | None = None
    """Set by hand in redaction.json; else it comes from your own number or locale."""

    @classmethod
    def load(cls, home: Home) -> WordLists:
        path = lists_path(home)
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                never=[str(word) for word in data.get("never", [])],
                always=[str(word) for word in data.get("always", [])],
                phone_region=(
                    str(data["phone_region"]).upper() if data.get("phone_region") else None
                ),
            )
        except (OSError, ValueError, AttributeError) as error:
            raise TwinError(f"{path}: cannot read the redaction lists ({error})") from None

    def save(self, home: Home) -> Path:
        """Write the lists atomically, readable by the owner only."""
        home.ensure()
        path = lists_path(home)
        data = {
            "never": sorted(set(self.never), key=str.casefold),
            "always": sorted(set(self.always), key=str.casefold),
            "phone_region": self.phone_region,
        }
        write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return path

    def allow(self, word: str) -> None:
        """Never redact `word` (and stop always redacting it)."""
        word = _clean(word)
        self.always = [w for w in self.always if w.casefold() != word.casefold()]
        if word.casefold() not in {w.casefold() for w in self.never}:
            self.never.append(word)

    def deny(self, word: str) -> None:
        """Always redact `word` (and stop never redacting it)."""
        word = _clean(word)
        self.never = [w for w in self.never if w.casefold() != word.casefold()]
        if word.casefold() not in {w.casefold() for w in self.always}:
            self.always.append(word)

    def drop(self, word: str) -> bool:
        """Take `word` off both lists; whether it was on one."""
        word = _clean(word)
        before = len(self.never) + len(self.always)
        self.never = [w for w in self.never if w.casefold() != word.casefold()]
        self.always = [w for w in self.always if w.casefold() != word.casefold()]
        return len(self.never) + len(self.always) < before

    def describe(self) -> dict[str, object]:
        return {
            "never": sorted(set(self.never), key=str.casefold),
            "always": sorted(set(self.always), key=str.casefold),
            "phone_region": self.phone_region,
        }


def _clean(word: str) -> str:
    word = " ".join(word.split())
    if not word:
        raise TwinError("give a word or phrase")
    return word


def locale_region() -> str | None:
    """The country of the user's locale (``en_GB.UTF-8`` gives GB), if it names one."""
    import os
    import re

    for variable in ("LC_ALL", "LC_TELEPHONE", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        match = re.match(r"[a-z]{2,3}_([A-Z]{2})\b", value)
        if match:
            return match.group(1)
    return None
