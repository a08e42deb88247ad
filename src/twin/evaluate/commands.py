"""`twin eval` and `twin blindtest`: thin faces over `twin.evaluate`."""

from __future__ import annotations

import random
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.state import State, pass_state

console = Console(highlight=False, soft_wrap=True)


@click.command(name="eval")
@click.argument("runs", nargs=-1, metavar="[RUN…]")
@click.option(
    "--run", "run_id", metavar="ID", help="Run to evaluate [default: the latest completed]."
)
@click.option("--base", "base_only", is_flag=True, help="Evaluate the base model alone.")
@click.option("--quick", is_flag=True, help="Fewer examples: a first look in a few minutes.")
@click.option(
    "--dataset", metavar="NAME", help="With --base: whose held-out split [default: newest]."
)
@click.option(
    "--compare",
    is_flag=True,
    help="Put the latest evaluations of RUN… side by side (no model runs).",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the HTML report to this file, NOT encrypted [default: only sealed in the "
    "home; `twin report` writes it out].",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Sampling seed of the replies."
)
@click.option("--replies", type=int, help="Held-out replies to generate [default: 16, quick 8].")
@click.option("--questions", type=int, help="Fact questions to ask [default: 12, quick 6].")
@pass_state
def eval_command(
    state: State,
    runs: tuple[str, ...],
    run_id: str | None,
    base_only: bool,
    quick: bool,
    dataset: str | None,
    compare: bool,
    report: Path | None,
    seed: int,
    replies: int | None,
    questions: int | None,
) -> None:
    """Measure your twin on held-out replies it never trained on, and on your notes.

    Fit (perplexity of your real replies), style (distance of its replies to yours), who
    wrote it (an authorship judge), facts (questions from your notes, journal and persona,
    and questions nothing answers), and leaks, for the twin and its base model side by side.
    The result is stored with the run, and written as an HTML report.
    """
    if compare:
        _compare(state, runs or ((run_id,) if run_id else ()))
        return
    if runs:
        raise TwinError("name runs to compare with --compare; evaluate one with --run ID")
    from twin.evaluate.run import evaluate, sizes_for

    sizes = sizes_for(quick, replies, questions)
    with state.open_vault() as vault:
        result = evaluate(
            vault,
            state.home,
            run_id,
            quick=quick,
            base_only=base_only,
            dataset=dataset,
            report=report,
            seed=seed,
            sizes=sizes,
        )
    _print_result(result)


def _print_result(result: object) -> None:
    from twin.evaluate.report import good_and_bad, report_note, table_rows
    from twin.evaluate.results import EvalResult

    assert isinstance(result, EvalResult)
    table = Table(
        "measure", "twin", "base", "reference",
        title=f"run {result.run_id} on {result.held_out} held-out replies of {result.dataset}",
    )  # fmt: skip
    for row in table_rows(result):
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)
    if result.sounds_like_you is not None:
        console.print(
            f"Sounds like you: {result.sounds_like_you:.0%} "
            "(the judge's share for the twin over its share for your real replies)."
        )
    for line in extra_lines(result):
        console.print(escape(line))
    main = result.twin or result.base
    if main is not None:
        good, bad = good_and_bad(main)
        console.print(f"Answers well: {escape(', '.join(good) or 'nothing yet')}.")
        console.print(f"Answers poorly: {escape(', '.join(bad) or 'nothing')}.")
    console.print(f"{escape(report_note(result.report))} ({result.seconds:.0f} s)")


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def extra_lines(result: object) -> list[str]:
    """The everyday-opener and correction figures, a line each, twin and base side by side."""
    from twin.evaluate.results import EvalResult

    assert isinstance(result, EvalResult)
    models = result.models()
    lines = []
    asked = max((m.everyday_asked for m in models), default=0)
    if asked:
        each = "; ".join(
            f"{m.model} {_share(m.everyday_real)} real replies, "
            f"{_share(m.everyday_unsupported)} with an unsupported fact"
            for m in models
        )
        lines.append(f"Everyday openers ({asked}): {each} (targets: 90%+, 5% or less).")
    checked = [m for m in models if m.corrections]
    if checked:
        first = checked[0].corrections
        each = "; ".join(
            f"{m.model} {_share(m.corrections['close'])} close, "
            f"{_share(m.corrections['closer_than_before'])} closer than the reply corrected "
            f"(similarity {m.corrections['similarity']:.2f})"
            for m in checked
        )
        lines.append(
            f"Your corrections ({int(first['checked'])}): {each}; the replies you corrected: "
            f"similarity {first['similarity_before']:.2f}."
        )
        if result.twin is not None and result.twin.corrections:
            from twin.evaluate.corrections import in_words

            base = result.base.corrections if result.base is not None else None
            lines.append(in_words(result.twin.corrections, base or None))
    return lines


