"""The refinement cycle (`twin refine`): train a candidate, evaluate it, keep it only if better.

1. The current twin's dataset is built again with the options it was built with, so what was
   added to the vault since (messages, notes, journal, corrections) is in it. The candidate
   continues the current twin (the latest good run) on its new examples (`twin train
   --continue`), then a DPO round on the person's feedback when there is any (`twin train
   --preferences`).
2. The candidate and the current twin are evaluated on the same held-out set (their dataset's
   validation split; `twin eval`), the current twin's stored evaluation reused when it has one
   of the same kind (quick or full).
3. The candidate becomes the twin only if its headline figures are not worse (`not_worse`):
   held-out perplexity within `PERPLEXITY_SLACK`, fact answers and abstentions within
   `SHARE_SLACK`, no more leaks. Otherwise it is marked failed with the reason, so the latest
   good run, the twin everything speaks through, stays the old one.

It never runs while the person is chatting: `twin chat` holds a shared lock on the home's
``chat.lock``, which refine asks for exclusively and without waiting. To run it nightly, a cron
line such as ``0 4 * * * TWIN_PASSPHRASE_FILE=… twin --passphrase-file ~/.twin-pass refine``
or a systemd user timer calling the same command will do.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from twin.errors import TwinError
from twin.evaluate.results import EvalResult
from twin.home import Home
from twin.train.dpo import Preference, train_preferences
from twin.train.runs import Run, latest_good_run
from twin.vault.sealed import Sealer
from twin.vault.vault import Vault

PERPLEXITY_SLACK = 0.02
"""A candidate may be this much (relative) worse on perplexity and still count as not worse."""
SHARE_SLACK = 0.0
"""Fact and abstention shares may not fall at all."""
CHAT_LOCK = "chat.lock"


@dataclass
class Refined:
    """What one refinement did."""

    current: str
    candidate: str | None
    kept: bool
    """Whether the candidate became the twin."""
    reason: str
    before: EvalResult | None = None
    after: EvalResult | None = None


@contextmanager
def chatting(home: Home) -> Iterator[None]:
    """Held by `twin chat` for as long as the person is chatting (shared: several may chat)."""
    path = Path(home.path) / CHAT_LOCK
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def nobody_chatting(home: Home) -> Iterator[None]:
    """Refuse (at once, not waiting) while someone chats with the twin."""
    path = Path(home.path) / CHAT_LOCK
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TwinError(
                "you are chatting with your twin; refine runs once the chat ends"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def not_worse(before: EvalResult, after: EvalResult) -> tuple[bool, str]:
    """Whether `after`'s headline figures are not worse than `before`'s, and why (not)."""
    old, new = before.twin or before.base, after.twin or after.base
    if old is None or new is None:
        return False, "an evaluation has no figures"
    problems = []
    if old.perplexity is not None and (
        new.perplexity is None or new.perplexity > old.perplexity * (1 + PERPLEXITY_SLACK)
    ):
        problems.append(f"held-out perplexity {old.perplexity:.2f} -> {new.perplexity}")
    for label, was, now in (
        ("facts answered", old.facts_correct, new.facts_correct),
        ("abstentions", old.abstained, new.abstained),
    ):
        if was is not None and (now is None or now < was - SHARE_SLACK):
            problems.append(f"{label} {was:.0%} -> {'none' if now is None else f'{now:.0%}'}")
    if new.leaks > old.leaks:
        problems.append(f"leaks {old.leaks} -> {new.leaks}")
    if problems:
        return False, "worse: " + "; ".join(problems)
    return True, "not worse on any headline figure"


Evaluator = Callable[[Run], EvalResult]


def refine(
    home: Home,
    vault: Vault,
    preferences: Sequence[Preference],
    evaluate_run: Evaluator,
    *,
    train_candidate: Callable[[Run], Run | None] | None = None,
    stored: EvalResult | None = None,
    rebuild: bool = True,
) -> Refined:
    """One refinement round; `evaluate_run` evaluates a run (see `twin.evaluate.evaluate`).

    `stored` is the current twin's evaluation, reused unless the rebuilt dataset's held-out
    examples changed; `rebuild=False` trains on the dataset as it stands."""
    from twin.dataset.rebuild import rebuild_dataset

    with nobody_chatting(home):
        current = latest_good_run(home)
        if current is None:
            raise TwinError("nothing to refine yet: train your twin first with `twin train`")
        if rebuild and rebuild_dataset(vault, current.dataset):
            stored = None  # the held-out set may have moved: both are evaluated on the new one
        candidate = (train_candidate or (lambda run: _continue(home, run, vault.sealer)))(current)
        if preferences:
            parent = candidate or current
            candidate = train_preferences(home, preferences, parent=parent, sealer=vault.sealer)
        if candidate is None:
            return Refined(current.id, None, False, "nothing was added since; the twin stays")
        before = stored if stored is not None else evaluate_run(current)
        after = evaluate_run(candidate)
        kept, reason = not_worse(before, after)
        if not kept:
            candidate.status = "failed"
            candidate.message = f"refine kept run {current.id}: {reason}"
            candidate.save()
        return Refined(current.id, candidate.id, kept, reason, before, after)


def _continue(home: Home, current: Run, sealer: Sealer) -> Run | None:
    """`twin train --continue` on the current twin's dataset; None when nothing is new."""
    from twin.train.training import TrainRequest, train

    request = TrainRequest(dataset=current.dataset, continue_training=True, sealer=sealer)
    try:
        return train(home, request, progress=True)
    except TwinError as error:
        if "nothing was added" in str(error):
            return None
        raise
