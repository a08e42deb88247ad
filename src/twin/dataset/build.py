"""Building a dataset: selection → sessions → examples → filters → redaction → split → files.

Everything streams: messages are read one conversation at a time, examples go to a staging
file as they are made, and only the small per-session spans stay in memory until the split.
The same vault, word lists and options always give byte-identical files.
"""

from __future__ import annotations

import hashlib
import shutil
from array import array
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from twin.dataset.corrections import ACCEPTED, CORRECTED, Correction, correction_examples
from twin.dataset.examples import ExampleMaker, memory_room
from twin.dataset.formats import Example, get_format
from twin.dataset.note_people import with_people_in_notes
from twin.dataset.notes_set import write_notes_set
from twin.dataset.options import BuildOptions
from twin.dataset.qa import QA_SHARE, has_shareable_notes, qa_examples
from twin.dataset.redaction import Redactor, name_parts, own_vocabulary, phone_region
from twin.dataset.report import write_report
from twin.dataset.selection import Selection, select
from twin.dataset.sessions import Sessionizer
from twin.dataset.split import SessionSpan, Split, split_sessions
from twin.dataset.store import REVIEW, file_label, sealed_path
from twin.dataset.tokens import TokenCounter, token_counter
from twin.dataset.wordlists import WordLists
from twin.errors import TwinError
from twin.vault.people import my_names
from twin.vault.sealed import SealedTextFile, open_sealed_text
from twin.vault.vault import Vault

REVIEW_HEADER = "placeholder\tkind\toriginal\twhere\n"
STAGED = "staging/examples"
"""Label of the sealed staging file examples wait in until the split."""


@dataclass
class Built:
    """What a build made and where."""

    folder: Path
    stats: dict[str, Any] = field(default_factory=dict)


def dataset_folder(vault: Vault, name: str) -> Path:
    return vault.home.datasets / name


def _people(vault: Vault, me_ids: frozenset[int]) -> dict[int, list[str]]:
    """Every name and alias of everyone but you, for the redactor."""
    people: dict[int, list[str]] = {}
    for person, name in vault.db.execute("SELECT id, name FROM people ORDER BY id"):
        if person not in me_ids:
            people[person] = [name]
    for person, alias in vault.db.execute(
        "SELECT person_id, alias FROM aliases ORDER BY person_id, source, alias"
    ):
        if person in people and alias not in people[person]:
            people[person].append(alias)
    return people


