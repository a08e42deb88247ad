"""Take the twin elsewhere: the adapter alone, merged safetensors, GGUF, or GGUF for Ollama."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twin.atomic import write_file, write_folder
from twin.errors import TwinError
from twin.home import Home
from twin.train.adapter_files import Adapter, merge, read_adapter, write_plain_folder
from twin.train.runs import Run, get_run, latest_good_run
from twin.vault.sealed import Sealer

FORMATS = ("peft", "hf", "gguf", "ollama")

CHATML_TEMPLATE = """{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
"""


def _run(home: Home, run_id: str | None) -> Run:
    run = get_run(home, run_id) if run_id else latest_good_run(home)
    if run is None:
        raise TwinError("no completed run to export; train one with `twin train`")
    if not run.has_adapter:
        raise TwinError(f"run {run.id} has no saved adapter (status: {run.status})")
    return run


def export(
    home: Home,
    run_id: str | None,
    format: str,
    out: Path,
    quantization: str = "f16",
    sealer: Sealer | None = None,
) -> Path:
    """Export run `run_id` (the latest completed when None) to `out`; returns what was written.

    peft and hf write a folder at `out`; gguf writes a file (``out`` itself when it ends in
    .gguf, else ``out/twin.gguf``); ollama writes a folder with the GGUF and a Modelfile.
    What is written is not encrypted (the user asked for it by name); `sealer` opens the
    run's sealed adapter in memory.
    """
    if format not in FORMATS:
        raise TwinError(f"--format is one of {', '.join(FORMATS)}")
    run = _run(home, run_id)
    adapter = read_adapter(run, sealer)
    if format == "peft":
        write_folder(out, lambda tmp: write_plain_folder(adapter, tmp))
        return out
    model, tokenizer = _merged(home, run, adapter)
    if format == "hf":

        def save(tmp: Path) -> None:
            model.save_pretrained(tmp, safe_serialization=True)
            tokenizer.save_pretrained(tmp)

        write_folder(out, save)
        return out
    from twin.models.convert import source_gguf
    from twin.train.gguf_file import write_gguf

    gguf_path = out if format == "gguf" and out.suffix == ".gguf" else out / "twin.gguf"
    source = source_gguf(run.base_path(home))
    gguf_path.parent.mkdir(parents=True, exist_ok=True)
    write_file(
        gguf_path,
        lambda tmp: write_gguf(model, tokenizer, tmp, quantization, f"twin-{run.id}", source),
    )
    if format == "ollama":
        modelfile = modelfile_text(gguf_path.name, tokenizer.chat_template or "")

        def write_modelfile(tmp: Path) -> None:
            tmp.write_text(modelfile, encoding="utf-8")

        write_file(out / "Modelfile", write_modelfile)
        return out
    return gguf_path


def _merged(home: Home, run: Run, adapter: Adapter) -> tuple[Any, Any]:
    from twin.models.loading import load_model

    model, tokenizer = load_model(run.base_path(home), device="cpu")
    return merge(model, adapter), tokenizer


def modelfile_text(gguf_name: str, chat_template: str) -> str:
    """An Ollama Modelfile for the GGUF file beside it, with the chat format it was trained on."""
    lines = [
        "# Your twin, exported by `twin model export --format ollama`.",
        "# Load it with: ollama create twin -f Modelfile && ollama run twin",
        f"FROM ./{gguf_name}",
    ]
    if "<|im_start|>" in chat_template:
        lines += [
            f'TEMPLATE """{CHATML_TEMPLATE}"""',
            'PARAMETER stop "<|im_end|>"',
            'PARAMETER stop "<|im_start|>"',
        ]
    else:
        lines.append("# No TEMPLATE: Ollama reads the chat template stored in the GGUF file.")
    lines += ["PARAMETER temperature 0.7", ""]
    return "\n".join(lines)
