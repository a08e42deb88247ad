"""Command-line options made from a settings dataclass, so the field's docstring is the help.

A field's docstring is the string literal right below it (litgpt's style), read from the
class source. Each field becomes ``--field-name``: booleans a ``--x/--no-x`` switch, tuples a
repeatable option, dates ``YYYY-MM-DD``. A field's metadata can say more: ``choices`` (a
fixed choice), ``option`` (another spelling, e.g. ``--source`` for ``sources``), ``path``
(click.Path checks), ``parse`` and ``shown`` (read from text, e.g. a duration, with the
default as it is written).
"""

from __future__ import annotations

import ast
import inspect
import itertools
import textwrap
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import MISSING, Field, fields
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import click

from twin.errors import TwinError

F = TypeVar("F", bound=Callable[..., Any])


@cache
def field_docs(cls: type) -> dict[str, str]:
    """Each field's docstring, by field name (fields without one are left out)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or not hasattr(klass, "__dataclass_fields__"):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
        for node, after in itertools.pairwise(body):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                text = inspect.cleandoc(after.value.value).replace("``", "")
                docs[node.target.id] = " ".join(text.split())
    return docs


def option_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def parse_day(text: str) -> date:
    """A day written ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a day like 2024-05-31") from None


def _plain(annotation: Any) -> tuple[Any, bool]:
    """The type inside an ``X | None``, and whether None was allowed."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        return rest[0], True
    return annotation, False


def make_option(field: Field[Any], annotation: Any, doc: str, default_none: bool) -> Any:
    """The click option for one dataclass field."""
    kind, _ = _plain(annotation)
    meta = field.metadata
    name = meta.get("option", option_name(field.name))
    extra: dict[str, Any] = {"help": doc or None}
    choices = meta.get("choices")
    if not default_none:
        if field.default is not MISSING:
            extra.update(default=field.default, show_default=True)
        elif field.default_factory is not MISSING:
            extra.update(default=field.default_factory(), show_default=True)
    else:
        extra["default"] = None
    parse = meta.get("parse", parse_day if kind is date else None)
    if parse is not None:  # given as text (a duration like 3h), kept as what `parse` makes of it

        def convert(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
            try:
                return None if value is None else parse(value)
            except (ValueError, TwinError) as error:
                raise click.BadParameter(str(error)) from None

        shown = None if default_none else meta.get("shown")
        return click.option(
            name,
            field.name,
            default=shown,
            show_default=shown is not None,
            callback=convert,
            help=doc or None,
        )
    if kind is bool:
        no = field.name.replace("_", "-")
        return click.option(f"{name}/--no-{no}", field.name, **extra)
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        extra.update(multiple=True, default=None if default_none else extra.get("default", ()))
        extra["type"] = click.Choice(choices) if choices else item
        extra.pop("show_default", None)
        return click.option(name, field.name, **extra)
    if choices:
        extra["type"] = click.Choice(choices)
    elif kind is Path:
        extra["type"] = click.Path(path_type=Path, **meta.get("path", {}))
    elif kind in (int, float, str):
        extra["type"] = kind
    else:
        raise TypeError(f"{field.name}: no command-line type for {kind!r}")
    return click.option(name, field.name, **extra)


def options_from(
    cls: type, *, skip: Iterable[str] = (), default_none: bool = False
) -> Callable[[F], F]:
    """A decorator adding an option for every field of dataclass `cls` but those in `skip`.

    With `default_none`, every option defaults to None (the caller applies a preset).
    """
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    chosen = [f for f in fields(cls) if f.name not in set(skip) and f.init]

    def decorate(command: F) -> F:
        for field in reversed(chosen):
            option = make_option(field, hints[field.name], docs.get(field.name, ""), default_none)
            command = option(command)
        return command

    return decorate
