"""A run trained from the vault keeps its LoRA adapter sealed; every reader opens it in memory."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from click.testing import Result
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from tests.vault.helpers import ANN, BO
from twin.errors import TwinError
from twin.home import Home
from twin.train.adapter_files import read_adapter
from twin.train.dpo import DpoSettings, Preference, train_preferences
from twin.train.export import export
from twin.train.load import load_twin
from twin.train.runs import Run
from twin.train.training import TrainRequest, train
from twin.vault.key import Secret
from twin.vault.rekey import change_passphrase
from twin.vault.sealed import Sealer
from twin.vault.vault import Vault

Twin = Callable[..., Result]
FAST = {"max_steps": 3, "threads": 1, "seq_len": 64, "lr": 3e-2, "warmup_steps": 0}
PROMPT = "<|im_start|>user\nhow was the hike ?<|im_end|>\n<|im_start|>assistant\nsounds"


def sealer_of(home: Home, passphrase: str = "test passphrase") -> Sealer:
    with Vault.open(home, Secret(passphrase=passphrase)) as vault:
        return vault.sealer


@pytest.fixture
def sealed_run(twin: Twin, vault_home: Home, tiny_model: Path) -> Run:
    twin("import", str(ANN), "--me", "Sam")
    twin("import", str(BO), "--me", "Sam")
    twin("dataset", "build", "--name", "mine", "--val-fraction", "0.2")
    request = TrainRequest("mine", str(tiny_model), dict(FAST), sealer=sealer_of(vault_home))
    return train(vault_home, request, progress=False)


def logits(model: torch.nn.Module, tokenizer: object) -> torch.Tensor:
    ids = tokenizer(PROMPT, return_tensors="pt", add_special_tokens=False).input_ids  # type: ignore[operator]
    with torch.no_grad():
        return model(ids).logits[0, -1].float()  # type: ignore[no-any-return]


def peft_reference(run: Run, folder: Path) -> torch.Tensor:
    """What PEFT itself computes with the adapter folder `folder` on the run's base."""
    base = AutoModelForCausalLM.from_pretrained(run.base_dir, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(run.base_dir)
    return logits(PeftModel.from_pretrained(base, folder), tokenizer)


def plain_weight_files(folder: Path) -> list[Path]:
    """Files under `folder` that hold adapter weights in the clear (safetensors or PEFT json)."""
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and (b"lora_A" in path.read_bytes() or b"peft_type" in path.read_bytes())
    ]


def test_the_adapter_is_one_sealed_file_and_loads_from_memory(
    sealed_run: Run, vault_home: Home, tmp_path: Path
) -> None:
    assert sealed_run.has_adapter
    assert sealed_run.sealed_adapter.read_bytes().startswith(b"TWINSEAL")
    assert not (sealed_run.folder / "adapter").exists()
    assert plain_weight_files(vault_home.path) == []
    with pytest.raises(TwinError, match="unlock the vault"):
        load_twin(vault_home, sealed_run.id, device="cpu")

    sealer = sealer_of(vault_home)
    out = tmp_path / "peft"
    export(vault_home, sealed_run.id, "peft", out, sealer=sealer)
    assert {p.name for p in out.iterdir()} == {"adapter_config.json", "adapter_model.safetensors"}
    model, tokenizer, _ = load_twin(vault_home, sealed_run.id, device="cpu", sealer=sealer)
    reference = peft_reference(sealed_run, out)
    assert torch.allclose(logits(model, tokenizer), reference, atol=1e-4)
    assert plain_weight_files(vault_home.path) == [], "loading and exporting leave no plain copy"


def test_an_earlier_twins_plain_adapter_loads_and_is_sealed_on_first_use(
    twin: Twin,
    sealed_run: Run,
    vault_home: Home,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sealer = sealer_of(vault_home)
    export(vault_home, sealed_run.id, "peft", tmp_path / "peft", sealer=sealer)
    sealed_run.sealed_adapter.unlink()
    shutil.copytree(tmp_path / "peft", sealed_run.folder / "adapter")  # as twin 0.x left it
    assert sealed_run.has_adapter
    assert plain_weight_files(vault_home.path), "the search must find a plain adapter"
    assert "adapter kept in the clear" in twin("check", ok=False).output

    model, tokenizer, _ = load_twin(vault_home, sealed_run.id, device="cpu", sealer=sealer)
    assert "sealed now" in capsys.readouterr().err
    assert sealed_run.sealed_adapter.is_file() and not (sealed_run.folder / "adapter").exists()
    assert "All is well" in twin("check").output
    assert torch.allclose(
        logits(model, tokenizer), peft_reference(sealed_run, tmp_path / "peft"), atol=1e-4
    )


def test_a_passphrase_change_reseals_the_adapter(sealed_run: Run, vault_home: Home) -> None:
    before = read_adapter(sealed_run, sealer_of(vault_home)).weights
    with Vault.open(vault_home, Secret(passphrase="test passphrase")) as vault:
        old = vault.sealer
        change_passphrase(vault, Secret(passphrase="a new passphrase"))
    with pytest.raises(TwinError, match="cannot be opened"):
        read_adapter(sealed_run, old)
    assert read_adapter(sealed_run, sealer_of(vault_home, "a new passphrase")).weights == before


def test_dpo_from_a_sealed_twin_seals_its_adapter(sealed_run: Run, vault_home: Home) -> None:
    sealer = sealer_of(vault_home)
    prompt = [{"role": "system", "content": "You are Sam."}, {"role": "user", "content": "dinner?"}]
    pairs = [Preference(prompt, "bora! pizza at 8?", "I don't remember.")]
    settings = DpoSettings(learning_rate=5e-3, epochs=1)
    with pytest.raises(TwinError, match="unlock the vault"):
        train_preferences(vault_home, pairs, settings, parent=sealed_run)
    second = train_preferences(vault_home, pairs, settings, parent=sealed_run, sealer=sealer)
    assert second.sealed_adapter.read_bytes().startswith(b"TWINSEAL")
    assert plain_weight_files(vault_home.path) == []
    first, after = read_adapter(sealed_run, sealer), read_adapter(second, sealer)
    assert first.weights != after.weights
