"""Which messages a build may read: the user, the standing rules and this build's choices.

Rules are applied with the same meaning as `RuleSet.allows`, but per conversation and per
person up front, so a million messages stream from SQL with a set lookup each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from twin.dataset.options import BuildOptions
from twin.errors import TwinError
from twin.vault.rules import RuleSet
from twin.vault.vault import Vault

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

Row = tuple[int, int | None, str, str, str, str]
"""One message as read: id, sender id, sent_at, sort_key, kind, text."""

NO_ME = "twin doesn't know which sender is you: run `twin me NAME`"


@dataclass(frozen=True)
class Conversation:
    """A conversation chosen for the build."""

    id: int
    source: str
    external_id: str
    title: str
    is_group: bool


@dataclass
class Selection:
    """Everything the build needs to know before reading messages."""

    me: str
    """The name the persona line uses for the user."""
    me_ids: frozenset[int]
    names: dict[int, str]
    """Display name of every person, by id."""
    conversations: list[Conversation]
    excluded_people: frozenset[int]
    since: str | None
    until: str | None
    rules: RuleSet
    rules_since: str | None = None
    rules_until: str | None = None
    """The standing rules' own date bounds, to tell rules from this build's --since/--until."""
    counts: dict[str, int] = field(default_factory=dict)
    """Messages in the vault, and those the rules or this build's choices leave out."""
    transcribed: bool = True
    """Whether voice notes transcribed to text are read like typed messages."""

    def messages(
        self, vault: Vault, conversation: Conversation, digest: Hash | None = None
    ) -> Iterator[Row]:
        """The conversation's allowed messages in order, streamed from SQL.

        Each message yielded is also fed to `digest`, so the build can name its input by hash.
        """
        cursor = vault.db.execute(
            "SELECT id, sender_id, sent_at, sort_key, kind, text FROM messages "
            "WHERE conversation_id = ? AND (? OR NOT transcribed) ORDER BY sort_key, id",
            (conversation.id, self.transcribed),
        )
        excluded, since, until = self.excluded_people, self.since, self.until
        counts = self.counts
        for row in cursor:
            if row[1] in excluded:
                counts["excluded_by_rules"] += 1
                continue
            if since is not None or until is not None:
                day = row[2][:10]
                if (since is not None and day < since) or (until is not None and day > until):
                    ruled = (self.rules_since is not None and day < self.rules_since) or (
                        self.rules_until is not None and day > self.rules_until
                    )
                    counts["excluded_by_rules" if ruled else "left_out_by_choice"] += 1
                    continue
            if digest is not None:
                digest.update(repr(row).encode())
            yield row


def _me(vault: Vault) -> tuple[str, frozenset[int]]:
    ids = frozenset(row[0] for row in vault.db.execute("SELECT id FROM people WHERE is_me = 1"))
    if not ids:
        raise TwinError(NO_ME)
    chosen = (
        vault.db.execute(
            "SELECT alias FROM aliases JOIN people ON people.id = person_id "
            "WHERE is_me = 1 AND source = '*' ORDER BY person_id, alias LIMIT 1"
        ).fetchone()
        or vault.db.execute(
            "SELECT name FROM people WHERE is_me = 1 ORDER BY id LIMIT 1"
        ).fetchone()
    )
    return str(chosen[0]), ids


def _excluded_people(vault: Vault, contacts: set[str]) -> frozenset[int]:
    """People whose name or any alias is an excluded contact (compared casefolded, as rules do)."""
    if not contacts:
        return frozenset()
    found = {
        person
        for person, name in vault.db.execute("SELECT id, name FROM people")
        if name.casefold() in contacts
    }
    found |= {
        person
        for person, alias in vault.db.execute("SELECT person_id, alias FROM aliases")
        if alias.casefold() in contacts
    }
    return frozenset(found)


def _inferred_groups(vault: Vault) -> set[int]:
    """Conversations the source didn't mark: more than two people speaking makes a group."""
    return {
        row[0]
        for row in vault.db.execute(
            "SELECT conversation_id FROM messages WHERE conversation_id IN "
            "(SELECT id FROM conversations WHERE is_group IS NULL) "
            "GROUP BY conversation_id HAVING count(DISTINCT sender_id) > 2"
        )
    }


def _chosen(conversation: Conversation, options: BuildOptions) -> bool:
    if conversation.source == "script" and not options.with_scripts:
        return False  # dialogue scripts are someone else's words: only when asked for
    if options.sources and conversation.source.casefold() not in options.sources:
        return False
    if options.conversations:
        keys = {
            conversation.title.casefold(),
            conversation.external_id.casefold(),
            str(conversation.id),
        }
        return any(choice.casefold() in keys for choice in options.conversations)
    return True


def _ruled_out(conversation: Conversation, rules: RuleSet) -> bool:
    """`RuleSet.allows` for what a conversation alone decides: source, conversation, 1:1 contact."""
    if conversation.source.casefold() in rules.sources:
        return True
    if {conversation.title.casefold(), conversation.external_id.casefold()} & rules.conversations:
        return True
    return not conversation.is_group and conversation.title.casefold() in rules.contacts


def select(vault: Vault, options: BuildOptions) -> Selection:
    """Resolve the user, the rules and this build's choices into a `Selection`."""
    me, me_ids = _me(vault)
    rules = RuleSet.standing(vault, since=options.since, until=options.until)
    standing = RuleSet.standing(vault)
    groups = _inferred_groups(vault)
    per_conversation = dict(
        vault.db.execute("SELECT conversation_id, count(*) FROM messages GROUP BY conversation_id")
    )
    chosen: list[Conversation] = []
    counts = {
        "vault_messages": sum(per_conversation.values()),
        "excluded_by_rules": 0,
        "left_out_by_choice": 0,
    }
    for row in vault.db.execute(
        "SELECT id, source, external_id, title, is_group FROM conversations ORDER BY id"
    ):
        conversation = Conversation(
            row[0], row[1], row[2], row[3], bool(row[4]) if row[4] is not None else row[0] in groups
        )
        size = per_conversation.get(conversation.id, 0)
        if _ruled_out(conversation, standing):
            counts["excluded_by_rules"] += size
        elif not _chosen(conversation, options):
            counts["left_out_by_choice"] += size
        else:
            chosen.append(conversation)
    if options.conversations and not any(
        _chosen(c, options) for c in _all_conversations(vault, groups)
    ):
        raise TwinError(
            f"no conversation matches {', '.join(options.conversations)}; `twin stats` lists them"
        )
    names = dict(vault.db.execute("SELECT id, name FROM people"))
    return Selection(
        me=me,
        me_ids=me_ids,
        names=names,
        conversations=chosen,
        excluded_people=_excluded_people(vault, rules.contacts),
        since=rules.since.isoformat() if rules.since else None,
        until=rules.until.isoformat() if rules.until else None,
        rules=rules,
        rules_since=standing.since.isoformat() if standing.since else None,
        rules_until=standing.until.isoformat() if standing.until else None,
        counts=counts,
        transcribed=options.transcribed,
    )


def _all_conversations(vault: Vault, groups: set[int]) -> Iterator[Conversation]:
    for row in vault.db.execute(
        "SELECT id, source, external_id, title, is_group FROM conversations"
    ):
        yield Conversation(
            row[0], row[1], row[2], row[3], bool(row[4]) if row[4] is not None else row[0] in groups
        )
