"""Forgetting reaches the recall index: passages and vectors of forgotten records go too.

Notes and journal entries are forgotten with `twin.memory.store.forget_notes` (their passages
go by trigger); this hook runs inside `twin forget` for the messages it deletes.
"""

from __future__ import annotations

from twin.hookspecs import hookimpl
from twin.vault.forget import Forgotten
from twin.vault.vault import Vault


@hookimpl(specname="forget_derived")
def forget_message_passages(vault: Vault, gone: Forgotten) -> None:
    """Delete the passages (and, by trigger, vectors) of messages that no longer exist."""
    removed = vault.db.execute(
        "DELETE FROM chunks WHERE owner = 'message' AND owner_id NOT IN (SELECT id FROM messages)"
    ).rowcount
    if removed:
        gone.derived.append(f"{removed:,} recall passages of those messages")
    if removed or gone.notes:
        # Merge the keyword index so no segment keeps the forgotten words.
        vault.db.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')")
