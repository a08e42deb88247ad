"""`evaluate`: every measurement of one run (or of the base model alone), stored with it.

Read top to bottom: find the run, its dataset and the held-out replies; load the base model
and the twin; score fit; let both models reply to the held-out contexts and answer the fact
questions through the real chat path; judge, profile and check for leaks; store the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twin.chat.engine import TransformersEngine, base_step_store, step_store
from twin.chat.twin import Twin
from twin.dataset.store import has_file, referenced_records
from twin.errors import TwinError
from twin.evaluate import corrections as correction_checks
from twin.evaluate import everyday
from twin.evaluate import facts as fact_questions
from twin.evaluate.generate import Generated, replies
from twin.evaluate.heldout import HeldOut, held_out, newest_dataset, split_text, training_lines
from twin.evaluate.judge import Judge, train_judge
from twin.evaluate.leaks import LeakDetector, leak_detector
from twin.evaluate.perplexity import score
from twin.evaluate.results import Answer, EvalResult, ModelFigures, Sample
from twin.evaluate.store import save_evaluation, write_headline
from twin.evaluate.style import distance, halves, profile
from twin.home import Home
from twin.memory.embeddings import Embeds, default_embedder
from twin.train.data import example_key
from twin.train.runs import Run, get_run, latest_good_run
from twin.vault.vault import Vault

BASE = "base"
"""The run id under which an evaluation of the base model alone is stored."""


@dataclass(frozen=True)
class Sizes:
    """How much an evaluation looks at."""

    replies: int
    """Held-out contexts both models reply to (style, judge, blind test)."""
    facts: int
    """Answerable fact questions."""
    unanswerable: int
    fit: int
    """Held-out replies scored for perplexity."""
    everyday: int = 0
    """Everyday openers replied to (`twin.evaluate.everyday`)."""
    corrections: int = 0
    """The person's latest corrections checked (`twin.evaluate.corrections`)."""


QUICK = Sizes(replies=8, facts=6, unanswerable=3, fit=20, everyday=10, corrections=8)
FULL = Sizes(replies=16, facts=12, unanswerable=4, fit=200, everyday=20, corrections=20)
"""Chosen so that both finish on the sample data in a few minutes on a 2-core CPU."""


def sizes_for(quick: bool, replies: int | None = None, questions: int | None = None) -> Sizes:
    """The sizes of a quick or full evaluation, with the user's own counts where given.

    Of `questions`, about a third are unanswerable ones.
    """
    chosen = QUICK if quick else FULL
    if replies is not None:
        if replies < 1:
            raise TwinError("--replies must be 1 or more")
        chosen = replace(chosen, replies=replies)
    if questions is not None:
        if questions < 0:
            raise TwinError("--questions must be 0 or more")
        unanswerable = questions // 3
        chosen = replace(chosen, facts=questions - unanswerable, unanswerable=unanswerable)
    return chosen


@dataclass
class _Model:
    name: str
    """``twin`` or ``base``."""
    model: Any
    tokenizer: Any
    twin: Twin


def evenly(items: Sequence[Any], count: int) -> list[Any]:
    """`count` items spread evenly over `items` (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def _dataset(vault: Vault, run: Run | None, name: str | None) -> str:
    """The dataset whose held-out split is evaluated: the run's own, else `name` or the newest."""
    if run is None:
        return name or newest_dataset(vault.home)
    if split_text(vault, run.dataset, "val.jsonl") is None:
        raise TwinError(
            f"run {run.id} was trained on dataset {run.dataset!r}, which is no longer there: "
            "its held-out replies are gone, so it cannot be evaluated"
        )
    return run.dataset


