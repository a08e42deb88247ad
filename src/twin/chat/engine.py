"""Generation: the model the twin speaks through, streaming its reply piece by piece.

**Context-aware decoding** (Shi et al., 2023, "Trusting Your Evidence: Hallucinate Less with
Context-aware Decoding"), switched on by `GenerationSettings.context_weight` (alpha): each next
token is drawn from ``softmax((1 + alpha) * logits(y | passages, chat) - alpha * logits(y |
chat))``, the second pass reading the same chat with the memory slot empty, so what the
passages add to the model's belief is amplified and what it would say anyway is damped. As in
the paper's follow-ups, tokens the context-aware pass itself finds implausible (probability
under `PLAUSIBILITY` times that of its likeliest token) are ruled out first, which keeps the
contrast from promoting tokens neither pass wants. It costs a second forward pass per token.

A Transformers model speaks through twin's own decoding loop (`twin.chat.decode`: the same
processors and draw as `model.generate`, without its per-call overhead); a plain Llama on the
CPU, the default model and every twin made from it, computes each step through ONNX Runtime
with 8-bit weights, or a lean PyTorch forward pass of the same arithmetic (`fast_forward`),
any other model through its own forward.
``TWIN_DECODE=generate`` makes replies come from `model.generate` itself, the plain path;
``TWIN_DECODE=bfloat16`` runs the fast path in bfloat16 (`for_speech`).

Where llama-cpp-python is installed and the model or run has a GGUF export, llama.cpp runs it
instead; that path is small and untested here (llama-cpp-python is not installed on the
machines twin is developed on, and has no prebuilt wheel in the registries).
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from twin.chat.decode import Forward, TextPieces, decode, fast_forward, stop_tokens
from twin.errors import TwinError
from twin.home import Home
from twin.models.onnx_runner import StepStore, fingerprint
from twin.records import ChatTurn
from twin.vault.sealed import Sealer

MODEL_ENV = "TWIN_MODEL"
"""A local model folder (or GGUF file) to speak through instead of the trained twin."""
DECODE_ENV = "TWIN_DECODE"
"""``generate`` speaks through Transformers' `model.generate` (the plain path, slower);
``bfloat16`` through twin's own loop with the model in bfloat16 where the CPU multiplies it
natively; ``lean`` through twin's own loop in PyTorch, float32 (token for token `generate`'s);
else (the default) through twin's own loop, its steps in ONNX Runtime with 8-bit weights where
it can (`twin.chat.decode.fast_forward`)."""


@dataclass(frozen=True)
class GenerationSettings:
    """How a reply is sampled."""

    max_new_tokens: int = 160
    """Longest reply, in tokens."""
    temperature: float = 0.7
    """0 picks the likeliest token every time; higher is more varied."""
    top_p: float = 0.9
    seed: int | None = None
    """Fixes the sampling, for reproducible replies."""
    context_weight: float = 0.0
    """Context-aware decoding's alpha: 0 is off; 0.5 is the paper's usual setting."""
    repetition_penalty: float = 1.0
    """Above 1 makes the model less likely to repeat itself ("sheeee sheeee")."""


PLAUSIBILITY = 0.1
"""Context-aware decoding only picks among tokens at least this share as likely as the best."""


def contrast(scores: Any, plain: Any, alpha: float, plausibility: float = PLAUSIBILITY) -> Any:
    """Context-aware logits from those with the passages (`scores`) and without (`plain`)."""
    import torch

    mixed = (1 + alpha) * scores.float() - alpha * plain.float()
    probabilities = torch.softmax(scores.float(), dim=-1)
    floor = plausibility * probabilities.max(dim=-1, keepdim=True).values
    return mixed.masked_fill(probabilities < floor, float("-inf")).to(scores.dtype)


class ContextAwareDecoding:
    """A Transformers logits processor that contrasts each step with a pass without passages.

    The plain pass keeps its own key-value cache, so each step feeds it one new token.
    """

    def __init__(self, model: Any, plain_ids: Any, prompt_length: int, alpha: float) -> None:
        self.model = model
        self.plain_ids = plain_ids
        self.prompt_length = prompt_length
        self.alpha = alpha
        self._cache: Any = None
        self._fed = 0
        parameters = inspect.signature(model.forward).parameters
        self._cache_name = "cache" if "cache" in parameters else "past_key_values"

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        generated = input_ids[:, self.prompt_length :]
        if self._cache is None:
            feed = torch.cat([self.plain_ids, generated], dim=1)
        else:
            feed = generated[:, self._fed :]
        # Transformers 5 names the cache `cache`; earlier releases `past_key_values`.
        out = self.model(input_ids=feed, use_cache=True, **{self._cache_name: self._cache})
        self._cache = getattr(out, self._cache_name, None)
        self._fed = int(generated.shape[1])
        return contrast(scores, out.logits[:, -1, :], self.alpha)


class Engine(Protocol):
    """A loaded model that can continue a chat."""

    name: str
    """What `/v1/models` calls it: the run id, or the model folder's name."""

    def stream(
        self,
        messages: Sequence[ChatTurn],
        settings: GenerationSettings,
        *,
        plain: Sequence[ChatTurn] | None = None,
    ) -> Iterator[str]:
        """Yield the reply's text as it is generated.

        `plain` is the same chat without the recalled passages, for context-aware decoding
        (only passed when `settings.context_weight` is above 0; an engine that can't do it
        generates as usual).
        """
        ...


