"""Plugins: one door for importers, commands and dataset formats, built-in or installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from twin.home import Home

PLUGIN = '''
"""A tiny third-party plugin: a `.hello` chat format, a `twin hello` command, a `shout` format."""
import json
from datetime import datetime
import click
from twin.hookspecs import hookimpl
from twin.records import Kind, Message


class HelloImporter:
    name = "hello"
    version = "1"

    def detect(self, source):
        return source.path.suffix == ".hello"

    def parse(self, source, options):
        for line in source.path.read_text(encoding="utf-8").splitlines():
            when, sender, text = line.split("|", 2)
            moment = datetime.fromisoformat(when)
            yield Message("hello", "Hello chat", sender, moment, Kind.TEXT, text)


class ShoutFormat:
    name = "shout"
    description = "every line in capitals"

    def line(self, example):
        return json.dumps({"text": example.target.content.upper()})


@hookimpl
def register_importers(register):
    register(HelloImporter())


@hookimpl
def register_dataset_formats(register):
    register(ShoutFormat())


@hookimpl
def register_commands(cli):
    @cli.command()
    def hello():
        "Say hello from a plugin."
        click.echo("hello from a plugin")
'''


def install(site: Path, module: str, source: str, entry: str | None = None) -> None:
    """Install a plugin the way pip would: a module and a dist-info naming its entry point."""
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[twin]\n{entry or module} = {module}\n")


def run(site: Path, home: Home, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "TWIN_HOME": str(home.path)}
    return subprocess.run(
        [sys.executable, "-m", "twin", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    return folder


def test_an_installed_plugin_adds_an_importer_a_command_and_a_format(
    site: Path, tmp_home: Home, tmp_path: Path
) -> None:
    install(site, "twin_hello", PLUGIN)
    chat = tmp_path / "chat.hello"
    chat.write_text(
        "2024-05-01T10:00:00|Ann|are you coming tonight?\n"
        "2024-05-01T10:01:00|Me|yes, see you at eight\n",
        encoding="utf-8",
    )

    assert run(site, tmp_home, "hello").stdout == "hello from a plugin\n"
    assert run(site, tmp_home, "init").returncode == 0
    imported = run(site, tmp_home, "import", str(chat), "--me", "Me")
    assert imported.returncode == 0, imported.stderr
    built = run(
        site,
        tmp_home,
        "dataset",
        "build",
        "--name",
        "loud",
        "--format",
        "shout",
        "--val-fraction",
        "0",
    )
    assert built.returncode == 0, built.stderr
    exported = tmp_path / "loud"
    assert run(site, tmp_home, "dataset", "export", "loud", str(exported)).returncode == 0
    lines = [json.loads(line) for line in (exported / "train.jsonl").read_text().splitlines()]
    assert lines == [{"text": "YES, SEE YOU AT EIGHT"}]

    listed = json.loads(run(site, tmp_home, "plugins", "--json").stdout)
    mine = next(plugin for plugin in listed["plugins"] if plugin["name"] == "twin_hello")
    assert mine["from"] == "twin_hello 0.1"
    assert mine["hooks"] == ["register_commands", "register_dataset_formats", "register_importers"]


def test_a_plugin_that_fails_to_load_is_named_and_skipped(site: Path, tmp_home: Home) -> None:
    install(site, "twin_broken", "raise RuntimeError('needs a GPU')\n")

    result = run(site, tmp_home, "stats", "-h")

    assert result.returncode == 0
    assert result.stderr == (
        "twin: plugin 'twin_broken (twin_broken 0.1)' was not loaded: RuntimeError: needs a GPU\n"
    )
    assert "Traceback" not in result.stderr


def test_two_importers_with_one_name_is_an_error_naming_both(
    site: Path, tmp_home: Home, tmp_path: Path
) -> None:
    install(site, "twin_copycat", PLUGIN.replace('name = "hello"', 'name = "whatsapp"'))
    chat = tmp_path / "chat.hello"
    chat.write_text("2024-05-01T10:00:00|Ann|hi\n", encoding="utf-8")

    result = run(site, tmp_home, "preview", str(chat))

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: two importers named 'whatsapp': one from twin.importers.builtin, "
        "one from twin_copycat"
    )