def unseen(examples: list[HeldOut], run: Run | None) -> list[HeldOut]:
    """The held-out examples the run (and the runs it continued from) never trained on.

    A dataset rebuilt after training can move examples between splits; the run's own list of
    what it trained on settles it.
    """
    if run is None or not run.seen_examples.is_file():
        return examples
    seen = set(run.seen_examples.read_text(encoding="utf-8").split())
    kept = [e for e in examples if example_key(e.messages) not in seen]
    if not kept:
        raise TwinError(
            f"run {run.id} trained on every example of its dataset's validation split: "
            "nothing is held out (the dataset was rebuilt since); train again, then evaluate"
        )
    return kept


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int], Callable[[], None]]]:
    """A rich progress display; yields ``task(description, total) -> advance``."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=(console := Console(stderr=True)),
        disable=not enabled or not console.is_terminal,  # in a log, the lines say enough
    ) as bar:

        def task(description: str, total: int) -> Callable[[], None]:
            number = bar.add_task(description, total=total)
            return lambda: bar.advance(number)

        yield task


def _load(
    home: Home, vault: Vault, run: Run | None, embedder: Embeds, *, with_twin: bool
) -> list[_Model]:
    from twin.models.loading import load_model
    from twin.models.registry import resolve_model
    from twin.train.load import load_twin

    base_dir = run.base_path(home) if run is not None else resolve_model(home, None)
    loaded = []
    if run is not None and with_twin:
        model, tokenizer, _ = load_twin(home, run.id, sealer=vault.sealer)
        loaded.append(("twin", model, tokenizer, run.id, step_store(home, run, vault.sealer)))
    model, tokenizer = load_model(base_dir)
    loaded.append(("base", model, tokenizer, base_dir.name, base_step_store(base_dir)))
    models = []
    for name, model, tokenizer, label, store in loaded:
        engine = TransformersEngine(model, tokenizer, label)
        engine.step_store = store  # replies through the same path as chat's
        models.append(_Model(name, model, tokenizer, Twin(vault, engine, embedder)))
    return models


def evaluate(
    vault: Vault,
    home: Home,
    run_id: str | None = None,
    *,
    quick: bool = False,
    base_only: bool = False,
    dataset: str | None = None,
    sizes: Sizes | None = None,
    embedder: Embeds | None = None,
    report: Path | None = None,
    progress: bool = True,
    seed: int = 0,
) -> EvalResult:
    """Evaluate run `run_id` (the latest completed run when None) against the base model.

    With `base_only`, or before any run exists, the base model alone is evaluated (the run's
    base model on its dataset, or before any run the default model on `dataset`, the newest
    when None) and stored as run ``base``. The result is stored in the vault and its headline
    next to the run; an HTML report is written to `report` (or the default place).
    """
    started = time.monotonic()
    run = get_run(home, run_id) if run_id else latest_good_run(home)
    if run is not None and not run.has_adapter and not base_only:
        raise TwinError(f"run {run.id} has no saved adapter yet (status: {run.status})")
    if base_only and dataset is not None:
        name = _dataset(vault, None, dataset)
    else:
        name = _dataset(vault, run, dataset)
    sizes = sizes or (QUICK if quick else FULL)
    examples = unseen(held_out(vault, name), run)
    chosen = evenly(examples, sizes.replies)
    embedder = embedder or default_embedder()
    persona = None
    with _progress(progress) as task:
        loaded = task("loading the twin and its base model", 1)
        models = _load(home, vault, run, embedder, with_twin=not base_only)
        loaded()
        persona = models[0].twin.persona
        asked = _questions(vault, persona, sizes)
        seq_len = run.config.seq_len if run is not None else 1024
        fit_set = [e.messages for e in evenly(examples, sizes.fit)]
        fits = {}
        for m in models:
            fits[m.name] = score(
                m.model,
                models[0].tokenizer,
                fit_set,
                seq_len=seq_len,
                advance=task(f"fit ({m.name})", len(fit_set)),
            )
        made: dict[str, list[Generated]] = {}
        answers: dict[str, list[Generated]] = {}
        talk: dict[str, list[Generated]] = {}
        openers = everyday.openers(sizes.everyday) if sizes.everyday else []
        trained_at = run.created if run is not None and not base_only else None
        corrected = correction_checks.given_before(
            vault, trained_at, sizes.corrections, name if trained_at is not None else None
        )
        checks = correction_checks.checks(embedder, corrected)
        for m in models:
            made[m.name] = replies(
                m.twin,
                [e.chat for e in chosen],
                seed=seed,
                advance=task(f"replies ({m.name})", len(chosen)),
            )
            answers[m.name] = replies(
                m.twin,
                [[{"role": "user", "content": q.text}] for q in asked],
                seed=seed,
                advance=task(f"fact questions ({m.name})", len(asked)),
            )
            talk[m.name] = replies(
                m.twin,
                [[{"role": "user", "content": text}] for text in openers],
                seed=seed,
                advance=task(f"everyday openers ({m.name})", len(openers)),
            )
            if checks:
                again = replies(
                    m.twin,
                    [c.prompt for c in corrected],
                    seed=seed,
                    advance=task(f"corrections ({m.name})", len(corrected)),
                )
                correction_checks.score(embedder, checks, m.name, [g.text for g in again])
    chats = (
        set(referenced_records(vault, name)[0])
        if has_file(vault.home, name, "stats.json")
        else set()
    )
    mine, theirs = training_lines(vault, name)
    judge = train_judge(mine, theirs)
    detector = leak_detector(vault, name)
    real = [e.reply for e in chosen]
    result = EvalResult(
        run_id=run.id if run is not None and not base_only else BASE,
        dataset=name,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        quick=quick,
        held_out=len(chosen),
        fit_tokens=next((f.tokens for f in fits.values() if f is not None), 0),
        ceiling=judge.share(real) if judge else None,
        reference_distance=distance(*map(profile, halves(real))) if len(real) >= 2 else None,
        person_profile=profile(real).features(),
        judge_lines=[len(mine), len(theirs)],
        conversation_ids=sorted(set(run.conversation_ids if run else ()) | chats),
        note_ids=sorted({q.note_id for q in asked if q.note_id is not None}),
    )
    known = everyday.known_words(vault, persona)
    for m in models:
        figures = _figures(
            m.name,
            fits[m.name],
            made[m.name],
            answers[m.name],
            chosen,
            asked,
            real,
            judge,
            detector,
        )
        texts = [g.text for g in talk[m.name]]
        figures.everyday_real, figures.everyday_unsupported = everyday.shares(texts, known)
        figures.everyday_asked = len(texts)
        figures.leaks += sum(detector.leaks(text) for text in texts)
        figures.corrections = correction_checks.figures(checks, m.name)
        setattr(result, m.name, figures)
    result.everyday = [
        {
            "opener": text,
            "replies": {name: found[i].text for name, found in talk.items()},
            "unsupported": {
                name: sorted(everyday.unsupported(found[i].text, known))
                for name, found in talk.items()
            },
        }
        for i, text in enumerate(openers)
    ]
    result.corrections = [asdict(check) for check in checks]
    result.samples = [
        Sample(e.chat, e.reply, e.topic, *(_text(made, name, i) for name in ("twin", "base")))
        for i, e in enumerate(chosen)
    ]
    result.answers = [
        Answer(
            q.text,
            q.expected,
            q.topic,
            {name: found[i].text for name, found in answers.items()},
            {name: _right(q, found[i].text) for name, found in answers.items()},
        )
        for i, q in enumerate(asked)
    ]
    result.seconds = round(time.monotonic() - started, 1)
    from twin.evaluate.report import save_report

    result.report = str(save_report(result, home, vault.sealer, report))  # sealed unless named
    save_evaluation(vault, result)
    write_headline(home, result)
    return result


def _text(made: dict[str, list[Generated]], name: str, index: int) -> str | None:
    return made[name][index].text if name in made else None


def _questions(vault: Vault, persona: Any, sizes: Sizes) -> list[fact_questions.Question]:
    found = fact_questions.vault_questions(vault, persona)
    answerable = fact_questions.spread(found, sizes.facts)
    swapped = fact_questions.unanswerable(
        found, fact_questions.absent_names(vault), fact_questions.known_entities(vault)
    )
    return answerable + fact_questions.spread(swapped, sizes.unanswerable)


def _right(question: fact_questions.Question, reply: str) -> bool:
    if question.expected is None:
        return fact_questions.abstains(reply)
    return fact_questions.answered(reply, question.expected)


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _figures(
    name: str,
    fit: Any,
    made: list[Generated],
    answered: list[Generated],
    chosen: list[HeldOut],
    asked: list[fact_questions.Question],
    real: list[str],
    judge: Judge | None,
    detector: LeakDetector,
) -> ModelFigures:
    texts = [g.text for g in made]
    everything = made + answered
    right = [_right(q, g.text) for q, g in zip(asked, answered, strict=True)]
    by_topic: dict[str, list[int]] = {}
    for question, ok in zip(asked, right, strict=True):
        if question.answerable:
            counts = by_topic.setdefault(question.topic, [0, 0])
            counts[0] += ok
            counts[1] += 1
    style_topics: dict[str, dict[str, float]] = {}
    for topic in dict.fromkeys(e.topic for e in chosen):
        idx = [i for i, e in enumerate(chosen) if e.topic == topic]
        entry: dict[str, float] = {
            "replies": float(len(idx)),
            "style_distance": distance(
                profile([texts[i] for i in idx]), profile([real[i] for i in idx])
            ),
        }
        share = judge.share([texts[i] for i in idx]) if judge else None
        if share is not None:
            entry["judged_as_you"] = share
        style_topics[topic] = entry
    facts_right = [ok for q, ok in zip(asked, right, strict=True) if q.answerable]
    abstained = [ok for q, ok in zip(asked, right, strict=True) if not q.answerable]
    return ModelFigures(
        model=name,
        perplexity=fit.perplexity if fit is not None else None,
        style_distance=distance(profile(texts), profile(real)) if texts else None,
        style_profile=profile(texts).features(),
        judged_as_you=judge.share(texts) if judge else None,
        facts_correct=_share(facts_right),
        facts_asked=len(facts_right),
        abstained=_share(abstained),
        unanswerable_asked=len(abstained),
        held_back=_share([g.held_back for g in everything]),
        leaks=sum(detector.leaks(g.text) for g in everything),
        replies=len(everything),
        facts_by_topic=by_topic,
        style_by_topic=style_topics,
    )
