"""From sessions to examples: your turn as the target, the turns before it as context.

Every target is one of your own turns; everyone else speaks as ``user``, and in group chats
their words start with their name (``Inês: …``) and the persona line names who is there. When
you start a session, the example begins with the opener, ``(new conversation with Maya)``, so
the twin learns how you open a conversation too. The target filters run here, each counted.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from twin.dataset.formats import Example
from twin.dataset.options import BuildOptions
from twin.dataset.prompt import opener, system_prompt
from twin.dataset.redaction import Redactor
from twin.dataset.selection import Conversation, Selection
from twin.dataset.sessions import Line, Session, Turn
from twin.dataset.tokens import MESSAGE_OVERHEAD, CharacterEstimate, TokenCounter

if TYPE_CHECKING:
    from twin.dataset.memory_slot import MemorySlot

_NOT_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d+")
_REPEAT_CHAR = re.compile(r"(.)\1+")
_REPEAT_PART = re.compile(r"(..+?)\1+")
FILLERS = (
    "ok okay k kk yes yeah yep yup ya yea no nope nah lol lmao haha hehe hm hmm ah oh sure "
    "thanks thx ty cool nice great right true omg wow good fine"
)
"""Replies that say little by themselves (the optional low-information filter)."""


def normalise(text: str) -> str:
    """Text reduced so near duplicates meet: case, punctuation, emoji, numbers and repeats go.

    "Hahahaha!!" and "haha" give the same; so do "See you at 5" and "see you at 6".
    """
    text = _NOT_WORD.sub(" ", _DIGIT.sub("0", text.casefold())).strip()
    if len(text) > _SHORT:
        return text
    text = _REPEAT_CHAR.sub(_first, text)
    return _REPEAT_PART.sub(_first, text)


_SHORT = 24
"""Repeats ("hahaha", "nooo") are folded only in short replies, where they are the reply."""


def _first(match: re.Match[str]) -> str:
    return match.group(1)


ESTIMATE_MARGIN = 0.85
"""Without a model tokenizer (`--model`) tokens are estimated, and the memory slot's English
runs about 18% over the estimate in SmolLM2's tokenizer (114 tokens counted against 97
estimated): the slot is given only where the estimate fits this share of the row."""

_FILLER_KEYS = frozenset(normalise(word) for word in FILLERS.split())


def memory_room(options: BuildOptions, counter: TokenCounter) -> int:
    """Tokens an example with the memory slot may take: `BuildOptions.memory_tokens`, less the
    margin when tokens are only estimated."""
    room = min(options.memory_tokens, options.max_tokens)
    return int(room * ESTIMATE_MARGIN) if isinstance(counter, CharacterEstimate) else room


def low_information(text: str) -> bool:
    """No letters at all, or a lone filler word such as ok or haha."""
    key = normalise(text)
    return not any(char.isalpha() for char in key) or key in _FILLER_KEYS


class ExampleMaker:
    """Turns sessions into examples, applying the target filters and counting what they drop."""

    def __init__(
        self,
        options: BuildOptions,
        selection: Selection,
        counter: TokenCounter,
        redactor: Redactor | None,
        memory: MemorySlot | None = None,
    ) -> None:
        self.options = options
        self.memory = memory
        self.selection = selection
        self.counter = counter
        self.redactor = redactor
        self.removed: Counter[str] = Counter()
        """Your turns each target filter kept from being a target."""
        self.targets_considered = 0
        self.memory_examples = 0
        """Examples that got the memory slot (the others have the persona line)."""
        self._speakers: dict[int | None, str] = {}
        self._titles: dict[int, str] = {}
        self._seen: set[bytes] = set()
        self._repeats: Counter[str] = Counter()
        self._on = {
            name: options.uses(name)
            for name in (
                "refers-to-missing",
                "duplicate",
                "near-duplicate",
                "too-long",
                "low-information",
            )
        }

    def _redact(self, text: str, where: str) -> str:
        return self.redactor.redact(text, where) if self.redactor else text

    def speaker(self, person: int | None) -> str:
        """How a person is named in this dataset: a placeholder when redacting."""
        label = self._speakers.get(person)
        if label is None:
            if person is None:
                label = ""
            elif person in self.selection.me_ids:
                label = self.selection.me
            else:
                name = self.selection.names.get(person, "someone")
                label = (
                    self.redactor.person(person, name, "speaker name") if self.redactor else name
                )
            self._speakers[person] = label
        return label

    def title(self, conversation: Conversation) -> str:
        title = self._titles.get(conversation.id)
        if title is None:
            title = self._titles[conversation.id] = self._redact(
                conversation.title, f"title of conversation {conversation.id}"
            )
        return title

    def line(self, turn: Turn, group: bool) -> Line:
        """The turn as written out, made once however many examples it appears in."""
        if turn.line is None:
            speaker = self.speaker(turn.speaker_id)
            text = self._redact(turn.text, f"message {turn.message_ids[0]}")
            if turn.is_me:
                role, content = "assistant", text
            else:
                role = "user"
                content = f"{speaker}: {text}" if group and speaker else text
            turn.line = Line(
                role, speaker, text, content, self.counter.count(content) + MESSAGE_OVERHEAD
            )
        return turn.line

    def _persona(self, session: Session) -> tuple[Line, Line]:
        conversation = session.conversation
        title = self.title(conversation)
        members: list[str] = []
        if conversation.is_group:
            for turn in session.turns:
                name = self.speaker(turn.speaker_id)
                if not turn.is_me and name and name not in members:
                    members.append(name)
        text = system_prompt(self.selection.me, title, conversation.source, members)
        system = Line("system", "", text, text, self.counter.count(text) + MESSAGE_OVERHEAD)
        first = opener(title, conversation.is_group)
        start = Line("user", "", first, first, self.counter.count(first) + MESSAGE_OVERHEAD)
        return system, start

    def _system(self, persona: Line, before: list[Turn], target: Line | None, group: bool) -> Line:
        """The chat-time system message (persona, memory slot, rule) where it fits the row
        with the reply and the turn before it (`BuildOptions.memory_tokens`); else the
        persona line."""
        if self.memory is None or target is None:
            return persona
        query = next((turn.text for turn in reversed(before) if not turn.is_me), "")
        text = self.memory.system(persona.text, query)
        system = Line("system", "", text, text, self.counter.count(text) + MESSAGE_OVERHEAD)
        last = self.line(before[-1], group).tokens if before else 0
        if system.tokens + last + target.tokens > memory_room(self.options, self.counter):
            return persona
        self.memory_examples += 1
        return system

    def examples(self, session: Session) -> Iterator[Example]:
        """One example for each of your turns that passes the target filters."""
        if not any(turn.is_me for turn in session.turns):
            return
        persona, start = self._persona(session)
        group = session.conversation.is_group
        turns = session.turns
        for index, turn in enumerate(turns):
            if not turn.is_me:
                continue
            self.targets_considered += 1
            dropped = self._early_filter(turn)
            target = None if dropped is not None else self.line(turn, group)
            system = persona
            if target is not None:
                budget = self.options.max_tokens - persona.tokens
                if self._on["too-long"] and target.tokens > budget:
                    dropped = "too-long"
            if dropped is not None or target is None:
                self.removed[dropped or "too-long"] += 1
                continue
            context = self._context(turns, index, group, budget - target.tokens, start)
            dropped = self._late_filter(context, target)
            if dropped is not None:
                self.removed[dropped] += 1
                continue
            system = self._system(persona, turns[:index], target, group)
            if system is not persona:  # the slot's tokens come out of the context's room
                room = self.options.max_tokens - system.tokens - target.tokens
                context = self._context(turns, index, group, room, start)
            yield Example(system, context, target)

    def _early_filter(self, turn: Turn) -> str | None:
        if self._on["refers-to-missing"] and turn.follows_missing:
            return "refers-to-missing"
        if self._on["low-information"] and low_information(turn.text):
            return "low-information"
        return None

    def _context(
        self, turns: list[Turn], index: int, group: bool, room: int, start: Line
    ) -> list[Line]:
        """Up to `context` turns before the target, newest kept first, within the token room."""
        context: list[Line] = []
        first = max(0, index - self.options.context)
        for position in range(index - 1, first - 1, -1):
            line = self.line(turns[position], group)
            if line.tokens > room:
                first = position + 1
                break
            room -= line.tokens
            context.append(line)
        context.reverse()
        if first == 0 and turns[0].is_me and start.tokens <= room:
            context.insert(0, start)
        return context

    def _late_filter(self, context: list[Line], target: Line) -> str | None:
        if self._on["duplicate"]:
            digest = hashlib.blake2b(
                "\x1f".join([*(line.content for line in context), target.content]).encode(),
                digest_size=16,
            ).digest()
            if digest in self._seen:
                return "duplicate"
            self._seen.add(digest)
        if self._on["near-duplicate"]:
            key = normalise(target.text)
            if self._repeats[key] >= self.options.max_repeats:
                return "near-duplicate"
            self._repeats[key] += 1
        return None
