"""A Llama's decoding step as an ONNX Runtime session with 8-bit weights, for replies on a CPU.

Through PyTorch, a step of the default model is some thousand small operations, each with its
own dispatch cost, and reads half a gigabyte of float32 weights; on a 2-core CPU that holds
twin's fast path near 32 tokens/s. Here the same step (the arithmetic of `twin.models.runner`:
fused query-key-value and gate-up products, rotary tables, RMS norm) is exported once per
model as an ONNX graph, its matrix products' weights quantized to 8 bits (`_quantized`), and
run by ONNX Runtime, which fuses and schedules it: measured on the default model, 58.6 tokens/s
against 28.3 for the PyTorch runner and 28.6 for `model.generate` (bench/chat.py, load 1.6-1.8).
8-bit weights are not float32's: greedy replies follow `model.generate`'s for a while and can
part at a near tie (3 of bench/chat.py's 6 prompts alike, 62% of tokens before any parting);
``TWIN_DECODE=lean`` keeps the float32 PyTorch runner, whose replies are `generate`'s.

One step takes the new token ids and the cache so far (keys and values of every layer, one
tensor) and gives the next-token logits and the cache with the new positions added.

The exported graph holds the model's weights, and a twin's weights hold its adapter, trained on
private chats: it is built in memory (no file in between, not even for quantizing), kept
sealed like the adapter (`StepStore` with a vault `Sealer`), and opened into memory only:
ONNX Runtime reads the session from bytes. The built-in base model has nothing private and
keeps its graph in the clear beside its own weights.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.atomic import write_file
from twin.errors import TwinError
from twin.vault.sealed import Sealer, memory_views_work, opened_in_memory

FORMAT = 2
"""The version of the exported step; a graph of another version is built again."""
OPSET = 17
BLOCK = 32
"""Weights per scale in the 8-bit matrix products."""


def available() -> bool:
    """Whether ONNX Runtime and the ONNX packages (to build a graph) are installed."""
    return all(importlib.util.find_spec(name) for name in ("onnxruntime", "onnx", "onnx_ir"))


@dataclass(frozen=True)
class StepStore:
    """Where a model's exported step is kept: sealed when `sealer` is given, else in the clear.

    `fingerprint` names what the graph was made from (the weights' files); a stored graph of
    another fingerprint is stale, built again and the old one removed.
    """

    folder: Path
    fingerprint: str
    sealer: Sealer | None = None
    label: str = ""

    @property
    def path(self) -> Path:
        suffix = ".onnx.sealed" if self.sealer is not None else ".onnx"
        return self.folder / f"chat-step-{FORMAT}-{self.fingerprint}{suffix}"

    def read(self) -> bytes | None:
        """The stored graph, into memory; None when there is none yet."""
        if not self.path.is_file():
            return None
        if self.sealer is None:
            return self.path.read_bytes()
        return self.sealer.open_bytes(self.path, self.label)

    @contextmanager
    def opened(self) -> Iterator[Path | bytes]:
        """The stored graph for ONNX Runtime to read: its path in the clear, a sealed one's
        plaintext as an in-memory file (Linux), else as bytes. ONNX Runtime reading a path
        keeps no second copy of the graph in this process."""
        if self.sealer is None:
            yield self.path
        elif memory_views_work():
            key = self.sealer.vault_key
            with opened_in_memory(self.path, key, self.label, "chat-step.onnx") as link:
                yield link
        else:
            yield self.sealer.open_bytes(self.path, self.label)

    def write(self, graph: bytes) -> None:
        """Keep `graph`, atomically, and remove graphs left from other weights."""
        for old in self.folder.glob("chat-step-*.onnx*"):
            if old != self.path:
                old.unlink(missing_ok=True)
        if self.sealer is not None:
            self.sealer.seal_bytes(self.path, self.label, graph)
            return

        def save(tmp: Path) -> None:
            tmp.write_bytes(graph)

        write_file(self.path, save)


def fingerprint(*files: Path) -> str:
    """A short name for the state of `files` (size and modification time of each)."""
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def _step_module(model: Any) -> Any:
    """A module computing one step of `model` (a plain Llama, see `runner.supports`)."""
    import torch
    from torch.nn.functional import embedding, linear, silu

    config = model.config
    heads = int(config.num_attention_heads)
    kv_heads = int(config.num_key_value_heads)
    hidden_size = int(config.hidden_size)
    head_dim = int(getattr(config, "head_dim", None) or hidden_size // heads)
    eps = float(config.rms_norm_eps)
    inner = model.model

    def weight(module: Any) -> Any:
        return module.weight.detach().float()

    class Step(torch.nn.Module):
        cos: Any
        sin: Any
        embed: Any
        head: Any
        norm: Any

        def __init__(self) -> None:
            super().__init__()
            rotary = inner.rotary_emb
            positions = torch.arange(int(config.max_position_embeddings), dtype=torch.float32)
            freqs = torch.outer(positions, rotary.inv_freq.detach().float())
            both = torch.cat([freqs, freqs], dim=-1)
            scale = float(getattr(rotary, "attention_scaling", 1.0))
            self.register_buffer("cos", both.cos() * scale)
            self.register_buffer("sin", both.sin() * scale)
            self.register_buffer("embed", weight(inner.embed_tokens))
            self.register_buffer("head", weight(model.lm_head))
            self.register_buffer("norm", weight(inner.norm))
            self.count = len(inner.layers)
            for number, layer in enumerate(inner.layers):
                attention, mlp = layer.self_attn, layer.mlp
                parts = {
                    "norm_in": weight(layer.input_layernorm),
                    "qkv": torch.cat(
                        [
                            weight(attention.q_proj),
                            weight(attention.k_proj),
                            weight(attention.v_proj),
                        ]
                    ),
                    "out": weight(attention.o_proj),
                    "norm_mid": weight(layer.post_attention_layernorm),
                    "gate_up": torch.cat([weight(mlp.gate_proj), weight(mlp.up_proj)]),
                    "down": weight(mlp.down_proj),
                }
                for name, value in parts.items():
                    self.register_buffer(f"layer{number}_{name}", value)

        def rms(self, hidden: Any, norm: Any) -> Any:
            return norm * (hidden * torch.rsqrt(hidden.pow(2).mean(-1, keepdim=True) + eps))

        def forward(self, ids: Any, past: Any) -> tuple[Any, Any]:
            count = ids.shape[1]
            begin = past.shape[4]
            positions = torch.arange(count) + begin
            cos = self.cos[positions].view(1, 1, count, head_dim)
            sin = self.sin[positions].view(1, 1, count, head_dim)
            half = head_dim // 2
            q_size, kv_size = heads * head_dim, kv_heads * head_dim
            seen = torch.arange(begin + count)
            hidden_mask = seen[None, :] > positions[:, None]
            bias = torch.zeros(count, begin + count).masked_fill(hidden_mask, float("-inf"))
            hidden = embedding(ids, self.embed)
            caches = []
            for number in range(self.count):
                part = {
                    name: getattr(self, f"layer{number}_{name}")
                    for name in ("norm_in", "qkv", "out", "norm_mid", "gate_up", "down")
                }
                qkv = linear(self.rms(hidden, part["norm_in"]), part["qkv"])
                q, k, v = torch.split(qkv, [q_size, kv_size, kv_size], dim=-1)
                q = q.view(1, count, heads, head_dim).transpose(1, 2)
                k = k.view(1, count, kv_heads, head_dim).transpose(1, 2)
                v = v.view(1, count, kv_heads, head_dim).transpose(1, 2)
                q = q * cos + torch.cat([-q[..., half:], q[..., :half]], dim=-1) * sin
                k = k * cos + torch.cat([-k[..., half:], k[..., :half]], dim=-1) * sin
                k = torch.cat([past[number, 0], k], dim=2)
                v = torch.cat([past[number, 1], v], dim=2)
                caches.append(torch.stack([k, v]))
                k = k.repeat_interleave(heads // kv_heads, dim=1)
                v = v.repeat_interleave(heads // kv_heads, dim=1)
                weights = torch.softmax(q @ k.transpose(-1, -2) * head_dim**-0.5 + bias, dim=-1)
                attended = (weights @ v).transpose(1, 2).reshape(1, count, q_size)
                hidden = hidden + linear(attended, part["out"])
                gate, up = linear(self.rms(hidden, part["norm_mid"]), part["gate_up"]).chunk(2, -1)
                hidden = hidden + linear(silu(gate) * up, part["down"])
            last = self.rms(hidden[:, -1:, :], self.norm)
            return linear(last, self.head)[:, -1, :], torch.stack(caches)

    return Step().eval()


def cache_shape(model: Any, length: int = 0) -> tuple[int, ...]:
    """The shape of the cache tensor a step takes: (layers, 2, 1, kv heads, length, head dim)."""
    config = model.config
    heads = int(config.num_attention_heads)
    head_dim = int(getattr(config, "head_dim", None) or int(config.hidden_size) // heads)
    layers = int(config.num_hidden_layers)
    return (layers, 2, 1, int(config.num_key_value_heads), length, head_dim)


def export(model: Any, *, int8: bool = True) -> bytes:
    """`model`'s step as an ONNX graph (8-bit weights unless `int8` is False), in memory."""
    import warnings

    import onnx
    import torch

    from twin.models.runner import supports

    if not supports(model):
        raise TwinError("only a plain Llama on the CPU can be exported for ONNX Runtime")
    step = _step_module(model)
    ids = torch.zeros((1, 2), dtype=torch.long)
    past = torch.zeros(cache_shape(model))
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            step,
            (ids, past),
            buffer,  # type: ignore[arg-type]  # a file object works, as documented
            input_names=["ids", "past"],
            output_names=["logits", "cache"],
            dynamic_axes={"ids": {1: "count"}, "past": {4: "begin"}, "cache": {4: "end"}},
            opset_version=OPSET,
            dynamo=False,
        )
    del step
    graph = onnx.load_from_string(buffer.getvalue())
    del buffer
    if int8:
        graph = _quantized(graph)
    return bytes(graph.SerializeToString())