def _compare(state: State, runs: tuple[str, ...]) -> None:
    from twin.evaluate.report import compare_rows
    from twin.evaluate.store import latest_evaluation
    from twin.train.runs import get_run

    if len(runs) < 1:
        raise TwinError("--compare needs the runs to compare: twin eval --compare RUN RUN…")
    found = []
    with state.open_vault() as vault:
        for name in runs:
            run_id = name if name == "base" else get_run(state.home, name).id
            result = latest_evaluation(vault, run_id)
            if result is None:
                raise TwinError(f"run {run_id} has no evaluation yet: twin eval --run {run_id}")
            found.append(result)
    table = Table("measure", *(r.run_id for r in found), title="latest evaluations")
    for row in compare_rows(found):
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)


@click.command(name="blindtest")
@click.option("--run", "run_id", metavar="ID", help="Run to test [default: the latest completed].")
@click.option("--rounds", type=int, default=10, show_default=True, help="Rounds at most.")
@click.option("--seed", type=int, help="Fix the order of rounds and replies.")
@pass_state
def blindtest(state: State, run_id: str | None, rounds: int, seed: int | None) -> None:
    """Tell your real replies from your twin's: pick the real one of two, round by round.

    The replies come from the run's latest `twin eval`. The pass rate (how often the twin was
    taken for you) is stored with the run; each pick also counts as feedback on the reply.
    """
    from twin.evaluate.blindtest import record_pick, store_pass_rate
    from twin.evaluate.blindtest import rounds as make_rounds
    from twin.evaluate.store import latest_evaluation
    from twin.train.runs import get_run, latest_good_run

    run = get_run(state.home, run_id) if run_id else latest_good_run(state.home)
    if run is None:
        raise TwinError("no trained run yet: the blind test compares your twin with you")
    with state.open_vault() as vault:
        result = latest_evaluation(vault, run.id)
        if result is None:
            raise TwinError(f"run {run.id} has no evaluation yet: run `twin eval --quick` first")
        offered = make_rounds(result, random.Random(seed))[: max(rounds, 0)]
        if not offered:
            raise TwinError("the evaluation has no twin replies to test: run `twin eval` again")
        console.print(
            f"Blind test of run {run.id}: {len(offered)} rounds. Which reply is the real one? "
            "Type 1 or 2, s to skip, q to stop."
        )
        for number, round_ in enumerate(offered, 1):
            console.print(f"\n[bold]Round {number}[/bold]")
            for turn in round_.sample.context[-4:]:
                if turn.get("role") == "system":
                    continue
                who = "you" if turn.get("role") == "assistant" else "them"
                console.print(f"  [dim]{who}:[/dim] {escape(turn.get('content', ''))}")
            first, second = round_.replies
            console.print(f"  [bold]1[/bold] {escape(first)}")
            console.print(f"  [bold]2[/bold] {escape(second)}")
            answer = click.prompt(
                "real one", type=click.Choice(["1", "2", "s", "q"]), show_choices=True
            )
            if answer == "q":
                break
            if answer == "s":
                continue
            twin_picked = record_pick(vault, result, round_, int(answer))
            console.print("  That was the twin." if twin_picked else "  Right, that was you.")
        rate = store_pass_rate(vault, run.id)
    console.print(f"\nPass rate: {rate.describe()}.")


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(eval_command)
    cli.add_command(blindtest)
