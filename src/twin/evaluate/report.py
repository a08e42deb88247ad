"""The HTML report of an evaluation: one file, plots embedded as PNG, opens offline.

It holds figures and plots, and the topics they are about: the titles of notes and
conversations, which name people and places of the person's life. So the report kept in the
twin home is sealed (``reports/eval-RUN-STAMP.html.sealed``, AES-GCM under a key derived from
the vault key, like datasets); `twin report --out PATH` writes it out to read in a browser,
and `twin eval --report PATH` writes it straight to a place the user names. Those two are
plain files, and say so. The held-out replies and the twin's answers stay in the vault.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twin.atomic import write_text
from twin.errors import TwinError
from twin.evaluate.results import EvalResult, ModelFigures
from twin.evaluate.style import FEATURES
from twin.home import Home
from twin.vault.sealed import SUFFIX, Sealer

COLOURS = {"person": "#4c72b0", "twin": "#dd8452", "base": "#8c8c8c"}


def reports_folder(home: Home) -> Path:
    return home.path / "reports"


def default_report_path(home: Home, result: EvalResult) -> Path:
    """Where the sealed report of `result` is kept in the home."""
    stamp = result.created_at.replace(":", "").replace("-", "")[:15]
    return reports_folder(home) / f"eval-{result.run_id}-{stamp}.html{SUFFIX}"


def report_label(path: Path) -> str:
    """What a sealed report is sealed as: it opens only under its own name."""
    return f"reports/{path.name.removesuffix(SUFFIX)}"


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bars(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    colours: Sequence[str],
    ylabel: str,
) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4.2, 3))
    shown = [v if v is not None else 0.0 for v in values]
    bars = axes.bar(labels, shown, color=colours)
    for bar, value in zip(bars, values, strict=True):
        axes.annotate(
            "n/a" if value is None else f"{value:.2f}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=9,
        )
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _style_plot(result: EvalResult) -> str:
    import matplotlib.pyplot as plt
    import numpy as np

    rows = [("person", result.person_profile)] + [
        (m.model, m.style_profile) for m in result.models()
    ]
    figure, axes = plt.subplots(figsize=(7, 3.2))
    positions = np.arange(len(FEATURES))
    width = 0.8 / len(rows)
    for offset, (label, values) in enumerate(rows):
        top = {f: max(abs(r[1].get(f, 0.0)) for r in rows) or 1.0 for f in FEATURES}
        heights = [values.get(f, 0.0) / top[f] for f in FEATURES]
        axes.bar(positions + offset * width, heights, width, label=label, color=COLOURS.get(label))
    axes.set_xticks(positions + width * (len(rows) - 1) / 2, FEATURES)
    axes.set_ylabel("relative to the largest")
    axes.set_title("Style profile")
    axes.legend(frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _topics_plot(result: EvalResult) -> str | None:
    import matplotlib.pyplot as plt
    import numpy as np

    topics = sorted({t for m in result.models() for t in m.facts_by_topic})
    if not topics:
        return None
    figure, axes = plt.subplots(figsize=(7, 0.45 * len(topics) + 1.2))
    positions = np.arange(len(topics))
    models = result.models()
    height = 0.8 / len(models)
    for offset, m in enumerate(models):
        shares = [
            (m.facts_by_topic[t][0] / m.facts_by_topic[t][1]) if m.facts_by_topic.get(t) else 0.0
            for t in topics
        ]
        axes.barh(
            positions + offset * height, shares, height, label=m.model, color=COLOURS[m.model]
        )
    axes.set_yticks(positions + height * (len(models) - 1) / 2, topics)
    axes.set_xlim(0, 1)
    axes.set_xlabel("share answered right")
    axes.set_title("Facts by topic")
    axes.legend(frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def plots(result: EvalResult) -> dict[str, str]:
    """Every plot of the report, as base64 PNG, by name."""
    import matplotlib

    matplotlib.use("Agg")
    models = result.models()
    found = {
        "perplexity": _bars(
            "Fit: perplexity of your held-out replies",
            [m.model for m in models],
            [m.perplexity for m in models],
            [COLOURS[m.model] for m in models],
            "perplexity (lower is closer)",
        ),
        "judge": _bars(
            "Judged to be you",
            ["your real replies", *[m.model for m in models]],
            [result.ceiling, *[m.judged_as_you for m in models]],
            [COLOURS["person"], *[COLOURS[m.model] for m in models]],
            "share",
        ),
        "style": _style_plot(result),
    }
    topics = _topics_plot(result)
    if topics:
        found["facts"] = topics
    return found


def _figure(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.0%}" if percent else f"{value:.2f}"


def table_rows(result: EvalResult) -> list[tuple[str, str, str, str]]:
    """The rows of the figures table: what, twin, base, reference."""
    twin = result.twin or ModelFigures("twin")
    base = result.base or ModelFigures("base")
    rows = [
        ("fit: perplexity of your held-out replies (lower is closer)",
         _figure(twin.perplexity), _figure(base.perplexity), f"{result.fit_tokens} tokens"),
        ("style: distance to your replies (0 = same)",
         _figure(twin.style_distance), _figure(base.style_distance),
         f"your two halves: {_figure(result.reference_distance)}"),
        ("judge: replies taken for yours",
         _figure(twin.judged_as_you, True), _figure(base.judged_as_you, True),
         f"your real replies: {_figure(result.ceiling, True)}"),
        ("facts: answered right",
         _figure(twin.facts_correct, True), _figure(base.facts_correct, True),
         f"{twin.facts_asked or base.facts_asked} questions"),
        ("facts: abstained when nothing answers",
         _figure(twin.abstained, True), _figure(base.abstained, True),
         f"{twin.unanswerable_asked or base.unanswerable_asked} questions"),
        ("grounding guard held something back",
         _figure(twin.held_back, True), _figure(base.held_back, True), "of all replies"),
        ("leaks: 8+ words of a private entry or redacted original",
         str(twin.leaks) if result.twin else "-", str(base.leaks) if result.base else "-",
         "target 0"),
    ]  # fmt: skip
    return rows


def good_and_bad(figures: ModelFigures) -> tuple[list[str], list[str]]:
    """Topics the model answers well (half or more right) and those it doesn't."""
    good: list[str] = []
    bad: list[str] = []
    for topic, (right, asked) in sorted(figures.facts_by_topic.items()):
        (good if asked and right / asked >= 0.5 else bad).append(f"{topic} ({right}/{asked})")
    return good, bad


