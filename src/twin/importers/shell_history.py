"""Shell history files as `Event` records: bash, zsh and fish, with the times they keep.

* zsh with ``EXTENDED_HISTORY`` (``.zsh_history``): ``: 1709287200:5;git status`` — start in
  seconds since 1970, elapsed seconds, the command; a command continued with a trailing ``\\``
  goes on over the next lines. zsh writes some bytes "metafied" (0x83, then the byte XOR 32),
  undone here.
* bash with ``HISTTIMEFORMAT`` set (``.bash_history``): ``#1709287200`` on the line before each
  command. Commands without such a line carry no time and are skipped; a file with none at all
  is refused, since events without times cannot be placed.
* fish (``fish_history``): ``- cmd: git status`` then ``  when: 1709287200`` (and ``paths:``).
* Times are instants (UTC). The program (``git``) is the event's app, the whole command line
  its title; day summaries name programs only, so arguments (which may hold secrets) never
  reach recall.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar

from twin.errors import BadInput
from twin.importers.base import ParseOptions
from twin.importers.files import SourceFile
from twin.records import Event

_ZSH = re.compile(r"^: (\d{9,11}):(\d+);(.*)$")
_BASH_TIME = re.compile(r"^#(\d{9,11})$")
_FISH_CMD = re.compile(r"^- cmd: (.*)$")
_FISH_WHEN = re.compile(r"^  when: (\d{9,11})$")
_ZSH_HEAD = re.compile(rb"^: \d{9,11}:\d+;", re.M)
_BASH_HEAD = re.compile(rb"^#\d{9,11}\r?\n[^#\n]", re.M)
_FISH_HEAD = re.compile(rb"^- cmd: .*\n  when: \d{9,11}$", re.M)
_SKIPPED = frozenset({"sudo", "doas", "time", "nohup", "env", "command", "builtin", "exec"})


def program(command: str) -> str:
    """The program a command line runs: ``sudo apt install x`` is ``apt``, ``A=1 make`` ``make``."""
    for word in command.split():
        if "=" in word.split("/")[0] and not word.startswith(("=", "-")):
            continue  # a variable assignment before the command
        if word in _SKIPPED or word.startswith("-"):
            continue
        return word.rsplit("/", 1)[-1]
    return ""


def _unmetafy(raw: bytes) -> bytes:
    if b"\x83" not in raw:
        return raw
    out = bytearray()
    flip = False
    for byte in raw:
        if flip:
            out.append(byte ^ 32)
            flip = False
        elif byte == 0x83:
            flip = True
        else:
            out.append(byte)
    return bytes(out)


def _lines(source: SourceFile) -> Iterator[str]:
    with source.open() as stream:
        for raw in stream:
            yield _unmetafy(raw).decode("utf-8", "replace").rstrip("\r\n")


def _moment(stamp: str) -> datetime:
    return datetime.fromtimestamp(int(stamp), UTC)


def _shell_of(head: bytes) -> str | None:
    if _ZSH_HEAD.search(head):
        return "zsh"
    if _FISH_HEAD.search(head):
        return "fish"
    if _BASH_HEAD.search(head):
        return "bash"
    return None


class ShellHistoryImporter:
    """bash, zsh and fish history files, as command events."""

    name: ClassVar[str] = "shell"
    version: ClassVar[str] = "1"

    def detect(self, source: SourceFile) -> bool:
        """Whether the file opens with timestamped history lines of one of the three shells."""
        if source.is_zip or source.is_dir:
            return False
        try:
            return _shell_of(source.head(8192)) is not None
        except (BadInput, OSError):
            return False

    def parse(self, source: SourceFile, options: ParseOptions) -> Iterator[Event]:
        """Yield one event per timestamped command; `BadInput` when no command has a time."""
        if source.is_zip or source.is_dir:
            raise BadInput(source.path, "expected a shell history file")
        shell = _shell_of(source.head(64 * 1024))
        if shell is None:
            raise BadInput(
                source.label(),
                "not a shell history with times (bash needs HISTTIMEFORMAT, zsh "
                "EXTENDED_HISTORY)",
            )
        reader = {"zsh": _zsh, "bash": _bash, "fish": _fish}[shell]
        for started, duration, command in reader(_lines(source)):
            command = command.strip()
            if command:
                yield Event(
                    source=shell,
                    kind="command",
                    started_at=started,
                    duration=float(duration),
                    app=program(command) or None,
                    title=command,
                )


def _zsh(lines: Iterator[str]) -> Iterator[tuple[datetime, int, str]]:
    pending: tuple[datetime, int, list[str]] | None = None
    for line in lines:
        if pending is not None and pending[2][-1].endswith("\\"):
            pending[2][-1] = pending[2][-1][:-1]
            pending[2].append(line)
            continue
        match = _ZSH.match(line)
        if match is None:
            continue  # a stray line (an old entry without EXTENDED_HISTORY): no time to give it
        if pending is not None:
            yield pending[0], pending[1], "\n".join(pending[2])
        pending = (_moment(match[1]), int(match[2]), [match[3]])
    if pending is not None:
        yield pending[0], pending[1], "\n".join(pending[2])


def _bash(lines: Iterator[str]) -> Iterator[tuple[datetime, int, str]]:
    started: datetime | None = None
    for line in lines:
        match = _BASH_TIME.match(line)
        if match is not None:
            started = _moment(match[1])
        elif started is not None:
            yield started, 0, line
            started = None


def _fish(lines: Iterator[str]) -> Iterator[tuple[datetime, int, str]]:
    command: str | None = None
    for line in lines:
        match = _FISH_CMD.match(line)
        if match is not None:
            # fish escapes a backslash as \\ and a newline as \n inside cmd.
            command = match[1].replace("\\n", "\n").replace("\\\\", "\\")
            continue
        when = _FISH_WHEN.match(line)
        if when is not None and command is not None:
            yield _moment(when[1]), 0, command
            command = None
