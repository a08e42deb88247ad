"""From dataset files to training rows: chat template, loss on the user's own turns, packing.

A dataset example is ``{"messages": [{"role": ..., "content": ...}, ...]}`` in which every
``assistant`` message is the user's own words. Each example is rendered with the tokenizer's
chat template; only the tokens of assistant turns (their text and the end-of-turn marker) carry
loss, everything else is labelled -100. Examples are then packed whole into rows of at most
`seq_len` tokens, with positions restarting at each example, so Transformers keeps them from
attending to one another and no compute is spent on padding.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin.errors import TwinError
from twin.home import Home
from twin.records import ChatTurn
from twin.vault.sealed import SUFFIX, Sealer

if TYPE_CHECKING:
    from twin.train.runs import Run

IGNORE = -100
"""The label that tells the loss to skip a token."""

@dataclass(frozen=True)
class TokenizedExample:
    """One tokenized conversation: token ids, and labels that are -100 off the user's turns."""

    input_ids: list[int]
    labels: list[int]
    key: str
    """A hash of the example's text, to tell which examples a later run has not yet seen."""

    @property
    def trained_tokens(self) -> int:
        return sum(label != IGNORE for label in self.labels)


@dataclass(frozen=True)
class Row:
    """Examples packed side by side into one training row."""

    input_ids: list[int]
    labels: list[int]
    position_ids: list[int]


def _train_file(folder: Path) -> Path | None:
    """The training file of a dataset folder: sealed (built by twin) or plain (made by hand)."""
    for name in ("train.jsonl" + SUFFIX, "train.jsonl"):
        if (folder / name).is_file():
            return folder / name
    return None


def dataset_dir(home: Home, name: str | None) -> Path:
    """The dataset folder `name`, or the newest one when `name` is None."""
    if name is not None:
        folder = home.datasets / name
        if _train_file(folder) is None:
            raise TwinError(f"no dataset named {name!r} (looked for {folder / 'train.jsonl'})")
        return folder
    found = (
        [p for p in home.datasets.iterdir() if p.is_dir() and _train_file(p) is not None]
        if home.datasets.is_dir()
        else []
    )
    if not found:
        raise TwinError("no dataset yet: build one first with `twin dataset build`")
    return max(found, key=lambda folder: (_train_file(folder) or folder).stat().st_mtime)


def dataset_bytes(path: Path, sealer: Sealer | None) -> bytes | None:
    """A dataset file's contents: opened in memory when sealed, read when plain; None if absent."""
    sealed = path.with_name(path.name + SUFFIX)
    if sealed.is_file():
        if sealer is None:
            raise TwinError(f"{sealed}: sealed; unlock the vault to read it")
        return sealer.open_bytes(sealed, f"datasets/{path.parent.name}/{path.name}")
    return path.read_bytes() if path.is_file() else None


def dataset_hash(folder: Path, sealer: Sealer | None = None) -> str:
    """SHA-256 over the contents of the dataset's train and validation files."""
    digest = hashlib.sha256()
    for name in ("train.jsonl", "val.jsonl"):
        digest.update(name.encode() + b"\0")
        digest.update(dataset_bytes(folder / name, sealer) or b"")
    return digest.hexdigest()


def conversation_ids(
    folder: Path, parent: Run | None = None, sealer: Sealer | None = None
) -> list[int]:
    """The vault conversations a dataset (and the run it continues) came from.

    Read from the builder's ``stats.json``; a dataset made by hand has none to report.
    """
    try:
        stats = json.loads(dataset_bytes(folder / "stats.json", sealer) or b"{}")
        ids = {int(i) for i in stats.get("conversation_ids", [])}
    except (OSError, ValueError, TypeError):
        ids = set()
    return sorted(ids | set(parent.conversation_ids if parent else ()))


def read_conversations(path: Path, sealer: Sealer | None = None) -> list[list[ChatTurn]]:
    """The conversations in a JSONL file (sealed or plain); a missing file holds none."""
    contents = dataset_bytes(path, sealer)
    if contents is None:
        return []
    conversations: list[list[ChatTurn]] = []
    with io.StringIO(contents.decode("utf-8"), newline="\n") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                messages = json.loads(line)["messages"]
            except (ValueError, KeyError, TypeError):
                raise TwinError(f"{path}:{number}: not a {{'messages': [...]}} line") from None
            if not messages or messages[-1].get("role") != "assistant":
                raise TwinError(f"{path}:{number}: the last message must be an assistant turn")
            conversations.append(messages)
    return conversations


