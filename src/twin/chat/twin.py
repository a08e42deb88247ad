"""The twin's reply: recall, one prompt, generation, and the guards, streamed by sentence.

Text reaches the caller one guarded sentence at a time: each sentence is checked as soon as
the model finishes it, so streaming never shows what the guards would hold back.

Two things keep the reply a reply. Everyday talk (`is_talk`: no question of fact, or a question
to the twin about what it would say that no note answers) gets talk guards, which hold back the
model's own "I don't remember" and a repeat of its earlier turns; when the guards held back
everything the model said, the twin samples again (`RETRIES` more times, nothing having been
shown yet) before it says it doesn't remember. A *fact question* about the person ("when is the
concert?", `twin.chat.answers`) is answered whole rather than streamed: the model's reply
stands when a passage or persona fact supports a fact in it; otherwise the line of a recalled
passage that answers the question is said instead, and with none, the twin abstains, so a
vague or invented answer to a question of fact never gets through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from twin.chat.answers import (
    agrees,
    asks_about_the_person,
    find_answer,
    question_kind,
    unknown_names,
)
from twin.chat.compose import Composer, composer_messages
from twin.chat.engine import Engine, GenerationSettings
from twin.chat.guards import (
    DANGLING,
    Guards,
    Verdict,
    abstention_in_style,
    is_abstention,
    words,
)
from twin.chat.shape import ReplyShape, reply_shape
from twin.memory.embeddings import Embeds
from twin.memory.recall import Passage, recall_for_prompt
from twin.persona.persona import Persona, load_persona
from twin.persona.prompt import build_messages
from twin.records import ChatTurn
from twin.vault.vault import Vault

MAX_SENTENCE_WORDS = 60
"""A run-on without punctuation is checked in pieces of this many words."""
RETRIES = 2
"""Fresh samples drawn when the guards held back all of a reply to everyday talk."""
BOUNDARY = re.compile(r"[.!?…][\"')\]]*\s+|\n+")


def recall_query(conversation: Sequence[ChatTurn]) -> str:
    """What to recall for: the last thing the user said."""
    for turn in reversed(conversation):
        if turn.get("role") == "user" and str(turn.get("content") or "").strip():
            return str(turn["content"])
    return ""


Generate = Callable[[list[ChatTurn], list[ChatTurn] | None, GenerationSettings], Iterator[str]]
"""Turns a prompt (and its plain twin, for context-aware decoding) into the reply's text."""


def _no_draft(
    _messages: list[ChatTurn], _plain: list[ChatTurn] | None, _settings: GenerationSettings
) -> Iterator[str]:
    return iter(())


_END = re.compile(r"[.!?…)\]\"'*]\s*$|[^\w\s,;:-]\s*$")
"""A piece that already ends as a sentence does (punctuation, or an emoji)."""


def split_run_on(text: str) -> tuple[str, str]:
    """A run-on cut at its last comma (else its last space), the head closed with a full stop."""
    head, comma, rest = text.rpartition(", ")
    if not comma or len(head.split()) < 3:
        head, _, rest = text.rpartition(" ")
        return head, rest
    return head + ".", rest


def close_unfinished(text: str) -> str:
    """The end of a reply the token limit cut off, back to its last whole clause.

    "I'm doing a run, my foot is sore, like the only thing i" gives "I'm doing a run, my
    foot is sore." A piece with no clause to go back to stays as it is, for the guards to
    judge (a fragment is held back).
    """
    text = text.strip()
    found = words(text)
    if not found or _END.search(text) or found[-1] not in DANGLING:
        return text  # "yes, a good idea" is how people end a chat message
    head, comma, _ = text.rpartition(", ")
    if comma and len(head.split()) >= 3:
        return head + "."
    return text


def is_talk(query: str, passages: Sequence[Passage], persona: Persona) -> bool:
    """Whether `query` is everyday talk rather than a question of fact about the person.

    No fact question at all ("how was your day?") is talk; so is a question to the twin about
    what it would say ("when are you free this week?", "what are you doing tonight?") that no
    recalled line answers: any plan may do, and "I don't remember" answers nothing there.
    """
    kind = question_kind(query)
    if kind is None:
        return True
    if kind == "blank" or asks_about_the_person(query):
        return False
    return find_answer(query, passages, persona) is None


