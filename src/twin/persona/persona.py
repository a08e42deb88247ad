"""The persona: who the twin is, in the user's own words (name, short bio, stable facts).

Stored in the vault, so it is encrypted, exported and forgotten like everything else. The facts
count as sources: the grounding guard accepts a claim a persona fact supports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from twin.vault.vault import Vault

MAX_FACTS = 50


@dataclass
class Persona:
    """Who the twin speaks as."""

    name: str = ""
    bio: str = ""
    """A sentence or two: what you do, where you live, what you care about."""
    facts: list[str] = field(default_factory=list)
    """Short statements that stay true: "I have two sisters.", "I work as a nurse."."""

    def is_empty(self) -> bool:
        return not (self.name or self.bio or self.facts)

    def to_text(self) -> str:
        """The editable form `twin persona edit` opens."""
        lines = [f"name: {self.name}", f"bio: {self.bio}", "facts:"]
        lines += [f"- {fact}" for fact in self.facts]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Persona:
        """Read the editable form back; lines starting with ``#`` are comments."""
        persona = cls()
        in_facts = False
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, colon, value = line.partition(":")
            lowered = key.strip().lower()
            if colon and lowered in {"name", "bio"} and not line.startswith("-"):
                setattr(persona, lowered, value.strip())
                in_facts = False
            elif colon and lowered == "facts" and not line.startswith("-"):
                in_facts = True
                if value.strip():
                    persona.facts.append(value.strip())
            elif in_facts and line.startswith("-"):
                fact = line[1:].strip()
                if fact:
                    persona.facts.append(fact)
        persona.facts = persona.facts[:MAX_FACTS]
        return persona


def load_persona(vault: Vault) -> Persona:
    """The stored persona; an empty one before the user writes it."""
    row = vault.db.execute("SELECT name, bio, facts FROM persona WHERE id = 1").fetchone()
    if row is None:
        return Persona()
    name, bio, facts = row
    return Persona(name, bio, [str(f) for f in json.loads(facts)])


def save_persona(vault: Vault, persona: Persona) -> None:
    """Replace the stored persona."""
    with vault.transaction():
        vault.db.execute(
            "INSERT INTO persona (id, name, bio, facts, updated_at) VALUES (1, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, bio = excluded.bio, "
            "facts = excluded.facts, updated_at = excluded.updated_at",
            (
                persona.name.strip(),
                persona.bio.strip(),
                json.dumps([f.strip() for f in persona.facts if f.strip()], ensure_ascii=False),
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )
