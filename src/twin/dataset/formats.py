"""The line formats a dataset can be written in; every one loads with `datasets.load_dataset`.

- ``openai``: ``{"messages": [{"role": "system"|"user"|"assistant", "content": …}, …]}``, the
  OpenAI chat fine-tuning format; your turns are ``assistant``, the last one is the target.
- ``sharegpt``: ``{"conversations": [{"from": "system"|"human"|"gpt", "value": …}, …]}``.
- ``alpaca``: ``{"instruction": persona, "input": the conversation so far, "output": your reply}``.
- ``text``: ``{"text": …}``, the persona line and the conversation as a plain transcript ending with
  your reply, for plain completion training.
- ``chatml``: ``{"text": …}``, the messages laid out by the chat template of ``--model`` (or
  ChatML, ``<|im_start|>role … <|im_end|>``, when no model or template is given).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from twin.dataset.sessions import Line
from twin.errors import TwinError
from twin.hookspecs import hookimpl
from twin.plugins import collect


@dataclass(slots=True)
class Example:
    """One training example: persona, context (oldest first) and the target, your turn."""

    system: Line
    context: list[Line]
    target: Line

    def lines(self) -> list[Line]:
        return [self.system, *self.context, self.target]


class Format(Protocol):
    name: str
    description: str

    def line(self, example: Example) -> str:
        """The example as one JSON line (without the newline)."""
        ...


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


_string: Callable[[str], str] = json.encoder.encode_basestring
"""JSON string literal exactly as `json.dumps(..., ensure_ascii=False)` writes it, but faster."""


def _pair(first: str, first_value: str, second: str, second_value: str) -> str:
    """``{"first": …, "second": …}`` byte-identical to json.dumps, without its overhead."""
    return f'{{"{first}": {_string(first_value)}, "{second}": {_string(second_value)}}}'


class OpenAIFormat:
    name = "openai"
    description = 'OpenAI chat fine-tuning JSONL: {"messages": [{"role", "content"}, …]}'

    def line(self, example: Example) -> str:
        parts = []
        for line in example.lines():
            if line.rendered is None:
                line.rendered = _pair("role", line.role, "content", line.content)
            parts.append(line.rendered)
        return '{"messages": [' + ", ".join(parts) + "]}"


class ShareGPTFormat:
    name = "sharegpt"
    description = 'ShareGPT JSONL: {"conversations": [{"from": "human"|"gpt", "value"}, …]}'
    SPEAKERS: ClassVar[dict[str, str]] = {"system": "system", "user": "human", "assistant": "gpt"}

    def line(self, example: Example) -> str:
        parts = []
        for line in example.lines():
            if line.rendered is None:
                line.rendered = _pair("from", self.SPEAKERS[line.role], "value", line.content)
            parts.append(line.rendered)
        return '{"conversations": [' + ", ".join(parts) + "]}"


def transcript_line(line: Line) -> str:
    return f"{line.speaker}: {line.text}" if line.speaker else line.text


class AlpacaFormat:
    name = "alpaca"
    description = 'Alpaca JSONL: {"instruction": persona, "input": conversation, "output": reply}'

    def line(self, example: Example) -> str:
        instruction = f"{example.system.text} Reply as {example.target.speaker}."
        context = "\n".join(transcript_line(line) for line in example.context)
        return _dumps({"instruction": instruction, "input": context, "output": example.target.text})


class TextFormat:
    name = "text"
    description = 'plain-text completion JSONL: {"text": persona + transcript + reply}'

    def line(self, example: Example) -> str:
        body = "\n".join(transcript_line(line) for line in [*example.context, example.target])
        return _dumps({"text": f"{example.system.text}\n\n{body}"})


class ChatMLFormat:
    name = "chatml"
    description = 'chat-template JSONL: {"text": messages laid out as ChatML}'

    def line(self, example: Example) -> str:
        return _dumps(
            {
                "text": "".join(
                    f"<|im_start|>{line.role}\n{line.content}<|im_end|>\n"
                    for line in example.lines()
                )
            }
        )


class ModelTemplateFormat:
    """The chat template saved with a model (``tokenizer_config.json``), rendered with Jinja."""

    name = "chatml"

    def __init__(self, folder: Path, template: str) -> None:
        from transformers import AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError) as error:
            raise TwinError(f"{folder}: cannot load the tokenizer ({error})") from None
        self.tokenizer.chat_template = template
        self.description = f'chat-template JSONL: {{"text": …}} with the template of {folder.name}'

    def line(self, example: Example) -> str:
        messages = [{"role": line.role, "content": line.content} for line in example.lines()]
        text = self.tokenizer.apply_chat_template(messages, tokenize=False)
        return _dumps({"text": text})


def _model_template(folder: Path) -> str | None:
    config = folder / "tokenizer_config.json"
    if config.is_file():
        template = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
        if isinstance(template, str) and template.strip():
            return template
    jinja = folder / "chat_template.jinja"
    return jinja.read_text(encoding="utf-8") if jinja.is_file() else None


@hookimpl
def register_dataset_formats(register: Any) -> None:
    for format in (OpenAIFormat(), ShareGPTFormat(), AlpacaFormat(), TextFormat(), ChatMLFormat()):
        register(format)


def formats() -> dict[str, Format]:
    """Every dataset format by name, built-in ones first (``register_dataset_formats``)."""
    return collect("register_dataset_formats", "dataset formats")


def get_format(name: str, model: Path | None = None) -> Format:
    """The writer for a format name; ``chatml`` uses the model's own template when it has one."""
    if name == "chatml" and model is not None:
        template = _model_template(model)
        if template is not None:
            return ModelTemplateFormat(model, template)
    known = formats()
    try:
        return known[name]
    except KeyError:
        raise TwinError(f"unknown format {name!r}; formats: {', '.join(known)}") from None