def render(result: EvalResult) -> str:
    """The report as one HTML document."""
    e = html.escape
    images = plots(result)
    rows = "\n".join(
        f"<tr><th scope=row>{e(a)}</th><td>{e(b)}</td><td>{e(c)}</td><td>{e(d)}</td></tr>"
        for a, b, c, d in table_rows(result)
    )
    main = result.twin or result.base
    good, bad = good_and_bad(main) if main else ([], [])
    topics = ""
    if main:
        topics = "<h2>What it is good at</h2>" + (
            f"<p>Answers well: {e(', '.join(good) or 'nothing yet')}.</p>"
            f"<p>Answers poorly: {e(', '.join(bad) or 'nothing')}.</p>"
        )
        conversation_rows = "\n".join(
            f"<tr><th scope=row>{e(topic)}</th><td>{int(v['replies'])}</td>"
            f"<td>{_figure(v.get('judged_as_you'), True)}</td>"
            f"<td>{_figure(v['style_distance'])}</td></tr>"
            for topic, v in sorted(main.style_by_topic.items())
        )
        topics += (
            "<table><caption>Style by conversation</caption><tr><th>conversation</th>"
            "<th>replies</th><th>taken for yours</th><th>style distance</th></tr>"
            f"{conversation_rows}</table>"
        )
    pictures = "\n".join(
        f'<figure><img alt="{e(name)} plot" src="data:image/png;base64,{data}"></figure>'
        for name, data in images.items()
    )
    title = f"twin eval: run {result.run_id}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
  padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .35rem .7rem; text-align: left; }}
