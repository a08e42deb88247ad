"""What one evaluation found, as plain dataclasses that go to and from JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class ModelFigures:
    """The figures of one model (the twin, or the base model it was trained from)."""

    model: str
    """``twin`` or ``base``."""
    perplexity: float | None = None
    """Of the person's real held-out replies; lower is closer."""
    style_distance: float | None = None
    """Style profile distance to the person's real replies, 0 (same) to 1."""
    style_profile: dict[str, float] = field(default_factory=dict)
    judged_as_you: float | None = None
    """Share of its replies the authorship judge attributes to the person."""
    facts_correct: float | None = None
    """Share of answerable fact questions answered right."""
    facts_asked: int = 0
    abstained: float | None = None
    """Share of unanswerable questions where it declined instead of inventing."""
    unanswerable_asked: int = 0
    held_back: float | None = None
    """Share of its replies in which the grounding guard removed a claim."""
    leaks: int = 0
    """Replies that reproduce 8+ words of a private entry or a redacted original."""
    replies: int = 0
    everyday_real: float | None = None
    """Share of replies to everyday openers that are real replies (no abstention, no fragment)."""
    everyday_unsupported: float | None = None
    """Share of replies to everyday openers stating a detail of the person's life that nothing
    in the vault's facts mentions (`twin.evaluate.everyday`)."""
    everyday_asked: int = 0
    corrections: dict[str, float] = field(default_factory=dict)
    """What the person's corrections did (`twin.evaluate.corrections.figures`): checked, close,
    closer_than_before, similarity, similarity_before."""
    facts_by_topic: dict[str, list[int]] = field(default_factory=dict)
    """Per topic (note title, ``journal``, ``persona``): [answered right, asked]."""
    style_by_topic: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per conversation: replies, judged_as_you and style distance."""

    @property
    def leak_rate(self) -> float | None:
        return self.leaks / self.replies if self.replies else None


@dataclass
class Sample:
    """One held-out context with the real reply and the generated ones."""

    context: list[dict[str, str]]
    real: str
    topic: str
    twin: str | None = None
    base: str | None = None


@dataclass
class Answer:
    """One fact question and how each model answered it."""

    question: str
    expected: str | None
    topic: str
    replies: dict[str, str] = field(default_factory=dict)
    right: dict[str, bool] = field(default_factory=dict)
    """Per model: answered right (answerable) or abstained (unanswerable)."""


@dataclass
class EvalResult:
    """Everything `twin eval` measured for one run, with the headline figures at the top."""

    run_id: str
    """The run evaluated, or ``base`` for the base model alone."""
    dataset: str
    created_at: str
    quick: bool
    seconds: float = 0.0
    held_out: int = 0
    """Held-out replies the style and judge figures are over."""
    fit_tokens: int = 0
    """Reply tokens the perplexities are over."""
    ceiling: float | None = None
    """Share of the person's real held-out replies the judge attributes to them."""
    reference_distance: float | None = None
    """Style distance between two halves of the person's own held-out replies."""
    person_profile: dict[str, float] = field(default_factory=dict)
    judge_lines: list[int] = field(default_factory=list)
    """Lines the judge learned from: [the person's, other people's]."""
    twin: ModelFigures | None = None
    base: ModelFigures | None = None
    samples: list[Sample] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    everyday: list[dict[str, Any]] = field(default_factory=list)
    """Each everyday opener, each model's reply, and the unsupported details in it."""
    corrections: list[dict[str, Any]] = field(default_factory=list)
    """Each correction checked (`twin.evaluate.corrections.CorrectionCheck`, as plain data)."""
    conversation_ids: list[int] = field(default_factory=list)
    note_ids: list[int] = field(default_factory=list)
    report: str | None = None
    """Where the HTML report was written."""

    @property
    def sounds_like_you(self) -> float | None:
        """The headline: the twin's judged-as-you share over the ceiling, at most 1.

        The ceiling is the judge's share for your own real replies; a twin taken for you more
        often than they are is as like you as the judge can tell (on a few dozen held-out
        replies the excess is noise), so it reads 100%, never 120%.
        """
        if self.twin is None or self.twin.judged_as_you is None or not self.ceiling:
            return None
        return min(1.0, self.twin.judged_as_you / self.ceiling)

    def models(self) -> list[ModelFigures]:
        return [figures for figures in (self.twin, self.base) if figures is not None]

    def headline(self) -> dict[str, Any]:
        """The few figures `twin runs list` and the hub show."""
        main = self.twin or self.base
        return {
            "run_id": self.run_id,
            "created_at": self.created_at,
            "quick": self.quick,
            "perplexity": main.perplexity if main else None,
            "base_perplexity": self.base.perplexity if self.base else None,
            "sounds_like_you": self.sounds_like_you,
            "facts_correct": main.facts_correct if main else None,
            "abstained": main.abstained if main else None,
            "leaks": main.leaks if main else None,
        }

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvalResult:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for name in ("twin", "base"):
            if values.get(name) is not None:
                values[name] = _figures(values[name])
        values["samples"] = [Sample(**s) for s in values.get("samples", [])]
        values["answers"] = [Answer(**a) for a in values.get("answers", [])]
        return cls(**values)


def _figures(data: dict[str, Any]) -> ModelFigures:
    known = {f.name for f in fields(ModelFigures)}
    return ModelFigures(**{key: value for key, value in data.items() if key in known})
