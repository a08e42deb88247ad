"""Evaluations and blind-test picks, kept in the vault (they hold the person's words).

Each evaluation is one row keyed by run id, its result as JSON. The headline figures (numbers
only, no text) are also written next to the run as ``evaluation.json`` so that `twin runs
list` can show them without unlocking the vault. Forgetting a conversation or a note deletes
every evaluation that read it, and its blind-test picks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from twin.atomic import write_text
from twin.evaluate.results import EvalResult
from twin.home import Home
from twin.hookspecs import hookimpl
from twin.vault.forget import Forgotten
from twin.vault.vault import Vault

HEADLINE_FILE = "evaluation.json"


def save_evaluation(vault: Vault, result: EvalResult) -> int:
    """Store `result`; return its id."""
    with vault.transaction():
        cursor = vault.db.execute(
            "INSERT INTO evaluations (run_id, created_at, quick, conversation_ids, note_ids, "
            "result) VALUES (?, ?, ?, ?, ?, ?)",
            (
                result.run_id,
                result.created_at,
                int(result.quick),
                json.dumps(result.conversation_ids),
                json.dumps(result.note_ids),
                json.dumps(result.to_json(), ensure_ascii=False),
            ),
        )
    return int(cursor.lastrowid or 0)


def write_headline(home: Home, result: EvalResult) -> None:
    """The headline figures beside the run, for `twin runs list`."""
    folder = home.runs / result.run_id
    if folder.is_dir():
        write_text(folder / HEADLINE_FILE, json.dumps(result.headline(), indent=2) + "\n")


def read_headline(home: Home, run_id: str) -> dict[str, object] | None:
    """The headline figures of a run's latest evaluation, if it has one."""
    path = home.runs / run_id / HEADLINE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def headline_summary(home: Home, run_id: str) -> str:
    """The headline of a run's latest evaluation in a few words, ``-`` when it has none."""
    found = read_headline(home, run_id)
    if not found:
        return "-"
    parts = []
    if isinstance(found.get("perplexity"), float):
        part = f"ppl {found['perplexity']:.1f}"
        if isinstance(found.get("base_perplexity"), float):
            part += f" (base {found['base_perplexity']:.1f})"
        parts.append(part)
    for key, label in (("sounds_like_you", "like you"), ("facts_correct", "facts")):
        value = found.get(key)
        if isinstance(value, float | int):
            parts.append(f"{label} {value:.0%}")
    if isinstance(found.get("leaks"), int):
        parts.append(f"leaks {found['leaks']}")
    blind = found.get("blind_test")
    if isinstance(blind, dict) and isinstance(blind.get("pass_rate"), float | int):
        parts.append(f"blind {blind['pass_rate']:.0%} of {blind.get('rounds')}")
    return ", ".join(parts) or "-"


def latest_evaluation(vault: Vault, run_id: str | None = None) -> EvalResult | None:
    """The newest evaluation of `run_id` (of any run when None), or None."""
    sql = "SELECT result FROM evaluations"
    values: tuple[str, ...] = ()
    if run_id is not None:
        sql += " WHERE run_id = ?"
        values = (run_id,)
    row = vault.db.execute(sql + " ORDER BY id DESC LIMIT 1", values).fetchone()
    return EvalResult.from_json(json.loads(row[0])) if row else None


def evaluations(vault: Vault, run_id: str) -> list[EvalResult]:
    """Every evaluation of `run_id`, oldest first."""
    rows = vault.db.execute(
        "SELECT result FROM evaluations WHERE run_id = ? ORDER BY id", (run_id,)
    )
    return [EvalResult.from_json(json.loads(text)) for (text,) in rows]


@dataclass(frozen=True)
class Pick:
    """One blind-test round: was the twin's reply taken for the real one?"""

    run_id: str
    context: list[dict[str, str]]
    real: str
    twin: str
    twin_picked: bool


def save_pick(vault: Vault, pick: Pick, when: str, conversation_ids: list[int]) -> None:
    """Store one blind-test round, with the conversations its context came from."""
    with vault.transaction():
        vault.db.execute(
            "INSERT INTO blind_picks (run_id, created_at, conversation_ids, context, real, twin, "
            "twin_picked) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                pick.run_id,
                when,
                json.dumps(conversation_ids),
                json.dumps(pick.context, ensure_ascii=False),
                pick.real,
                pick.twin,
                int(pick.twin_picked),
            ),
        )


def picks(vault: Vault, run_id: str) -> list[bool]:
    """For every stored round of `run_id`'s blind test: whether the twin was picked."""
    rows = vault.db.execute(
        "SELECT twin_picked FROM blind_picks WHERE run_id = ? ORDER BY id", (run_id,)
    )
    return [bool(value) for (value,) in rows]


@hookimpl(specname="forget_derived")
def forget_evaluations(vault: Vault, gone: Forgotten) -> None:
    """Delete evaluations (and blind-test picks) that read a conversation or note going."""
    if not gone.conversation_ids and not gone.note_ids:
        return
    doomed: set[str] = set()
    rows = vault.db.execute("SELECT id, run_id, conversation_ids, note_ids FROM evaluations")
    for row_id, run_id, chats, notes in rows.fetchall():
        if set(json.loads(chats)) & gone.conversation_ids or set(json.loads(notes)) & gone.note_ids:
            vault.db.execute("DELETE FROM evaluations WHERE id = ?", (row_id,))
            gone.derived.append(
                f"evaluation {row_id} of run {run_id} (it quoted records now forgotten)"
            )
            doomed.add(run_id)
    for run_id in doomed:
        (vault.home.runs / run_id / HEADLINE_FILE).unlink(missing_ok=True)
    rows = vault.db.execute("SELECT id, run_id, conversation_ids FROM blind_picks")
    for row_id, run_id, chats in rows.fetchall():
        if set(json.loads(chats)) & gone.conversation_ids or run_id in doomed:
            vault.db.execute("DELETE FROM blind_picks WHERE id = ?", (row_id,))
            gone.derived.append(f"blind-test pick {row_id} of run {run_id}")
