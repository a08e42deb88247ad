"""Dialogue scripts (plays, screenplays, transcripts) as chosen conversational material.

The user says which character speaks for them (``twin import play.txt --source script --as
HAMLET``); that character's lines become "their" turns. Script material is not the user's own
words, so it is kept apart: its source is ``script``, `twin dataset build` leaves it out unless
``--with-scripts`` is given, and a dataset card that includes it says so.

Two layouts are read:

* ``NAME: line`` transcripts and plays (``HAMLET: To be, or not to be``, ``Ann: hi``). A line
  without a speaker continues the speech before it; a blank line ends it.
* Screenplays (and Fountain): a character cue in capitals on its own line (often indented,
  with extensions like ``(V.O.)`` or ``(CONT'D)``), followed by the dialogue; a parenthetical
  (``(beat)``) is dropped; scene headings (``INT. KITCHEN - NIGHT``), transitions (``CUT TO:``)
  and action lines end a speech.

Stage directions in brackets or parentheses on a line of their own are skipped. A scene
heading (or a line such as ``ACT II`` / ``SCENE 3``) starts a new scene. Scripts carry no
times, so each speech is given one: scene ``n`` starts on day ``n`` after 2000-01-01 and
speeches follow a minute apart, which keeps their order and makes every scene its own session.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile, iter_text_lines
from twin.records import Kind, Message

SOURCE = "script"
START = datetime(2000, 1, 1)
_SPEAKER = re.compile(r"^\s*([A-Za-z][\w.'\- ]{0,40}?)\s*(?:\([^)]*\))?\s*:\s+(\S.*)$")
# A cue: a name in capitals, then extensions such as (V.O.) or (CONT'D) and Fountain's ^.
_CUE = re.compile(r"^\s*([A-Z][A-Z0-9.'\- ]{0,40}?)\s*(\([A-Z.'\u2019 ]+\))*\s*\^?$")
_SCENE = re.compile(
    r"^\s*(?:\.?(?:INT|EXT|INT\./EXT|I/E|EST)[. ]|ACT\s+[IVXLC\d]+\b|SCENE\s+[IVXLC\d]+\b)", re.I
)
_TRANSITION = re.compile(r"^\s*[A-Z ]+TO:\s*$|^\s*(?:FADE (?:IN|OUT)|THE END)\.?:?\s*$")
_DIRECTION = re.compile(r"^\s*[\[(].*[\])]\s*$")
_NOT_NAMES = frozenset({"NOTE", "TITLE", "AUTHOR", "DRAFT DATE", "CREDIT", "SOURCE", "CONTACT"})


@dataclass(slots=True)
class _Speech:
    speaker: str
    lines: list[str] = field(default_factory=list)


def _clean_name(name: str) -> str:
    return " ".join(name.split()).strip(".")


def _layout(lines: list[str]) -> str | None:
    """``colon`` or ``screenplay`` when the start of a file reads as a script, else None."""
    text = [line for line in lines if line.strip()]
    if len(text) < 4:
        return None
    colon = [m for m in (_SPEAKER.match(line) for line in text) if m]
    names = Counter(_clean_name(m[1]) for m in colon if _clean_name(m[1]).upper() not in _NOT_NAMES)
    # Speeches may run over several lines, so a quarter of the lines opening one is plenty;
    # few distinct names (a cast, not a list of "Key: value" fields) make it dialogue.
    if len(colon) >= max(3, 0.25 * len(text)) and len(names) <= max(3, len(colon) // 2):
        if any(re.match(r"^\s*\[?\d", line) for line in text[:5]):
            return None  # timestamped lines are a chat export, not a script
        return "colon"
    scenes = sum(1 for line in text if _SCENE.match(line))
    cues = sum(1 for line in text if _CUE.match(line) and len(line.strip()) > 1)
    if scenes and cues >= 3:
        return "screenplay"
    return None


class ScriptImporter:
    """Plays, screenplays and transcripts, with the user's character named by ``--as``."""

    name: ClassVar[str] = "script"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """A text file whose start reads as ``NAME: line`` dialogue or a screenplay."""
        if source.is_zip or source.is_dir:
            return False
        try:
            head = source.head(16 * 1024).decode("utf-8", "ignore")
        except (BadInput, OSError):
            return False
        return _layout(head.splitlines()[:200]) is not None

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Message]:
        """One message per speech; `BadInput` without ``--as``, or when that one never speaks."""
        label = source.label()
        if source.is_zip or source.is_dir:
            raise BadInput(label, "expected a script as a text file")
        with source.open() as stream:
            lines = [line for _, line in iter_text_lines(stream, label)]
        layout = _layout(lines[:400])
        if layout is None:
            raise BadInput(label, "does not read as a script (NAME: line, or a screenplay)")
        speeches = list(_colon(lines) if layout == "colon" else _screenplay(lines))
        speakers = Counter(speech.speaker for _, speech in speeches)
        if not options.speaker:
            top = ", ".join(name for name, _ in speakers.most_common(5))
            raise BadInput(label, f"say which character speaks for you with --as NAME ({top})")
        me = options.speaker.casefold()
        if not any(name.casefold() == me for name in speakers):
            top = ", ".join(name for name, _ in speakers.most_common(5))
            raise BadInput(label, f"{options.speaker!r} never speaks here; characters: {top}")
        title = source.path.stem.replace("_", " ")
        group = len(speakers) > 2
        minute = 0
        last_scene = -1
        for scene, speech in speeches:
            if scene != last_scene:
                last_scene, minute = scene, 0
            minute += 1
            yield Message(
                source=SOURCE,
                conversation=title,
                conversation_id=source.path.name,
                sender=speech.speaker,
                sender_id=speech.speaker.casefold(),
                sent_at=START + timedelta(days=scene, minutes=minute),
                kind=Kind.TEXT,
                text="\n".join(speech.lines).strip(),
                from_me=speech.speaker.casefold() == me,
                is_group=group,
            )


def _colon(lines: list[str]) -> Iterator[tuple[int, _Speech]]:
    scene = 0
    current: _Speech | None = None
    for line in lines:
        if not line.strip() or _DIRECTION.match(line):
            if current is not None and current.lines:
                yield scene, current
            current = None
            continue
        if _SCENE.match(line):
            if current is not None and current.lines:
                yield scene, current
            current = None
            scene += 1
            continue
        match = _SPEAKER.match(line)
        if match and _clean_name(match[1]).upper() not in _NOT_NAMES:
            if current is not None and current.lines:
                yield scene, current
            current = _Speech(_clean_name(match[1]), [match[2].strip()])
        elif current is not None:
            current.lines.append(line.strip())
    if current is not None and current.lines:
        yield scene, current


def _screenplay(lines: list[str]) -> Iterator[tuple[int, _Speech]]:
    scene = 0
    current: _Speech | None = None
    blank_before = True
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if current is not None and current.lines:
                yield scene, current
                current = None
            blank_before = True
            continue
        if _SCENE.match(line) or _TRANSITION.match(line):
            if current is not None and current.lines:
                yield scene, current
            current = None
            scene += 1 if _SCENE.match(line) else 0
        elif current is not None:
            if not (stripped.startswith("(") and stripped.endswith(")")):
                current.lines.append(stripped)
        elif blank_before and _CUE.match(line) and any(c.isalpha() for c in stripped):
            name = _CUE.match(line)
            assert name is not None
            current = _Speech(_clean_name(name[1]).title())
        blank_before = False
    if current is not None and current.lines:
        yield scene, current
