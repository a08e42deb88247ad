"""The memory slot in training examples (`twin dataset build --memory`).

At chat time the twin's system message is the persona, the passages recalled for the last
thing said to it, and the rule to say only what those support (`twin.persona.prompt`). With
``--memory`` every training example gets that same system message, recalled the same way for
the last thing said before your reply, plus where the conversation took place, so that what
the model sees in training and at chat time match. Private entries are never put into
training data; recalled passages are redacted like everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from twin.memory.embeddings import Embeds, default_embedder
from twin.memory.recall import Passage, recall_for_prompt
from twin.persona.persona import load_persona
from twin.persona.prompt import system_message
from twin.vault.vault import Vault


class MemorySlot:
    """Makes each example's system message the way `twin chat` makes its own."""

    def __init__(
        self,
        vault: Vault,
        me: str,
        redact: Callable[[str, str], str],
        embedder: Embeds | None = None,
    ) -> None:
        persona = load_persona(vault)
        self.persona = replace(
            persona,
            name=persona.name or me,
            bio=redact(persona.bio, "persona bio"),
            facts=[redact(fact, "persona fact") for fact in persona.facts],
        )
        self.vault = vault
        self.redact = redact
        self.embedder = embedder or default_embedder()
        self._texts: dict[int, str] = {}

    def system(self, setting: str, query: str) -> str:
        """The system message for an example whose last line before your reply is `query`."""
        return system_message(self.persona, self._recall(query), setting)

    def _recall(self, query: str) -> list[Passage]:
        if not query.strip():
            return []
        found = recall_for_prompt(self.vault, self.embedder, query, include_private=False)
        return [replace(p, text=self._text(p.chunk_id, p.text)) for p in found]

    def _text(self, chunk_id: int, text: str) -> str:
        """The passage redacted once, so the review lists each replacement once."""
        if chunk_id not in self._texts:
            self._texts[chunk_id] = self.redact(text, f"recalled passage {chunk_id}")
        return self._texts[chunk_id]
