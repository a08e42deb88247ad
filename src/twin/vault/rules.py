"""Standing consent rules: what the user has said twin must never collect or use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from twin.errors import TwinError
from twin.records import Message
from twin.vault.vault import Vault

RULE_KINDS = {
    "exclude-contact": "never collect or use messages from this person, nor 1:1 chats with them",
    "exclude-conversation": "never collect or use this conversation (by title or id)",
    "exclude-source": "never collect or use anything from this source",
    "exclude-before": "never collect or use anything sent before this date (YYYY-MM-DD)",
    "exclude-after": "never collect or use anything sent after this date (YYYY-MM-DD)",
}


@dataclass(frozen=True)
class Rule:
    id: int
    kind: str
    value: str
    created_at: str


def parse_day(value: str, what: str = "date") -> date:
    """A YYYY-MM-DD date, or a clear error."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise TwinError(f"{what} {value!r} is not a date like 2024-01-31") from None


def list_rules(vault: Vault) -> list[Rule]:
    return [
        Rule(*row)
        for row in vault.db.execute("SELECT id, kind, value, created_at FROM rules ORDER BY id")
    ]


def add_rule(vault: Vault, kind: str, value: str) -> Rule:
    """Record a standing rule (adding one twice is harmless) and return it."""
    if kind not in RULE_KINDS:
        raise TwinError(f"unknown rule {kind!r}; rules are: {', '.join(RULE_KINDS)}")
    value = value.strip()
    if not value:
        raise TwinError(f"rule {kind} needs a value")
    if kind in ("exclude-before", "exclude-after"):
        value = parse_day(value).isoformat()
    vault.db.execute(
        "INSERT OR IGNORE INTO rules (kind, value, created_at) VALUES (?, ?, ?)",
        (kind, value, datetime.now(UTC).isoformat(timespec="seconds")),
    )
    row = vault.db.execute(
        "SELECT id, kind, value, created_at FROM rules WHERE kind = ? AND value = ?", (kind, value)
    ).fetchone()
    return Rule(*row)


def remove_rule(vault: Vault, rule_id: int) -> Rule:
    row = vault.db.execute(
        "SELECT id, kind, value, created_at FROM rules WHERE id = ?", (rule_id,)
    ).fetchone()
    if row is None:
        raise TwinError(f"there is no rule {rule_id}; `twin rules list` shows them")
    vault.db.execute("DELETE FROM rules WHERE id = ?", (rule_id,))
    return Rule(*row)


@dataclass
class RuleSet:
    """The rules in force for one import or one dataset build, applied to each message."""

    contacts: set[str] = field(default_factory=set)
    conversations: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    since: date | None = None
    until: date | None = None

    @classmethod
    def standing(
        cls, vault: Vault, since: date | None = None, until: date | None = None
    ) -> RuleSet:
        """The vault's standing rules, narrowed further by this run's `since`/`until`."""
        rules = cls(since=since, until=until)
        for rule in list_rules(vault):
            if rule.kind == "exclude-contact":
                rules.contacts.add(rule.value.casefold())
            elif rule.kind == "exclude-conversation":
                rules.conversations.add(rule.value.casefold())
            elif rule.kind == "exclude-source":
                rules.sources.add(rule.value.casefold())
            elif rule.kind == "exclude-before":
                day = date.fromisoformat(rule.value)
                rules.since = max(rules.since or day, day)
            elif rule.kind == "exclude-after":
                day = date.fromisoformat(rule.value)
                rules.until = min(rules.until or day, day)
        return rules

    def allows(self, message: Message) -> bool:
        """Whether the rules let this message be collected."""
        if self.sources and message.source.casefold() in self.sources:
            return False
        if self.conversations and (
            message.conversation.casefold() in self.conversations
            or (message.conversation_id or "").casefold() in self.conversations
        ):
            return False
        if self.contacts:
            sender = {(message.sender or "").casefold(), (message.sender_id or "").casefold()}
            if sender & self.contacts:
                return False
            if not message.is_group and message.conversation.casefold() in self.contacts:
                return False
        if self.since or self.until:
            day = message.sent_at.date()
            if (self.since and day < self.since) or (self.until and day > self.until):
                return False
        return True

    def describe(self) -> dict[str, object]:
        """The rules as plain data, kept with each import as a record of consent."""
        return {
            "exclude_contacts": sorted(self.contacts),
            "exclude_conversations": sorted(self.conversations),
            "exclude_sources": sorted(self.sources),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