def _quantized(graph: Any) -> Any:
    """`graph` with its matrix products' weights in 8 bits, blocks of `BLOCK` with a scale each,
    activations kept in float32 and quantized per block only inside the product (ONNX
    Runtime's MatMulNBits, accuracy level 4). Measured on the default model, ONNX Runtime's
    dynamic int8 quantization (whole activations in uint8) changed the first token of every
    reply and answered worse ("Your cat is a cat."); this keeps the first dozens of tokens."""
    import logging

    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quiet = logging.getLogger("onnxruntime.quantization").level
    logging.getLogger("onnxruntime.quantization").setLevel(logging.ERROR)
    try:
        quantizer = MatMulNBitsQuantizer(
            graph, bits=8, block_size=BLOCK, is_symmetric=True, accuracy_level=4
        )
        quantizer.process()
    finally:
        logging.getLogger("onnxruntime.quantization").setLevel(quiet)
    return quantizer.model.model


class OnnxForward:
    """Next-token logits through an exported step, one reply at a time (`decode.Forward`)."""

    def __init__(self, graph: bytes | Path, model: Any, threads: int | None = None) -> None:
        import onnxruntime
        import torch

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(
                str(graph) if isinstance(graph, Path) else graph,
                options,
                providers=["CPUExecutionProvider"],
            )
        except Exception as error:  # ONNX Runtime raises its own untyped errors
            raise TwinError(f"the exported chat step does not load ({error})") from None
        self._empty = cache_shape(model)
        self.max_positions = int(model.config.max_position_embeddings)
        self._past: Any = None

    def start(self, room: int) -> None:
        import numpy as np

        self._past = np.zeros(self._empty, dtype=np.float32)

    def step(self, ids: Any) -> Any:
        import numpy as np
        import torch

        feed = np.ascontiguousarray(ids.numpy(), dtype=np.int64)
        if self._past.shape[4] + feed.shape[1] > self.max_positions:
            raise ValueError("the reply outgrew its cache")
        logits, self._past = self.session.run(None, {"ids": feed, "past": self._past})
        return torch.from_numpy(logits)


def load_step(model: Any, store: StepStore | None) -> bytes:
    """`model`'s exported step: the stored one, or a new export, stored when there is a store."""
    graph = store.read() if store is not None else None
    if graph is None:
        graph = export(model)
        if store is not None:
            store.write(graph)
    return graph


def open_step(model: Any, store: StepStore) -> OnnxForward:
    """`model`'s step through ONNX Runtime, from its store (exported and stored first if new)."""
    if not store.path.is_file():
        store.write(export(model))
    with store.opened() as graph:
        return OnnxForward(graph, model)
