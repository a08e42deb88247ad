"""Settings dataclasses are the CLI: every field is an option, and its docstring is the help."""

from __future__ import annotations

from dataclasses import fields

import click
import pytest

from twin.cli import cli
from twin.cli_options import field_docs
from twin.dataset.options import BuildOptions
from twin.train.presets import TrainConfig


def command(*path: str) -> click.Command:
    cli.load_all()
    found: click.Command = cli
    for name in path:
        assert isinstance(found, click.Group)
        found = found.commands[name]
    return found


@pytest.mark.parametrize(
    ("settings", "path"), [(TrainConfig, ("train",)), (BuildOptions, ("dataset", "build"))]
)
def test_every_field_is_an_option_whose_help_is_its_docstring(
    settings: type, path: tuple[str, ...]
) -> None:
    options = {param.name: param for param in command(*path).params}
    docs = field_docs(settings)
    for field in fields(settings):
        assert field.name in options, f"{field.name} has no option in `twin {' '.join(path)}`"
        assert field.name in docs, f"{settings.__name__}.{field.name} has no docstring"
        assert options[field.name].help == docs[field.name]  # type: ignore[attr-defined]


def test_a_duration_is_read_as_written_and_kept_in_seconds(twin) -> None:  # type: ignore[no-untyped-def]
    result = twin("dataset", "build", "--gap", "1h30x", ok=False)
    assert result.exit_code == 2
    assert "'1h30x' is not a duration like 3h, 90m, 1d or 1h30m" in result.output