figure {{ display: inline-block; margin: .5rem; }}
img {{ max-width: 100%; }}
.note {{ color: #666; font-size: .9rem; }}
</style>
</head>
<body>
<h1>{e(title)}</h1>
<p class="note">Dataset {e(result.dataset)}, {result.held_out} held-out replies,
{"quick" if result.quick else "full"} evaluation made {e(result.created_at)}
in {result.seconds:.0f} s. Sounds like you: {_figure(result.sounds_like_you, True)}
(the twin's judged-as-you share over your own).
Figures only: your words stay in the vault.</p>
<table>
<tr><th>measure</th><th>twin</th><th>base</th><th>reference</th></tr>
{rows}
</table>
{pictures}
{topics}
</body>
</html>
"""


def write_report(result: EvalResult, path: Path) -> Path:
    """Write the report to `path` as a plain file (owner-only), and return it."""
    write_text(path, render(result))
    return path


def save_report(
    result: EvalResult, home: Home, sealer: Sealer, chosen: Path | None = None
) -> Path:
    """Seal the report in the home, and write it plain to `chosen` too where the user asks.

    Returns the plain file when there is one (what the user will open), else the sealed one.
    """
    page = render(result)
    path = default_report_path(home, result)
    sealer.seal_text(path, report_label(path), page)
    if chosen is None:
        return path
    write_text(chosen, page)
    return chosen


def report_note(path: Path | str | None) -> str:
    """What `twin eval` says about the report it wrote."""
    if path is None:
        return "No report written"
    if str(path).endswith(SUFFIX):
        return f"Report (sealed): {path}; `twin report --out report.html` writes it out to read"
    return f"Report: {path} (NOT encrypted; keep it safe)"


def sealed_reports(home: Home, run_id: str | None = None) -> list[Path]:
    """The sealed reports in the home, oldest first; of run `run_id` only when given."""
    folder = reports_folder(home)
    if not folder.is_dir():
        return []
    prefix = f"eval-{run_id}-" if run_id else "eval-"
    found = [p for p in folder.iterdir() if p.name.startswith(prefix) and p.name.endswith(SUFFIX)]
    return sorted(found, key=lambda p: (p.name.removesuffix(".html" + SUFFIX)[-15:], p.name))


def open_report(home: Home, sealer: Sealer, run_id: str | None, out: Path) -> Path:
    """Write the latest sealed report (of run `run_id`, or of any run) to `out`, in the clear."""
    found = sealed_reports(home, run_id)
    if not found:
        which = f"run {run_id}" if run_id else "any run"
        raise TwinError(f"no evaluation report of {which} yet; make one with `twin eval`")
    write_text(out, sealer.open_text(found[-1], report_label(found[-1])))
    return found[-1]


def plain_reports(home: Home) -> list[Path]:
    """Reports kept in the home in the clear (written by an earlier twin), for `twin check`."""
    folder = reports_folder(home)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(SUFFIX))


def compare_rows(results: Sequence[EvalResult]) -> list[list[str]]:
    """One row per measure, one column per result: for `twin eval --compare`."""

    def main(r: EvalResult) -> ModelFigures:
        return r.twin or r.base or ModelFigures("base")

    measures: list[tuple[str, Any]] = [
        ("perplexity", lambda r: _figure(main(r).perplexity)),
        ("base perplexity", lambda r: _figure(r.base.perplexity if r.base else None)),
        ("style distance", lambda r: _figure(main(r).style_distance)),
        ("taken for yours", lambda r: _figure(main(r).judged_as_you, True)),
        ("sounds like you", lambda r: _figure(r.sounds_like_you, True)),
        ("facts right", lambda r: _figure(main(r).facts_correct, True)),
        ("abstained", lambda r: _figure(main(r).abstained, True)),
        ("held back", lambda r: _figure(main(r).held_back, True)),
        ("leaks", lambda r: str(main(r).leaks)),
        ("evaluated", lambda r: r.created_at[:16] + (" (quick)" if r.quick else "")),
    ]
    return [[name, *(get(r) for r in results)] for name, get in measures]
