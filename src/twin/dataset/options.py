"""The choices of one dataset build, each with the default twin uses and why."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from twin.errors import TwinError

MESSAGE_FILTERS = ("system", "media", "deleted", "call", "link-only", "empty")
"""Filters that drop messages before turns are made."""
TARGET_FILTERS = ("refers-to-missing", "duplicate", "near-duplicate", "too-long")
"""Filters that drop one of your turns as a target (it may still be context for later turns)."""
OPTIONAL_FILTERS = ("low-information",)
"""Filters that are off unless asked for."""
FILTERS = MESSAGE_FILTERS + TARGET_FILTERS + OPTIONAL_FILTERS

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def parse_duration(text: str) -> int:
    """Seconds in a duration like ``3h``, ``90m``, ``1d``, ``1h30m``; a clear error otherwise."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise TwinError(f"{text!r} is not a duration like 3h, 90m, 1d or 1h30m")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def format_duration(seconds: int) -> str:
    """The shortest spelling `parse_duration` reads back: 10800 → ``3h``."""
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            count, seconds = divmod(seconds, size)
            if count:
                parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def check_name(name: str) -> str:
    """A dataset name safe to use as a folder name."""
    if not NAME.fullmatch(name) or name in (".", ".."):
        raise TwinError(
            f"{name!r} is not a dataset name: use letters, digits, '.', '_' and '-' (max 64)"
        )
    return name


@dataclass
class BuildOptions:
    """What one `twin dataset build` was asked for. Same options and vault → same bytes."""

    name: str = "default"
    """Folder name under ``$TWIN_HOME/datasets``."""
    format: str = "openai"
    """Line format of train.jsonl and val.jsonl: openai, sharegpt, alpaca, text, chatml, or one
    a plugin adds."""
    gap: int = field(default=3 * 3600, metadata={"parse": parse_duration, "shown": "3h"})
    """Silence that ends a session, e.g. 3h, 90m, 1d (see the dataset README for why 3h)."""
    merge_window: int = field(default=10 * 60, metadata={"parse": parse_duration, "shown": "10m"})
    """Messages of one sender this close together become one turn."""
    context: int = 8
    """At most this many turns before the target are given as context."""
    max_tokens: int = 1024
    """Whole example budget (persona, context and target); older context is dropped to fit."""
    redact: bool = True
    """Replace emails, phones, URLs, cards, IBANs and other people's names by placeholders."""
    sources: tuple[str, ...] = field(default=(), metadata={"option": "--source"})
    """Only this source (repeatable; none given: all your rules allow)."""
    conversations: tuple[str, ...] = field(default=(), metadata={"option": "--conversation"})
    """Only this conversation, by title, source id or vault id (repeatable; none given: all)."""
    since: date | None = None
    """Only messages sent on or after this day."""
    until: date | None = None
    """Only messages sent on or before this day."""
    model: Path | None = field(
        default=None, metadata={"path": {"exists": True, "file_okay": False}}
    )
    """A model folder: its tokenizer counts tokens, its chat template lays out chatml."""
    val_fraction: float = 0.1
    """Share of the latest sessions held out for validation."""
    max_repeats: int = 3
    """A target whose normalised text was already kept this often is a near duplicate."""
    disabled: tuple[str, ...] = field(
        default=(), metadata={"option": "--no-filter", "choices": FILTERS}
    )
    """Switch a filter off (repeatable)."""
    low_information: bool = False
    """Also drop targets that carry little (ok, haha, emoji only)."""
    memory: bool = False
    """Give examples the system message chat uses (persona, a recalled passage, rule) where it
    fits --memory-tokens (off: measured, it did not help; see the README)."""
    memory_tokens: int = 192
    """An example gets the memory slot only if the slot, your reply and the turn before it fit
    in this many tokens (the CPU training preset's row; 1024 on CUDA)."""
    notes: bool = True
    """Also write notes.jsonl: non-private journal entries and notes, for continued pre-training."""
    transcribed: bool = True
    """Use voice notes transcribed to text (`twin import --transcribe`) like typed messages."""
    qa: bool = True
    """Mix in questions about your notes answered from them, with chat's memory slot (generated;
    at most 15% of the training examples, never held out for validation)."""
    with_scripts: bool = False
    """Also use imported dialogue scripts (--source script): chosen material, not your words."""
    phone_region: str | None = None
    """Country (ISO code, e.g. GB) of phone numbers written without a prefix [default: yours]."""

    def __post_init__(self) -> None:
        check_name(self.name)
        if self.model is not None:
            self.model = self.model.resolve()
        if self.phone_region:
            self.phone_region = self.phone_region.upper()
        from twin.dataset.formats import formats  # formats reads sessions, which reads options

        if self.format not in formats():
            raise TwinError(f"unknown format {self.format!r}; formats: {', '.join(formats())}")
        unknown = sorted(set(self.disabled) - set(FILTERS))
        if unknown:
            raise TwinError(f"unknown filter {unknown[0]!r}; filters: {', '.join(FILTERS)}")
        if self.gap <= 0 or self.merge_window < 0:
            raise TwinError("--gap must be positive and --merge-window not negative")
        if self.context < 0 or self.max_tokens < 16:
            raise TwinError("--context must be 0 or more and --max-tokens at least 16")
        if not 0 <= self.val_fraction < 1:
            raise TwinError("--val-fraction must be at least 0 and below 1")
        if self.max_repeats < 1:
            raise TwinError("--max-repeats must be at least 1")
        self.sources = tuple(sorted({s.casefold() for s in self.sources}))
        self.conversations = tuple(sorted(set(self.conversations)))
        self.disabled = tuple(sorted(set(self.disabled)))

    def uses(self, filter_name: str) -> bool:
        """Whether a filter is on for this build."""
        if filter_name in OPTIONAL_FILTERS:
            return self.low_information and filter_name not in self.disabled
        return filter_name not in self.disabled

    def describe(self) -> dict[str, object]:
        """The options as plain, sorted data (kept in stats.json and the card)."""
        data = asdict(self)
        data["gap"] = format_duration(self.gap)
        data["merge_window"] = format_duration(self.merge_window)
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat() if self.until else None
        data["model"] = str(self.model) if self.model else None
        data["sources"] = list(self.sources)
        data["conversations"] = list(self.conversations)
        data["disabled"] = list(self.disabled)
        data["filters_on"] = [name for name in FILTERS if self.uses(name)]
        return data

    @classmethod
    def from_description(cls, data: dict[str, object]) -> BuildOptions:
        """The options `describe` wrote (a dataset's stats.json), to build it again alike;
        options this twin doesn't know (from a newer one) are left at their defaults."""
        known = {spec.name for spec in fields(cls)}
        given: dict[str, Any] = {key: value for key, value in data.items() if key in known}
        for key in ("gap", "merge_window"):
            if isinstance(given.get(key), str):
                given[key] = parse_duration(given[key])
        for key in ("since", "until"):
            if isinstance(given.get(key), str):
                given[key] = date.fromisoformat(given[key])
        if isinstance(given.get("model"), str):
            given["model"] = Path(given["model"])
        for key in ("sources", "conversations", "disabled"):
            if isinstance(given.get(key), list):
                given[key] = tuple(given[key])
        return cls(**given)
