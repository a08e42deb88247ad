"""Write a llama-family Transformers model as a GGUF file that llama.cpp and Ollama can run.

Two things differ from the Transformers layout. Tensor names follow llama.cpp's scheme
(``blk.N.attn_q.weight``...). And the query and key projections are stored with their rows
permuted: Transformers applies rotary embeddings to the two halves of each head, llama.cpp to
interleaved pairs, so each head's rows are reordered from (half, pair) to (pair, half), as
llama.cpp's own converter does. Without that the file loads but computes garbage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import TwinError

QUANTIZATIONS = ("f16", "q8_0")

_LAYER_TENSORS = {
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def gguf_name(hf_name: str) -> str | None:
    """The llama.cpp name of a Transformers weight, or None for one llama.cpp does not keep."""
    if hf_name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf_name == "model.norm.weight":
        return "output_norm.weight"
    if hf_name == "lm_head.weight":
        return "output.weight"
    parts = hf_name.split(".")
    if parts[:2] == ["model", "layers"] and parts[-1] == "weight":
        inner = ".".join(parts[3:-1])
        if inner in _LAYER_TENSORS:
            return f"blk.{parts[2]}.{_LAYER_TENSORS[inner]}.weight"
    return None


def permute_for_rope(weights: np.ndarray, heads: int) -> np.ndarray:
    """Reorder each head's rows the way llama.cpp's rotary embedding expects."""
    return (
        weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _rope_theta(config: Any) -> float:
    parameters = getattr(config, "rope_parameters", None) or {}
    if parameters.get("rope_type", "default") != "default":
        raise TwinError("GGUF export does not handle scaled rotary embeddings yet")
    return float(parameters.get("rope_theta", getattr(config, "rope_theta", 10000.0)))


def _tokenizer_fields(writer: Any, tokenizer: Any, vocab_size: int, source: Path | None) -> None:
    """Vocabulary, merges, special tokens and chat template, as llama.cpp's BPE reader wants."""
    import gguf

    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    model = spec["model"]
    if model.get("type") != "BPE":
        raise TwinError("GGUF export handles byte-level BPE tokenizers (GPT-2 style) only")
    tokens: list[str] = [""] * vocab_size
    types = [gguf.TokenType.UNUSED] * vocab_size
    for token, index in model["vocab"].items():
        if index < vocab_size:
            tokens[index], types[index] = token, gguf.TokenType.NORMAL
    for added in spec.get("added_tokens", []):
        if added["id"] < vocab_size:
            tokens[added["id"]] = added["content"]
            kind = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
            types[added["id"]] = kind
    for index, token in enumerate(tokens):
        if not token:
            tokens[index] = f"[PAD{index}]"
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    pre, add_bos = "default", False
    if source is not None:  # keep what the original file said about its own tokenizer
        reader = gguf.GGUFReader(source)
        if (field := reader.get_field("tokenizer.ggml.pre")) is not None:
            pre = str(field.contents())
        if (field := reader.get_field("tokenizer.ggml.add_bos_token")) is not None:
            add_bos = bool(field.contents())
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_add_bos_token(add_bos)
    for name, setter in (
        ("bos_token_id", writer.add_bos_token_id),
        ("eos_token_id", writer.add_eos_token_id),
        ("unk_token_id", writer.add_unk_token_id),
        ("pad_token_id", writer.add_pad_token_id),
    ):
        value = getattr(tokenizer, name, None)
        if value is not None:
            setter(int(value))
    if tokenizer.chat_template:
        writer.add_chat_template(tokenizer.chat_template)


def write_gguf(
    model: Any,
    tokenizer: Any,
    path: Path,
    quantization: str = "f16",
    name: str = "twin",
    source_gguf: Path | None = None,
) -> None:
    """Write `model` (a merged llama-family model) and its tokenizer to GGUF file `path`."""
    import gguf

    config = model.config
    if config.model_type != "llama":
        raise TwinError(f"GGUF export handles llama-family models; this one is {config.model_type}")
    if quantization not in QUANTIZATIONS:
        raise TwinError(f"--quantization is one of {', '.join(QUANTIZATIONS)}")
    heads, kv_heads = int(config.num_attention_heads), int(config.num_key_value_heads)
    head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // heads)
    state = {key: value.detach().float().cpu().numpy() for key, value in model.state_dict().items()}
    vocab_size = state["model.embed_tokens.weight"].shape[0]

    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name(name)
    writer.add_context_length(int(config.max_position_embeddings))
    writer.add_embedding_length(int(config.hidden_size))
    writer.add_block_count(int(config.num_hidden_layers))
    writer.add_feed_forward_length(int(config.intermediate_size))
    writer.add_rope_dimension_count(head_dim)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_rope_freq_base(_rope_theta(config))
    writer.add_vocab_size(vocab_size)
    file_type = (
        gguf.LlamaFileType.MOSTLY_F16 if quantization == "f16" else gguf.LlamaFileType.MOSTLY_Q8_0
    )
    writer.add_file_type(file_type)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    _tokenizer_fields(writer, tokenizer, vocab_size, source_gguf)

    tied = bool(getattr(config, "tie_word_embeddings", False))
    for hf_name, weights in state.items():
        target = gguf_name(hf_name)
        if target is None or (tied and target == "output.weight"):
            continue
        if target.endswith("attn_q.weight"):
            weights = permute_for_rope(weights, heads)
        elif target.endswith("attn_k.weight"):
            weights = permute_for_rope(weights, kv_heads)
        if weights.ndim == 1:
            writer.add_tensor(target, weights.astype(np.float32))
        elif quantization == "q8_0" and weights.shape[-1] % 32 == 0:
            kind = gguf.GGMLQuantizationType.Q8_0
            writer.add_tensor(target, gguf.quants.quantize(weights, kind), raw_dtype=kind)
        else:
            writer.add_tensor(target, weights.astype(np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
