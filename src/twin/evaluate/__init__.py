"""Measuring the twin against its person: fit, style, who-wrote-it, facts, leaks, blind test.

Everything is measured on the dataset's validation split (sessions the run never trained on)
and on the person's own notes, journal and persona; nothing leaves the machine. The figures
are stored in the vault with the run (`store`), shown by `twin eval` and written as an HTML
report (`report`). `evaluate` runs it all; `latest_evaluation` reads the last result back.
"""

from __future__ import annotations

from twin.evaluate.results import EvalResult, ModelFigures
from twin.evaluate.store import latest_evaluation

__all__ = ["EvalResult", "ModelFigures", "evaluate", "latest_evaluation"]


def __getattr__(name: str) -> object:
    # `evaluate` pulls in torch and the models: import it only when it is asked for.
    if name == "evaluate":
        from twin.evaluate.run import evaluate

        return evaluate
    raise AttributeError(name)
