"""A lean forward pass for Llama-architecture models, for generating replies on a CPU.

The Transformers implementation of a Llama step runs some thousand small operations and Python
calls (masks, cache bookkeeping, hooks) for a 30-layer model; on a CPU with a 135M model those,
not the arithmetic, set the speed. This runner does the same arithmetic with the same weights
in fewer operations: the query, key and value projections as one product, the gate and up
projections as one, rotary tables computed once, and a key-value cache allocated once per reply.
Each step follows Transformers' `LlamaForCausalLM` in order and precision (RMS norm in float32,
rotary embedding as `apply_rotary_pos_emb`), so greedy replies come out token for token alike;
the tests check it against `model.generate`.

Only plain Llamas are taken (the default model, and a twin with its adapter merged in): no
biases, SiLU, the default rotary embedding, one tensor-parallel slice. `supports` says whether a
model is one; anything else keeps the Transformers path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def supports(model: Any) -> bool:
    """Whether `model` is a plain Llama this runner computes exactly."""
    config = getattr(model, "config", None)
    if config is None or getattr(config, "model_type", None) != "llama":
        return False
    rope = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    if not isinstance(rope, dict):
        return False
    rope_type = rope.get("rope_type", rope.get("type", "default"))
    inner = getattr(model, "model", None)
    return (
        rope_type == "default"
        and not getattr(config, "attention_bias", False)
        and not getattr(config, "mlp_bias", False)
        and getattr(config, "hidden_act", None) == "silu"
        and getattr(config, "pretraining_tp", 1) == 1
        and inner is not None
        and hasattr(inner, "layers")
        and hasattr(model, "lm_head")
        and str(getattr(model, "device", "cpu")) == "cpu"
    )


def _fuse(linears: list[Any]) -> Any:
    """One weight for several projections of the same input; the modules keep views into it,
    so the model still runs as before and no weight is held twice.

    A model loaded from safetensors holds its weights in one private mapping of the file,
    alive while any weight of it is: the originals' pages, read once to fuse them, would stay
    resident beside the fused copy (measured: 0.26 GB more for the default model). They are
    given back to the kernel (`_release`), as freeing them would.
    """
    import torch

    originals = [linear.weight.detach() for linear in linears]
    fused = torch.cat(originals)
    offset = 0
    for linear in linears:
        size = int(linear.weight.shape[0])
        linear.weight = torch.nn.Parameter(fused[offset : offset + size], requires_grad=False)
        offset += size
    mapped = _file_mappings()
    for original in originals:
        _release(original, mapped)
    return fused


MADV_DONTNEED = 4
"""Linux's madvise advice to drop a range's pages (a file mapping's are re-read on access)."""


def _file_mappings() -> list[tuple[int, int]]:
    """The address ranges of this process privately mapped from safetensors files (Linux)."""
    try:
        lines = open("/proc/self/maps", encoding="utf-8").read().splitlines()  # noqa: SIM115
    except OSError:
        return []
    ranges = []
    for line in lines:
        fields = line.split()
        # address perms offset device inode path: a private (copy-on-write) file mapping
        if len(fields) >= 6 and fields[1].endswith("p") and fields[5].endswith(".safetensors"):
            begin, end = (int(part, 16) for part in fields[0].split("-"))
            ranges.append((begin, end))
    return ranges


def _release(tensor: Any, mapped: list[tuple[int, int]]) -> None:
    """Give back the resident pages of `tensor` when it lies in a weights file's mapping.

    Only for a weight no module holds any more: its pages are dropped, not written back.
    """
    import ctypes
    import mmap

    begin = int(tensor.data_ptr())
    end = begin + tensor.numel() * tensor.element_size()
    if not any(low <= begin and end <= high for low, high in mapped):
        return  # memory of its own (a merged twin, a fused copy): freed when unused
    page = mmap.PAGESIZE
    first, last = -(-begin // page) * page, end // page * page  # whole pages inside it only
    if last > first:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise(ctypes.c_void_p(first), ctypes.c_size_t(last - first), MADV_DONTNEED)


@dataclass
class _Layer:
    norm_in: Any
    qkv: Any
    out: Any
    norm_mid: Any
    gate_up: Any
    down: Any


class LlamaRunner:
    """The next-token logits of a Llama, one reply at a time, through its own cache."""

    def __init__(self, model: Any) -> None:
        import torch

        if not supports(model):
            raise ValueError("not a plain Llama on the CPU")
        config = model.config
        self.heads = int(config.num_attention_heads)
        self.kv_heads = int(config.num_key_value_heads)
        hidden = int(config.hidden_size)
        self.head_dim = int(getattr(config, "head_dim", None) or hidden // self.heads)
        self.eps = float(config.rms_norm_eps)
        self.max_positions = int(config.max_position_embeddings)
        inner = model.model
        with torch.no_grad():
            self.layers = [
                _Layer(
                    norm_in=layer.input_layernorm.weight.detach(),
                    qkv=_fuse(
                        [layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj]
                    ),
                    out=layer.self_attn.o_proj.weight.detach(),
                    norm_mid=layer.post_attention_layernorm.weight.detach(),
                    gate_up=_fuse([layer.mlp.gate_proj, layer.mlp.up_proj]),
                    down=layer.mlp.down_proj.weight.detach(),
                )
                for layer in inner.layers
            ]
        self.embed = inner.embed_tokens.weight.detach()
        self.norm = inner.norm.weight.detach()
        self.head = model.lm_head.weight.detach()
        self.dtype = self.embed.dtype
        rotary = inner.rotary_emb
        self.inv_freq = rotary.inv_freq.detach().float()
        self.rope_scale = float(getattr(rotary, "attention_scaling", 1.0))
        self.scale = self.head_dim**-0.5
        self._cos: Any = None
        self._sin: Any = None
        self._keys: list[Any] = []
        self._values: list[Any] = []
        self.length = 0

    def start(self, room: int) -> None:
        """A fresh cache with space for `room` positions (the prompt and the reply)."""
        import torch

        room = min(max(room, 1), self.max_positions)
        shape = (1, self.kv_heads, room, self.head_dim)
        self._keys = [torch.empty(shape, dtype=self.dtype) for _ in self.layers]
        self._values = [torch.empty(shape, dtype=self.dtype) for _ in self.layers]
        if self._cos is None or self._cos.shape[0] < room:
            positions = torch.arange(room, dtype=torch.float32)
            freqs = torch.outer(positions, self.inv_freq)
            both = torch.cat([freqs, freqs], dim=-1)
            self._cos = (both.cos() * self.rope_scale).to(self.dtype)
            self._sin = (both.sin() * self.rope_scale).to(self.dtype)
        self.length = 0

    def _rms(self, hidden: Any, weight: Any) -> Any:
        import torch

        wide = hidden.to(torch.float32)
        wide = wide * torch.rsqrt(wide.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * wide.to(hidden.dtype)

    def step(self, ids: Any) -> Any:
        """Float32 logits of the last of `ids` (shape (1, n)), after feeding them all."""
        import torch
        from torch.nn.functional import embedding, linear, scaled_dot_product_attention, silu

        count = int(ids.shape[1])
        begin, end = self.length, self.length + count
        if end > self._keys[0].shape[2]:
            raise ValueError("the reply outgrew its cache")
        cos = self._cos[begin:end].view(1, 1, count, self.head_dim)
        sin = self._sin[begin:end].view(1, 1, count, self.head_dim)
        half = self.head_dim // 2
        q_size = self.heads * self.head_dim
        kv_size = self.kv_heads * self.head_dim
        hidden = embedding(ids, self.embed)
        mask = None
        if count > 1 and begin > 0:  # more of a prompt after a cached start: causal from `begin`
            mask = torch.ones(count, end, dtype=torch.bool).tril(diagonal=begin)
        with torch.inference_mode():
            for number, layer in enumerate(self.layers):
                qkv = linear(self._rms(hidden, layer.norm_in), layer.qkv)
                q, k, v = torch.split(qkv, [q_size, kv_size, kv_size], dim=-1)
                q = q.view(1, count, self.heads, self.head_dim).transpose(1, 2)
                k = k.view(1, count, self.kv_heads, self.head_dim).transpose(1, 2)
                v = v.view(1, count, self.kv_heads, self.head_dim).transpose(1, 2)
                q = q * cos + torch.cat([-q[..., half:], q[..., :half]], dim=-1) * sin
                k = k * cos + torch.cat([-k[..., half:], k[..., :half]], dim=-1) * sin
                keys, values = self._keys[number], self._values[number]
                keys[:, :, begin:end] = k
                values[:, :, begin:end] = v
                attended = scaled_dot_product_attention(
                    q,
                    keys[:, :, :end],
                    values[:, :, :end],
                    attn_mask=mask,
                    is_causal=count > 1 and begin == 0,
                    scale=self.scale,
                    enable_gqa=self.kv_heads != self.heads,
                )
                attended = attended.transpose(1, 2).reshape(1, count, q_size)
                hidden = hidden + linear(attended, layer.out)
                gate, up = linear(self._rms(hidden, layer.norm_mid), layer.gate_up).chunk(2, dim=-1)
                hidden = hidden + linear(silu(gate) * up, layer.down)
            last = self._rms(hidden[:, -1:, :], self.norm)
            logits = linear(last, self.head)[:, -1, :].to(torch.float32)
        self.length = end
        return logits


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AMX tiles or AVX-512 BF16)."""
    import torch

    try:
        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    except AttributeError:  # an older torch: assume not
        return False