class TransformersEngine:
    """A Hugging Face causal language model with a chat template."""

    def __init__(self, model: Any, tokenizer: Any, name: str, *, fast: bool | None = None) -> None:
        if not getattr(tokenizer, "chat_template", None):
            raise TwinError(f"{name}: the model's tokenizer has no chat template")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.fast = os.environ.get(DECODE_ENV, "") != "generate" if fast is None else fast
        """Whether replies come from twin's own decoding loop rather than `model.generate`."""
        self._lock = threading.Lock()
        self._forward: Forward | None = None
        self.step_store: StepStore | None = None
        """Where the model's step exported for ONNX Runtime is kept (`load_engine` sets it)."""

    def _prompt(self, messages: Sequence[ChatTurn]) -> Any:
        encoded = self.tokenizer.apply_chat_template(
            list(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit:
            # Keep the end of an over-long prompt: the latest turns matter most.
            room = max(limit - 1, 1)
            encoded = {key: value[:, -room:] for key, value in encoded.items()}
        return {key: value.to(self.model.device) for key, value in encoded.items()}

    def _room(self, inputs: dict[str, Any], settings: GenerationSettings) -> int:
        """How many tokens the reply may take: the setting, within the model's context."""
        limit = getattr(self.model.config, "max_position_embeddings", None)
        room = settings.max_new_tokens
        if limit:
            room = max(1, min(room, limit - int(inputs["input_ids"].shape[1])))
        return room

    def _aware(
        self, inputs: dict[str, Any], settings: GenerationSettings, plain: Sequence[ChatTurn] | None
    ) -> ContextAwareDecoding | None:
        if plain is None or settings.context_weight <= 0:
            return None
        return ContextAwareDecoding(
            self.model,
            self._prompt(plain)["input_ids"],
            int(inputs["input_ids"].shape[1]),
            settings.context_weight,
        )

    def forward_pass(self) -> Forward:
        """What computes each step of the fast path (`twin.chat.decode.fast_forward`)."""
        if self._forward is None:
            self._forward = fast_forward(self.model, self.step_store)
        return self._forward

    def stream(
        self,
        messages: Sequence[ChatTurn],
        settings: GenerationSettings,
        *,
        plain: Sequence[ChatTurn] | None = None,
    ) -> Iterator[str]:
        if self.fast:
            return self._stream_fast(messages, settings, plain)
        return self._stream_generate(messages, settings, plain)

    def _stream_fast(
        self,
        messages: Sequence[ChatTurn],
        settings: GenerationSettings,
        plain: Sequence[ChatTurn] | None,
    ) -> Iterator[str]:
        """The reply through twin's own loop, in this thread."""
        import torch

        with self._lock:  # one generation at a time per loaded model
            inputs = self._prompt(messages)
            aware = self._aware(inputs, settings, plain)
            if settings.seed is not None:
                torch.manual_seed(settings.seed)
            pieces = TextPieces(self.tokenizer)
            tokens = decode(
                self.forward_pass(),
                inputs["input_ids"],
                max_new_tokens=self._room(inputs, settings),
                temperature=settings.temperature,
                top_p=settings.top_p,
                repetition_penalty=settings.repetition_penalty,
                stop=stop_tokens(self.model, self.tokenizer),
                extra=[aware] if aware is not None else [],
            )
            for token in tokens:
                yield from pieces.add(token)
            yield from pieces.end()

    def _stream_generate(
        self,
        messages: Sequence[ChatTurn],
        settings: GenerationSettings,
        plain: Sequence[ChatTurn] | None,
    ) -> Iterator[str]:
        """The reply through `model.generate`, the plain path, on a worker thread."""
        import torch
        from transformers import (
            LogitsProcessorList,
            StoppingCriteria,
            StoppingCriteriaList,
            TextIteratorStreamer,
        )

        stop = threading.Event()

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return stop.is_set()

        with self._lock:  # one generation at a time per loaded model
            inputs = self._prompt(messages)
            room = self._room(inputs, settings)
            streamer = TextIteratorStreamer(
                self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600
            )
            sample = settings.temperature > 0
            options: dict[str, Any] = {
                **inputs,
                "max_new_tokens": room,
                "do_sample": sample,
                "streamer": streamer,
                "stopping_criteria": StoppingCriteriaList([_Stop()]),
                "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
            }
            if sample:
                options.update(temperature=settings.temperature, top_p=settings.top_p)
            if settings.repetition_penalty != 1.0:
                options["repetition_penalty"] = settings.repetition_penalty
            aware = self._aware(inputs, settings, plain)
            if aware is not None:
                options["logits_processor"] = LogitsProcessorList([aware])
            if settings.seed is not None:
                torch.manual_seed(settings.seed)
            failure: list[BaseException] = []

            def generate() -> None:
                try:
                    with torch.inference_mode():
                        self.model.generate(**options)
                except BaseException as error:  # re-raised in the caller's thread
                    failure.append(error)
                    streamer.end()  # type: ignore[no-untyped-call]

            worker = threading.Thread(target=generate, daemon=True)
            worker.start()
            try:
                for text in streamer:
                    if text:
                        yield text
            finally:
                stop.set()
                worker.join()
            if failure:
                raise failure[0]


class LlamaCppEngine:
    """A GGUF model through llama-cpp-python. Untested: that package is not installed here."""

    def __init__(self, gguf: Path, name: str) -> None:
        from llama_cpp import Llama

        self.llm = Llama(model_path=str(gguf), n_ctx=4096, verbose=False)
        self.name = name
        self._lock = threading.Lock()

    def stream(
        self,
        messages: Sequence[ChatTurn],
        settings: GenerationSettings,
        *,
        plain: Sequence[ChatTurn] | None = None,
    ) -> Iterator[str]:
        with self._lock:  # no logits hook here: context-aware decoding is Transformers-only
            for chunk in self.llm.create_chat_completion(
                messages=list(messages),
                max_tokens=settings.max_new_tokens,
                temperature=settings.temperature,
                top_p=settings.top_p,
                seed=settings.seed if settings.seed is not None else -1,
                stream=True,
            ):
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    yield str(text)


def llama_cpp_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def find_gguf(folder: Path | None) -> Path | None:
    """The GGUF export in a model or run folder, if there is one."""
    if folder is None:
        return None
    if folder.is_file() and folder.suffix == ".gguf":
        return folder
    if folder.is_dir():
        found = sorted(folder.rglob("*.gguf"))
        return found[0] if found else None
    return None


def load_folder(path: Path) -> Engine:
    """The model in a local folder (or a GGUF file), read without any network access."""
    path = path.expanduser()
    if not path.exists():
        raise TwinError(f"{path}: no such model folder")
    gguf = find_gguf(path)
    if gguf is not None and llama_cpp_available():
        return LlamaCppEngine(gguf, path.name)
    if path.is_file():
        raise TwinError(f"{path}: a GGUF file needs llama-cpp-python; give a model folder instead")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model: Any
    tokenizer: Any
    try:
        from twin.models.loading import load_model
    except ImportError:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
    else:
        model, tokenizer = load_model(path)
    return TransformersEngine(for_speech(model), tokenizer, path.name)


def load_engine(
    home: Home, model: Path | None = None, run_id: str | None = None, sealer: Sealer | None = None
) -> Engine:
    """What the twin speaks through.

    `model` (or ``$TWIN_MODEL``) names a local model folder to use as is. Otherwise the run
    `run_id`, or the latest good run, or, before any training, the packaged base model.
    `sealer` (the unlocked vault's) opens a run's sealed adapter in memory.
    """
    if model is None and run_id is None and os.environ.get(MODEL_ENV):
        model = Path(os.environ[MODEL_ENV])
    if model is not None:
        return load_folder(model)
    try:
        from twin.train.load import load_twin
    except ImportError:
        raise TwinError(
            "no model to speak through yet: pass --model FOLDER (a local Hugging Face model "
            f"with a chat template) or set {MODEL_ENV}"
        ) from None
    loaded_model, tokenizer, run = load_twin(home, run_id, sealer=sealer)
    folder = _run_folder(run)
    gguf = find_gguf(folder)
    name = str(getattr(run, "id", None) or getattr(run, "run_id", None) or "base")
    if gguf is not None and llama_cpp_available():
        return LlamaCppEngine(gguf, name)
    engine = TransformersEngine(for_speech(loaded_model), tokenizer, name)
    engine.step_store = step_store(home, run, sealer)
    return engine


def base_step_store(folder: Path) -> StepStore | None:
    """Where a base model's exported step is kept: in the clear beside its weights."""
    weights = sorted(folder.glob("*.safetensors"))
    return StepStore(folder, fingerprint(*weights)) if weights else None


def step_store(home: Home, run: Any, sealer: Sealer | None) -> StepStore | None:
    """Where the twin's exported step is kept: sealed in its run folder (it holds the adapter),
    in the clear beside the base model before any training; None where it can't be sealed."""
    from twin.models.registry import resolve_model

    if run is None:
        return base_step_store(resolve_model(home, None))
    if sealer is None or not run.sealed_adapter.is_file():
        return None
    base = sorted(run.base_path(home).glob("*.safetensors"))
    return StepStore(
        run.folder,
        fingerprint(run.sealed_adapter, *base),
        sealer,
        f"runs/{run.id}/chat-step",
    )


def for_speech(model: Any) -> Any:
    """The model as chat runs it: as loaded, unless ``TWIN_DECODE=bfloat16`` asks for bfloat16
    on a CPU that multiplies it natively (AMX or AVX-512 BF16). Not the default: measured on
    the default model with AMX (bench/chat.py), bfloat16 was no faster than float32 through the
    lean runner (31.6 against 32.2 tokens/s) and its greedy replies left float32's after about
    a third of the tokens. A twin's adapter is merged before this, in float32."""
    import torch

    from twin.models.runner import native_bfloat16

    if os.environ.get(DECODE_ENV, "") != "bfloat16":
        return model
    if str(getattr(model, "device", "cpu")) != "cpu" or model.dtype != torch.float32:
        return model
    if not native_bfloat16():
        return model
    return model.to(torch.bfloat16)


def _run_folder(run: object) -> Path | None:
    for attribute in ("path", "folder", "directory"):
        value = getattr(run, attribute, None)
        if isinstance(value, Path):
            return value
    return None