@dataclass
class Reply:
    """One reply of the twin, filled in as it streams."""

    passages: list[Passage]
    model: str
    text: str = ""
    raw: str = ""
    """What the model generated, before the guards."""
    draft: str = ""
    """With a composer: the twin's own draft the composer rewrote."""
    verdicts: list[Verdict] = field(default_factory=list)
    finished: bool = False

    def describe(self, *, hide_private: bool = True) -> dict[str, Any]:
        """The JSON shape of `twin ask --json`: reply, passages used, guard verdicts."""
        return {
            "reply": self.text,
            "model": self.model,
            "passages": [p.describe(hide_private=hide_private) for p in self.passages],
            "guards": [v.describe() for v in self.verdicts],
        }


class Twin:
    """The twin: a model, the vault to recall from, and the persona."""

    def __init__(
        self,
        vault: Vault,
        engine: Engine,
        embedder: Embeds,
        *,
        persona: Persona | None = None,
        settings: GenerationSettings | None = None,
        shape: ReplyShape | None = None,
        retries: int = RETRIES,
        composer: Composer | None = None,
    ) -> None:
        self.vault = vault
        self.engine = engine
        self.embedder = embedder
        self.persona = persona if persona is not None else load_persona(vault)
        self.shape = shape if shape is not None else reply_shape(vault)
        self.settings = settings or self.default_settings()
        self.retries = retries
        self.composer = composer
        """With one, the twin's model drafts and the composer writes (`twin.chat.compose`)."""
        self.abstain = abstention_in_style(self.shape.lowercase if self.shape else None)
        self.talk_guard = True
        """Everyday talk holds back the model's own abstentions and repeats, and samples again."""

    def default_settings(self) -> GenerationSettings:
        """Sampling settings shaped by the person's own replies, where there are any."""
        if self.shape is None:
            return GenerationSettings()
        return GenerationSettings(max_new_tokens=self.shape.max_new_tokens())

    def private_texts(self) -> list[str]:
        return [
            text for (text,) in self.vault.db.execute("SELECT text FROM notes WHERE private = 1")
        ]

    def respond(
        self, conversation: Sequence[ChatTurn], settings: GenerationSettings | None = None
    ) -> tuple[Reply, Iterator[str]]:
        """The reply record and an iterator of its guarded text; the record is complete once
        the iterator is exhausted."""
        query = recall_query(conversation)
        passages = recall_for_prompt(self.vault, self.embedder, query) if query else []
        reply = Reply(passages, self.engine.name)
        chosen = settings or self.settings
        talk = is_talk(query, passages, self.persona)
        messages = build_messages(self.persona, passages, conversation)
        plain = build_messages(self.persona, [], conversation) if passages else None
        if self.composer is not None:
            generate = self._composed(reply, conversation, messages, plain)
        else:
            generate = self._generate
        if not talk:
            return reply, self._answered(reply, query, messages, plain, chosen, generate)
        said = [str(t.get("content") or "") for t in conversation if t.get("role") == "assistant"]
        heard = [str(t.get("content") or "") for t in conversation if t.get("role") == "user"]
        return reply, self._talk(reply, messages, plain, chosen, generate, said, heard)

    def ask(
        self, conversation: Sequence[ChatTurn], settings: GenerationSettings | None = None
    ) -> Reply:
        """One whole reply."""
        reply, pieces = self.respond(conversation, settings)
        for _ in pieces:
            pass
        return reply

    def _guards(
        self,
        passages: Sequence[Passage],
        said: Sequence[str] | None = None,
        heard: Sequence[str] = (),
    ) -> Guards:
        """The guards for one reply; `said` (the twin's earlier turns) and `heard` (the other
        side's) mark everyday talk."""
        talk = said is not None and self.talk_guard
        return Guards(
            self.embedder,
            passages,
            self.persona,
            self.private_texts(),
            abstain=self.abstain,
            talk=talk,
            said_before=said or (),
            heard=heard if talk else (),
        )

    def _generate(
        self,
        messages: list[ChatTurn],
        plain: list[ChatTurn] | None,
        settings: GenerationSettings,
    ) -> Iterator[str]:
        if plain is not None and settings.context_weight > 0:
            return self.engine.stream(messages, settings, plain=plain)
        return self.engine.stream(messages, settings)

    def _composed(
        self,
        reply: Reply,
        conversation: Sequence[ChatTurn],
        messages: list[ChatTurn],
        plain: list[ChatTurn] | None,
    ) -> Generate:
        """Generation through the composer: the twin drafts, the composer writes."""
        composer = self.composer
        assert composer is not None

        def generate(
            _messages: list[ChatTurn], _plain: list[ChatTurn] | None, settings: GenerationSettings
        ) -> Iterator[str]:
            reply.draft = "".join(self._generate(messages, plain, settings))
            prompt = composer_messages(self.persona, reply.passages, conversation, reply.draft)
            return composer.stream(prompt, settings)

        return generate

    def _talk(
        self,
        reply: Reply,
        messages: list[ChatTurn],
        plain: list[ChatTurn] | None,
        settings: GenerationSettings,
        generate: Generate,
        said: Sequence[str] = (),
        heard: Sequence[str] = (),
    ) -> Iterator[str]:
        """Everyday talk: streamed sentence by sentence, sampled again if nothing stood."""
        for attempt in range(self.retries + 1):
            guards = self._guards(reply.passages, said, heard)
            if attempt and settings.seed is not None:
                settings = replace(settings, seed=settings.seed + 1)
            yield from self._guarded(reply, guards, generate(messages, plain, settings))
            if reply.text:
                break
        yield from self._close(reply, guards)

    def _answered(
        self,
        reply: Reply,
        query: str,
        messages: list[ChatTurn],
        plain: list[ChatTurn] | None,
        settings: GenerationSettings,
        generate: Generate,
    ) -> Iterator[str]:
        """A fact question: the model's supported answer, else the passage's, else abstain."""
        guards = self._guards(reply.passages)
        unknown = unknown_names(query, reply.passages, self.persona)
        if unknown:  # nothing recalled so much as names it: no model can answer from memory
            named = ", ".join(sorted(unknown))
            reason = f"nothing recalled mentions {named}"
            reply.verdicts.append(Verdict("grounding", query, False, reason))
            reply.text, reply.finished = self.abstain, True
            yield reply.text
            return
        if question_kind(query) == "blank":
            generate = _no_draft  # the quoted sentence is answered from the passage itself
        for _ in self._guarded(reply, guards, generate(messages, plain, settings)):
            pass  # held until the whole answer is known
        about_the_person = asks_about_the_person(query)
        # Talk stands when it states no fact at all ("saturday works!" to "when are you
        # free?"); a reply whose every fact was held back never does.
        talk = guards.claims == 0 and bool(reply.text) and not is_abstention(reply.text)
        stands = guards.claims_kept > 0 or (talk and not about_the_person)
        answer = find_answer(query, reply.passages, self.persona)
        if stands and guards.claims_kept and answer is not None:
            # A supported sentence may still answer something else ("under 2:00" to a question
            # about the secret goal whose line says 1:55): the line stands over it.
            stands = agrees(reply.text, answer.text, query)
        if not stands:
            if answer is not None:
                reply.verdicts.append(
                    Verdict(
                        "answer", answer.text, True, "said from the recalled passage", answer.source
                    )
                )
                reply.text = answer.text
            elif about_the_person or not reply.text:
                reply.text = ""
        if not reply.text:
            reply.text = guards.closing() or self.abstain
        reply.finished = True
        yield reply.text

    def _close(self, reply: Reply, guards: Guards) -> Iterator[str]:
        if not reply.text:
            piece = guards.closing() or self.abstain
            reply.text = piece
            yield piece
        reply.finished = True

    def _guarded(self, reply: Reply, guards: Guards, pieces: Iterator[str]) -> Iterator[str]:
        """The model's text, sentence by sentence, as far as the guards let it through."""
        buffer = ""

        def emit(sentence: str) -> Iterator[str]:
            sentence = sentence.strip()
            if not sentence:
                return
            allowed, verdicts = guards.check(sentence)
            reply.verdicts.extend(verdicts)
            if allowed:
                piece = (" " if reply.text else "") + sentence
                reply.text += piece
                yield piece

        for piece in pieces:
            reply.raw += piece
            buffer += piece
            while True:
                match = BOUNDARY.search(buffer)
                if match is None:
                    if len(buffer.split()) > MAX_SENTENCE_WORDS:
                        head, buffer = split_run_on(buffer)
                        yield from emit(head)
                    break
                yield from emit(buffer[: match.end()])
                buffer = buffer[match.end() :]
        yield from emit(close_unfinished(buffer))
