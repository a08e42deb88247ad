"""The senders the vault holds, with how many messages each sent, and the closest to a name."""

from __future__ import annotations

import difflib

from twin.errors import TwinError
from twin.vault.vault import Vault
from twin.words import plural


def senders(vault: Vault, import_id: int | None = None) -> list[tuple[str, int]]:
    """Every sender with their message count, most active first (of one import, if given)."""
    where, params = "", []
    if import_id is not None:
        where, params = "WHERE messages.import_id = ?", [import_id]
    return [
        (str(name), int(count))
        for name, count in vault.db.execute(
            "SELECT people.name, count(*) AS sent FROM messages "
            f"JOIN people ON people.id = messages.sender_id {where} "
            "GROUP BY people.id ORDER BY sent DESC, people.name",
            params,
        )
    ]


def is_sender_name(vault: Vault, name: str) -> bool:
    """Whether a stored sender goes by `name` (their name or an alias, as written).

    One index probe per person of that name, not a read of every message's sender.
    """
    return (
        vault.db.execute(
            "SELECT 1 FROM people WHERE name = ?1 AND EXISTS "
            "(SELECT 1 FROM messages WHERE sender_id = people.id) UNION ALL "
            "SELECT 1 FROM aliases WHERE alias = ?1 AND EXISTS "
            "(SELECT 1 FROM messages WHERE sender_id = aliases.person_id) LIMIT 1",
            (name,),
        ).fetchone()
        is not None
    )


def closest_sender(name: str, names: list[str]) -> str | None:
    """The sender `name` most likely means: same letters in another case, a whole word of the
    sender's name ("Alex" for "Alex Moreno"), or else a near spelling ("Alexx" for "Alex")."""
    wanted = name.strip().casefold()
    if not wanted:
        return None
    for candidate in names:
        if candidate.casefold() == wanted:
            return candidate
    for candidate in names:
        if wanted in candidate.casefold().split():
            return candidate
    folded = {candidate.casefold(): candidate for candidate in names}
    near = difflib.get_close_matches(wanted, list(folded), n=1, cutoff=0.6)
    if near:
        return folded[near[0]]
    starts = [candidate for candidate in names if candidate.casefold().startswith(wanted)]
    return starts[0] if starts else None


class UnknownSender(TwinError):
    """A name given as the user's (``--me``, ``twin me``) that no stored sender goes by."""

    def __init__(self, name: str, found: list[tuple[str, int]], where: str = "") -> None:
        self.name = name
        self.found = found
        """The senders to choose from, with their message counts, most active first."""
        self.suggestion = closest_sender(name, [who for who, _ in found])
        listed = ", ".join(f"{who} ({plural(n, 'message')})" for who, n in found[:10])
        more = f" and {plural(len(found) - 10, 'more sender')}" if len(found) > 10 else ""
        hint = f" Did you mean {self.suggestion!r}?" if self.suggestion else ""
        super().__init__(
            f"{where}no sender is named {name!r}. Senders found: {listed}{more}.{hint} "
            f"Give one of these names, or add --force to keep {name!r} for later imports"
        )


def check_me(vault: Vault, name: str, where: str = "", import_id: int | None = None) -> None:
    """Refuse `name` as the user's when the vault has senders and none goes by that name.

    The senders listed are those of `import_id` when given (what the person is looking at),
    else all; the name may be any stored sender's, of this import or an earlier one. A vault
    with no senders yet takes any name: there is nothing to check it against.
    """
    name = name.strip()
    if is_sender_name(vault, name):
        return
    found = (senders(vault, import_id) if import_id is not None else []) or senders(vault)
    if found:
        raise UnknownSender(name, found, where)
