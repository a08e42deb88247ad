"""What an evaluation reads from a dataset: held-out replies, and the lines the judge learns.

The held-out replies are the targets of the dataset's validation split (`val.jsonl`): the
latest sessions, never seen in training. Each comes with its context (the persona line and
the turns before it), as the twin would have seen them in chat.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from twin.dataset.store import dataset_names, has_file, read_text, sealed_path
from twin.errors import TwinError
from twin.home import Home
from twin.persona.prompt import MEMORY_HEADER, NO_MEMORY
from twin.records import ChatTurn
from twin.vault.vault import Vault

SPEAKER = re.compile(r"^[^\n:]{1,40}: ")
"""``Inês: `` (or ``<PERSON_2>: ``) at the start of a group-chat line: who said it, not how."""
OPENER = re.compile(r"^\(new conversation (with|in) .*\)$")
SETTING = re.compile(r"chatting (.+?)\.?$", re.MULTILINE)
SETTING_LINE = re.compile(r"^You are .*\bchatting\b.*$", re.MULTILINE)


@dataclass(frozen=True)
class HeldOut:
    """One held-out reply of the person and the conversation before it."""

    context: list[ChatTurn]
    """The persona line and the turns before the reply, oldest first."""
    reply: str
    """What the person really wrote."""
    topic: str
    """The conversation it comes from, in the dataset's words (``with <PERSON_1> on WhatsApp``)."""

    @property
    def chat(self) -> list[ChatTurn]:
        """The context as a chat client sends it: a system turn holding a training example's
        memory slot keeps only where the conversation took place (the twin recalls for
        itself; two memory slots and rules would confuse it)."""
        turns = []
        for turn in self.context:
            content = turn.get("content", "")
            if turn.get("role") == "system" and (MEMORY_HEADER in content or NO_MEMORY in content):
                found = SETTING_LINE.search(content)
                if found is None:
                    continue
                turn = {"role": "system", "content": found.group(0)}
            turns.append(turn)
        return turns

    @property
    def messages(self) -> list[ChatTurn]:
        """The whole example, the real reply last, as the dataset holds it."""
        return [*self.context, {"role": "assistant", "content": self.reply}]


def topic_of(messages: list[ChatTurn]) -> str:
    """Where a conversation takes place, from the dataset's persona line."""
    if messages and messages[0].get("role") == "system":
        found = SETTING.search(messages[0].get("content", ""))
        if found:
            return found.group(1)
    return "conversation"


def split_text(vault: Vault, dataset: str, file: str) -> str | None:
    """One split of a dataset: sealed as `twin dataset build` makes it (decrypted in memory),
    or a plain file in a dataset folder made by hand, as `twin train` also reads them."""
    if has_file(vault.home, dataset, file):
        return read_text(vault, dataset, file)
    plain = vault.home.datasets / dataset / file
    return plain.read_text(encoding="utf-8") if plain.is_file() else None


def conversations(vault: Vault, dataset: str, file: str) -> list[list[ChatTurn]]:
    """The examples in one split of a dataset."""
    text = split_text(vault, dataset, file)
    if text is None:
        return []
    found: list[list[ChatTurn]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            messages = json.loads(line)["messages"]
            last = messages[-1]
        except (ValueError, KeyError, TypeError, IndexError):
            raise TwinError(f"dataset {dataset}, {file}:{number}: not a messages line") from None
        if isinstance(last, dict) and last.get("role") == "assistant":
            found.append([{str(k): str(v) for k, v in turn.items()} for turn in messages])
    return found


def _built_at(home: Home, name: str) -> float:
    folder = home.datasets / name
    for path in (sealed_path(folder, "val.jsonl"), folder / "val.jsonl"):
        if path.is_file():
            return path.stat().st_mtime
    return 0.0


def newest_dataset(home: Home) -> str:
    """The most recently built dataset (or, failing that, one made by hand)."""
    names = set(dataset_names(home))
    if home.datasets.is_dir():
        names |= {p.parent.name for p in home.datasets.glob("*/val.jsonl")}
    if not names:
        raise TwinError("no dataset yet: build one first with `twin dataset build`")
    return max(sorted(names), key=lambda name: _built_at(home, name))


def held_out(vault: Vault, dataset: str) -> list[HeldOut]:
    """The validation examples of `dataset`, as held-out replies."""
    found = [
        HeldOut(messages[:-1], messages[-1]["content"], topic_of(messages))
        for messages in conversations(vault, dataset, "val.jsonl")
        if messages[-1].get("content", "").strip()
    ]
    if not found:
        raise TwinError(
            f"dataset {dataset} has no held-out replies to evaluate on "
            "(build it again with a larger --val-fraction)"
        )
    return found


def clean_line(text: str) -> str:
    """A line as its writer wrote it: without the group-chat speaker prefix."""
    return SPEAKER.sub("", text.strip(), count=1)


def training_lines(vault: Vault, dataset: str) -> tuple[list[str], list[str]]:
    """The person's own lines and everyone else's in the training split, each once.

    Mine are the replies the examples train on (every ``assistant`` turn); theirs are the
    ``user`` turns, without the speaker prefix and without the ``(new conversation …)`` opener.
    """
    mine: dict[str, None] = {}
    theirs: dict[str, None] = {}
    for messages in conversations(vault, dataset, "train.jsonl"):
        for message in messages:
            text = message.get("content", "").strip()
            if not text:
                continue
            if message.get("role") == "assistant":
                mine.setdefault(text)
            elif message.get("role") == "user" and not OPENER.match(text):
                line = clean_line(text)
                if line:
                    theirs.setdefault(line)
    return list(mine), list(theirs)


def other_held_out_lines(examples: list[HeldOut]) -> list[str]:
    """Other people's lines in the held-out contexts (for checking the judge), each once."""
    seen: dict[str, None] = {}
    for example in examples:
        for message in example.context:
            text = message.get("content", "").strip()
            if message.get("role") == "user" and text and not OPENER.match(text):
                seen.setdefault(clean_line(text))
    return [line for line in seen if line]