def _tsv(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _write_review(redactor: Redactor | None, review: TextIO) -> None:
    """Append the replacements made since the last call to the review file."""
    if redactor is None:
        return
    for r in redactor.pending:
        review.write(f"{r.placeholder}\t{r.kind}\t{_tsv(r.original)}\t{r.where}\n")
    redactor.pending.clear()


def _explain_empty(selection: Selection, messages_read: int) -> None:
    counts = selection.counts
    if messages_read:
        return
    if counts["vault_messages"] == 0:
        raise TwinError("the vault holds no messages yet: import some with `twin import EXPORT`")
    if counts["excluded_by_rules"] and not counts["left_out_by_choice"]:
        raise TwinError(
            "your standing rules exclude every message, so there is nothing to build from: "
            "see `twin rules list`, and `twin rules remove N` for one you no longer want"
        )
    raise TwinError(
        "no messages match this build's choices (--source, --conversation, --since, --until): "
        "`twin stats` shows what the vault holds"
    )


def build_dataset(vault: Vault, options: BuildOptions) -> Built:
    """Build the dataset `options.name` into ``$TWIN_HOME/datasets/NAME/``, replacing an old one."""
    selection = select(vault, options)
    counter = token_counter(options.model)
    writer = get_format(options.format, options.model)
    lists = WordLists.load(vault.home)
    redactor = _redactor(vault, options, selection, lists) if options.redact else None
    sessionizer = Sessionizer(options, selection.me_ids)
    memory = None
    if options.memory and has_shareable_notes(vault):  # else nothing to remember
        from twin.dataset.memory_slot import MemorySlot

        memory = MemorySlot(
            vault, selection.me, redactor.redact if redactor else lambda text, _where: text
        )
    maker = ExampleMaker(options, selection, counter, redactor, memory)

    vault.home.datasets.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = vault.home.datasets / f".{options.name}.building"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(mode=0o700)
    input_digest = hashlib.sha256()
    spans: list[SessionSpan] = []
    conversation_of: list[int] = []
    read_ids: set[int] = set()
    hashes: dict[str, str] = {}
    try:
        with (
            SealedTextFile(staging / "examples.tmp", vault.key, STAGED) as staged,
            _sealed(vault, staging, options.name, REVIEW) as review,
        ):
            review.write(REVIEW_HEADER)
            for conversation in selection.conversations:
                input_digest.update(repr(conversation).encode())
                before = sessionizer.messages_read
                rows = selection.messages(vault, conversation, input_digest)
                for session in sessionizer.sessions(conversation, rows):
                    number = len(spans)
                    made = 0
                    for example in maker.examples(session):
                        tokens = sum(line.tokens for line in example.lines())
                        staged.write(f"{number}\t{tokens}\t{writer.line(example)}\n")
                        made += 1
                    spans.append(SessionSpan(session.key, session.start, session.end, made))
                    conversation_of.append(conversation.id)
                    _write_review(redactor, review)
                if sessionizer.messages_read > before:
                    read_ids.add(conversation.id)
            note_ids: list[int] = []
            note_characters = 0
            if options.notes:
                with _sealed(vault, staging, options.name, "notes.jsonl") as notes_out:
                    note_ids, note_characters = write_notes_set(vault, notes_out, redactor)
                if note_ids:
                    hashes["notes.jsonl"] = notes_out.sha256
                else:
                    sealed_path(staging, "notes.jsonl").unlink()
                _write_review(redactor, review)
            # Made here, while the review is open, so it lists their replacements too.
            split = _split(spans, conversation_of, selection, options)
            trained = sum(span.examples for span in spans if span.key in split.train)
            generated = _generated(vault, options, selection, counter, redactor, trained)
            corrected, used = _corrections(vault, options, selection, counter, redactor)
            _write_review(redactor, review)
        _explain_empty(selection, sessionizer.messages_read)
        if maker.targets_considered == 0:
            raise TwinError(
                f"none of the selected messages are yours (twin thinks you are "
                f"{selection.me}); check with `twin me`, or `twin me NAME` to add a name"
            )
        if not any(span.examples for span in spans):
            removed = ", ".join(f"{n} {name}" for name, n in sorted(maker.removed.items()))
            raise TwinError(
                f"no examples: the filters removed all {maker.targets_considered} of your turns "
                f"({removed}); switch one off with --no-filter NAME"
            )
        split_tokens: dict[str, array[int]] = {"train": array("l"), "val": array("l")}
        per_conversation: Counter[int] = Counter()
        with (
            open_sealed_text(staging / "examples.tmp", vault.key, STAGED) as staged_lines,
            _sealed(vault, staging, options.name, "train.jsonl") as train,
            _sealed(vault, staging, options.name, "val.jsonl") as val,
        ):
            for record in staged_lines:
                number_text, token_text, line = record.split("\t", 2)
                number = int(number_text)
                key = spans[number].key
                if key in split.val:
                    val.write(line)
                    split_tokens["val"].append(int(token_text))
                elif key in split.train:
                    train.write(line)
                    split_tokens["train"].append(int(token_text))
                else:
                    continue
                per_conversation[conversation_of[number]] += 1
            for example in [*generated, *corrected]:
                train.write(writer.line(example) + "\n")
                split_tokens["train"].append(sum(line.tokens for line in example.lines()))
        hashes["train.jsonl"], hashes["val.jsonl"] = train.sha256, val.sha256
        hashes[REVIEW] = review.sha256
        (staging / "examples.tmp").unlink()
        extra = {
            "files": dict(sorted(hashes.items())),
            "input_sha256": _input_hash(input_digest, selection, options, lists),
            "messages_read": sessionizer.messages_read,
            "conversation_ids": sorted(read_ids),
            "notes": {"entries": len(note_ids), "characters": note_characters, "ids": note_ids},
            "titles": {c.id: maker.title(c) for c in selection.conversations},
            "sources": {c.id: c.source for c in selection.conversations},
            "per_conversation": per_conversation,
            "spans": spans,
            "split": split,
            "tokens": split_tokens,
            "generated": len(generated),
            "corrections": _used(used),
            "memory_examples": maker.memory_examples,
        }
        stats = write_report(
            vault,
            staging,
            options,
            selection,
            sessionizer,
            maker,
            redactor,
            writer,
            counter,
            extra,
        )
        folder = dataset_folder(vault, options.name)
        _swap_in(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Built(folder, stats)


def _split(
    spans: list[SessionSpan],
    conversation_of: list[int],
    selection: Selection,
    options: BuildOptions,
) -> Split:
    """Train and validation sessions; dialogue scripts are never held out (evaluation
    measures the person's own replies)."""
    scripts = {c.id for c in selection.conversations if c.source == "script"}
    scripted = {s.key for s, c in zip(spans, conversation_of, strict=True) if c in scripts}
    split = split_sessions([s for s in spans if s.key not in scripted], options.val_fraction)
    if scripted:
        kept = {s.key for s in spans if s.key in scripted and s.examples}
        split = replace(split, train=split.train | kept)
    return split


def _corrections(
    vault: Vault,
    options: BuildOptions,
    selection: Selection,
    counter: TokenCounter,
    redactor: Redactor | None,
) -> tuple[list[Example], list[Correction]]:
    """Your corrections and accepted drafts (`twin.dataset.corrections`), for training only."""
    from twin.dataset.memory_slot import MemorySlot

    redact = redactor.redact if redactor else lambda text, _where: text
    memory = MemorySlot(vault, selection.me, redact)
    return correction_examples(
        vault,
        lambda query: memory.system(None, query),
        redact,
        counter,
        me=selection.me,
        max_tokens=memory_room(options, counter),
    )


def _used(used: list[Correction]) -> dict[str, Any]:
    return {
        "examples": len(used),
        "corrected": sum(c.kind == CORRECTED for c in used),
        "accepted": sum(c.kind == ACCEPTED for c in used),
        "feedback_ids": [c.feedback_id for c in used],
    }


def _generated(
    vault: Vault,
    options: BuildOptions,
    selection: Selection,
    counter: TokenCounter,
    redactor: Redactor | None,
    conversation_examples: int,
) -> list[Example]:
    """QA examples from the notes (`twin.dataset.qa`), at most `QA_SHARE` of the training set."""
    limit = int(conversation_examples * QA_SHARE)
    if not options.qa or limit == 0 or not has_shareable_notes(vault):
        return []
    from twin.dataset.memory_slot import MemorySlot

    memory = MemorySlot(
        vault, selection.me, redactor.redact if redactor else lambda text, _where: text
    )
    setting = f"You are {memory.persona.name}, answering a friend's question."
    fit = memory_room(options, counter)
    return qa_examples(vault, memory, counter, limit=limit, max_tokens=fit, setting=setting)


def _redactor(
    vault: Vault, options: BuildOptions, selection: Selection, lists: WordLists
) -> Redactor:
    """The redactor for this build: everyone in the vault but you, those only your notes,
    journal and persona name, your region and your words."""
    mine = [*my_names(vault), selection.me]
    people = with_people_in_notes(vault, _people(vault, selection.me_ids), mine)
    parts = {part for names in people.values() for name in names for part in name_parts(name)}
    return Redactor(
        people,
        mine,
        lists,
        vocabulary=own_vocabulary(vault, selection.me_ids, parts),
        region=phone_region(options.phone_region, lists, mine),
    )


def _input_hash(
    digest: hashlib._Hash, selection: Selection, options: BuildOptions, lists: WordLists
) -> str:
    digest.update(repr(sorted(selection.names.items())).encode())
    digest.update(repr(sorted(options.describe().items())).encode())
    digest.update(repr(sorted(lists.describe().items())).encode())
    return digest.hexdigest()


def _sealed(vault: Vault, folder: Path, name: str, file: str) -> SealedTextFile:
    """A new sealed file of dataset `name` in `folder`: datasets hold your words."""
    return SealedTextFile(sealed_path(folder, file), vault.key, file_label(name, file))


def _swap_in(staging: Path, folder: Path) -> None:
    """Replace the old dataset by the new one, never leaving a half-written folder."""
    old = folder.with_name(f".{folder.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    if old.exists():
        shutil.rmtree(old)
