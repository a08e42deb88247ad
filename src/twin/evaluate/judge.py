"""The automatic blind judge: who wrote this line, the person or someone else?

A small authorship classifier, the standard automatic check of style imitation: character
n-grams (2 to 4, within word boundaries, TF-IDF weighted) and logistic regression, trained on
the person's training-split lines against the other people's lines in the same chats. Its
share of *real* held-out replies attributed to the person is the ceiling a twin can reach;
the base model's share is the floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MIN_LINES = 4
"""Lines needed on each side before a judge means anything."""


class Judge:
    """A trained authorship classifier for one person."""

    def __init__(self, mine: Sequence[str], theirs: Sequence[str], *, seed: int = 0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.pipeline: Any = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
            LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed),
        )
        texts = [*mine, *theirs]
        labels = [1] * len(mine) + [0] * len(theirs)
        self.pipeline.fit(texts, labels)
        self.trained_on = (len(mine), len(theirs))

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """For each text, the judged probability that the person wrote it."""
        if not texts:
            return []
        return [float(p) for p in self.pipeline.predict_proba(list(texts))[:, 1]]

    def share(self, texts: Sequence[str]) -> float | None:
        """Share of `texts` the judge attributes to the person (None for no texts)."""
        found = self.probabilities(texts)
        return sum(p >= 0.5 for p in found) / len(found) if found else None


def train_judge(mine: Sequence[str], theirs: Sequence[str]) -> Judge | None:
    """A judge, or None when either side has too few lines to learn from."""
    if len(mine) < MIN_LINES or len(theirs) < MIN_LINES:
        return None
    return Judge(mine, theirs)