def example_key(messages: list[ChatTurn]) -> str:
    text = json.dumps(messages, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _render(tokenizer: Any, messages: list[ChatTurn], generation_prompt: bool) -> str:
    text: str = tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=generation_prompt
    )
    return text


def tokenize(tokenizer: Any, messages: list[ChatTurn], seq_len: int) -> TokenizedExample:
    """Render `messages` with the chat template and label only the assistant turns.

    Too long a conversation loses its oldest turns after the system message (the persona line
    stays), as the dataset builder does; if even that is too long, it keeps its last `seq_len`
    tokens, which always include the final assistant turn.
    """
    key = example_key(messages)
    first = 1 if messages[0].get("role") == "system" else 0
    ids, labels = _label(tokenizer, messages)
    while len(ids) > seq_len and len(messages) - first > 2:
        messages = messages[:first] + messages[first + 1 :]
        ids, labels = _label(tokenizer, messages)
    return TokenizedExample(ids[-seq_len:], labels[-seq_len:], key)


def _label(tokenizer: Any, messages: list[ChatTurn]) -> tuple[list[int], list[int]]:
    """Token ids, and labels that are -100 outside the assistant turns.

    Each assistant turn's span is found by rendering the conversation up to the turn (with the
    generation prompt, which ends with the turn header) and up to its end; tokens that start
    inside that span are trained on.
    """
    text = _render(tokenizer, messages, False)
    spans: list[tuple[int, int]] = []
    for index, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        start = len(_render(tokenizer, messages[:index], True)) if index else 0
        end = len(_render(tokenizer, messages[: index + 1], False))
        if text[:end] != _render(tokenizer, messages[: index + 1], False):
            raise TwinError("the chat template does not render conversations prefix by prefix")
        spans.append((start, end))
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = encoded["input_ids"]
    labels = [IGNORE] * len(ids)
    span_index = 0
    for position, (begin, _) in enumerate(encoded["offset_mapping"]):
        while span_index < len(spans) and begin >= spans[span_index][1]:
            span_index += 1
        if span_index < len(spans) and spans[span_index][0] <= begin:
            labels[position] = ids[position]
    return ids, labels


def tokenize_all(
    tokenizer: Any, conversations: Iterable[list[ChatTurn]], seq_len: int
) -> list[TokenizedExample]:
    """Tokenized examples, leaving out any with no trained token left after truncation."""
    examples = (tokenize(tokenizer, messages, seq_len) for messages in conversations)
    return [example for example in examples if example.trained_tokens]


def pack(examples: Sequence[TokenizedExample], seq_len: int) -> list[Row]:
    """Pack whole examples into rows of at most `seq_len` tokens (first fit, longest first)."""
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i].input_ids))
    bins: list[list[int]] = []
    room: list[int] = []
    for index in order:
        size = len(examples[index].input_ids)
        for slot, free in enumerate(room):
            if free >= size:
                bins[slot].append(index)
                room[slot] -= size
                break
        else:
            bins.append([index])
            room.append(seq_len - size)
    rows = []
    for members in bins:
        ids: list[int] = []
        labels: list[int] = []
        positions: list[int] = []
        for index in members:
            example = examples[index]
            ids += example.input_ids
            # The first token of each example has no previous token to predict it from.
            labels += [IGNORE, *example.labels[1:]]
            positions += range(len(example.input_ids))
        rows.append(Row(ids, labels, positions))
    return rows


def batches(rows: Sequence[Row], batch_size: int, seed: int) -> list[list[int]]:
    """Row indices grouped into batches of similar length, the batches in a seeded order."""
    order = sorted(range(len(rows)), key=lambda i: len(rows[i].input_ids))
    groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    random.Random(seed).shuffle(groups)
    return groups


def collate(rows: Sequence[Row], pad_id: int) -> dict[str, Any]:
    """Tensors for one batch; rows shorter than the longest are padded at the end.

    Padding positions continue from the row's last position and carry no label, so they form
    their own packed segment that real tokens never attend to.
    """
    import torch

    width = max(len(row.input_ids) for row in rows)
    ids, labels, positions = [], [], []
    for row in rows:
        extra = width - len(row.input_ids)
        ids.append(row.input_ids + [pad_id] * extra)
        labels.append(row.labels + [IGNORE] * extra)
        positions.append(row.position_ids + [0] * extra if extra else row.position_ids)
    return {
        "input_ids": torch.tensor(ids),
        "labels": torch.tensor(labels),
        "position_ids": torch.tensor(positions),
    }
