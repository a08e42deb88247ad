"""The one prompt layout the twin speaks through: persona, memory slot, conversation.

The system message holds, in order: who the twin is (`persona_block`, then, in training
examples, where the conversation takes place), the memory slot (`memory_block`), then the rule
to say only what those support. The conversation follows as chat turns. `twin dataset build
--memory` writes training examples with this same system message, recalled for each example
the way chat recalls, so that what the model sees in training and at chat time match.
"""

from __future__ import annotations

from collections.abc import Sequence

from twin.memory.recall import Passage
from twin.persona.persona import Persona
from twin.records import ChatTurn

MEMORY_HEADER = "What you remember (from your own journal and notes):"
NO_MEMORY = "What you remember: nothing about this."
ABSTAIN = "I don't remember."
"""What the twin says when nothing it knows answers: the one spelling, in prompts and guards."""
RULE = (
    "Reply as yourself, in your own voice, in a few sentences. Say only what the facts and "
    f'memories above support; if they don\'t say, answer "{ABSTAIN}"'
)
MAX_PASSAGE_CHARS = 700
"""A longer passage is cut in the prompt; the small models have short context windows."""

def memory_block(passages: Sequence[Passage]) -> str:
    """The memory slot: numbered passages with their date and source, one per line.

    ``[1] 2024-03-02 (journal): Started learning the cello…``. With no passages it says so,
    which tells the model to abstain rather than invent.
    """
    if not passages:
        return NO_MEMORY
    lines = [MEMORY_HEADER]
    for number, passage in enumerate(passages, start=1):
        text = " ".join(passage.text.split())
        if len(text) > MAX_PASSAGE_CHARS:
            text = text[:MAX_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"[{number}] {passage.date[:10]} ({passage.source}): {text}")
    return "\n".join(lines)


def persona_block(persona: Persona) -> str:
    """Who the twin is: name, bio and stable facts."""
    name = persona.name or "the person whose notes these are"
    lines = [f"You are {name}. You are talking as yourself."]
    if persona.bio:
        lines.append(persona.bio)
    if persona.facts:
        lines.append("Facts about you:")
        lines += [f"- {fact}" for fact in persona.facts]
    return "\n".join(lines)


def system_message(
    persona: Persona, passages: Sequence[Passage], setting: str | None = None
) -> str:
    """The whole system message: persona (and the setting, when known), memory slot, rule."""
    who = persona_block(persona) + (f"\n{setting}" if setting else "")
    return f"{who}\n\n{memory_block(passages)}\n\n{RULE}"


def build_messages(
    persona: Persona, passages: Sequence[Passage], conversation: Sequence[ChatTurn]
) -> list[ChatTurn]:
    """The chat the model completes: the system message, then the conversation's turns.

    System turns in `conversation` (from an API client) are appended to our system message.
    """
    turns = [{"role": "system", "content": system_message(persona, passages)}]
    for turn in conversation:
        role = turn.get("role", "user")
        content = str(turn.get("content") or "")
        if role == "system":
            turns[0]["content"] += "\n\n" + content
        elif role in {"user", "assistant"}:
            turns.append({"role": role, "content": content})
    return turns
