"""Which datasets and training runs a `twin forget` would take with it, found without deleting.

The rules are those of the ``forget_derived`` hooks in `twin.dataset.store` and `twin.train.runs`:
whatever was built from a conversation or note that goes, goes too.
"""

from __future__ import annotations

from twin.dataset.store import dataset_names, referenced_records
from twin.errors import TwinError
from twin.train.runs import list_runs
from twin.vault.forget_preview import ForgetPreview
from twin.vault.vault import Vault


def datasets_going(vault: Vault, preview: ForgetPreview) -> list[str]:
    """The datasets built from a conversation or note that the forget removes or touches."""
    if not preview.conversation_ids and not preview.note_ids:
        return []
    names = []
    for name in dataset_names(vault.home):
        try:
            chats, notes = referenced_records(vault, name)
        except (ValueError, KeyError, TypeError, AttributeError, TwinError):
            chats, notes = preview.conversation_ids, preview.note_ids  # can't tell: it goes
        if chats & preview.conversation_ids or notes & preview.note_ids:
            names.append(name)
    return names


def runs_going(vault: Vault, preview: ForgetPreview) -> list[str]:
    """The training runs that learned from a conversation the forget touches."""
    return [
        run.id
        for run in list_runs(vault.home)
        if preview.conversation_ids & set(run.conversation_ids)
    ]
