"""The fast path: a hand-written decoding loop over a Transformers model and its key-value cache.

`model.generate` re-validates its configuration, rebuilds its processors and stopping criteria
and runs a streamer thread for every reply; with a 135M model on a CPU that overhead is a large
share of each token. This loop does only what a reply needs: one prefill of the prompt, then one
forward pass per token with the model's own cache, the same logits processors and warpers that
`generate` builds from the same settings (repetition penalty, context-aware decoding,
temperature, top-k 50, top-p), and the same draw (`torch.multinomial` over the softmax). Greedy
replies are token for token those of `model.generate`; the tests check it.

Each step is computed by `fast_forward`: for a plain float32 Llama on the CPU, its step
exported to ONNX Runtime with 8-bit weights (`twin.models.onnx_runner`; twice the tokens/s,
greedy replies close to but not always those of `generate`), where it has a place to keep the
export; else, or with ``TWIN_DECODE=lean``, the lean PyTorch runner (`twin.models.runner`,
float32, token for token `generate`'s); any other model through its own forward and cache.

Text comes out through Transformers' own `TextStreamer` logic (whole words, held back while a
character is incomplete), run in the caller's thread: no worker thread, and a reply the caller
stops reading stops being generated.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from twin.models.onnx_runner import StepStore

TOP_K = 50
"""What `model.generate` applies when sampling and nothing sets top-k (Transformers' default)."""

Mix = Callable[[Any, Any], Any]
"""A logits processor: (every token so far, this step's scores) to new scores."""


def stop_tokens(model: Any, tokenizer: Any) -> set[int]:
    """The token ids that end a reply, as `model.generate` reads them."""
    found = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if found is None:
        found = getattr(model.config, "eos_token_id", None)
    if found is None:
        found = tokenizer.eos_token_id
    if found is None:
        return set()
    return {int(found)} if isinstance(found, int) else {int(token) for token in found}


def processors(
    temperature: float, top_p: float, repetition_penalty: float, extra: Sequence[Mix] = ()
) -> Any:
    """The processors and warpers `model.generate` would run for these settings, in its order."""
    from transformers import (
        LogitsProcessorList,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    chain: list[Any] = []
    if repetition_penalty != 1.0:
        chain.append(RepetitionPenaltyLogitsProcessor(penalty=repetition_penalty))
    chain.extend(extra)
    if temperature > 0:
        if temperature != 1.0:
            chain.append(TemperatureLogitsWarper(temperature))
        chain.append(TopKLogitsWarper(top_k=TOP_K, min_tokens_to_keep=1))
        if top_p < 1.0:
            chain.append(TopPLogitsWarper(top_p=top_p, min_tokens_to_keep=1))
    return LogitsProcessorList(chain)


class Forward(Protocol):
    """Next-token logits, one reply at a time, through a cache of what was fed so far."""

    def start(self, room: int) -> None:
        """Forget the last reply; make space for `room` positions."""
        ...

    def step(self, ids: Any) -> Any:
        """Feed `ids` (shape (1, n)); the float32 logits after the last of them."""
        ...


class CachedForward:
    """Any Transformers causal LM, through its own dynamic key-value cache."""

    def __init__(self, model: Any) -> None:
        import inspect

        self.model = model
        self._cache: Any = None
        # Transformers 5 names the cache `cache`; earlier releases `past_key_values`.
        parameters = inspect.signature(model.forward).parameters
        self._cache_name = "cache" if "cache" in parameters else "past_key_values"

    def start(self, room: int) -> None:
        from transformers import DynamicCache

        self._cache = DynamicCache(config=self.model.config)

    def step(self, ids: Any) -> Any:
        import torch

        with torch.inference_mode():
            out = self.model(
                input_ids=ids, use_cache=True, logits_to_keep=1, **{self._cache_name: self._cache}
            )
        self._cache = getattr(out, self._cache_name)
        # generate() scores in float32 whatever the model's dtype; so do we.
        return out.logits[:, -1, :].to(dtype=torch.float32)


DECODE_ENV = "TWIN_DECODE"
"""``lean`` (or ``bfloat16``) computes the fast path's steps in PyTorch, not ONNX Runtime."""


def fast_forward(model: Any, store: StepStore | None = None) -> Forward:
    """What computes each step of the fast path for `model`.

    ONNX Runtime for a float32 plain Llama on the CPU when it is installed and `store` says
    where its export is kept (built on first use: some seconds, once per model); the lean
    PyTorch runner for any other plain Llama, or when ``TWIN_DECODE=lean`` asks; the model's
    own forward for everything else.
    """
    import torch

    from twin.models import onnx_runner
    from twin.models.runner import LlamaRunner, supports

    if not supports(model):
        return CachedForward(model)
    lean = os.environ.get(DECODE_ENV, "") in ("lean", "bfloat16")
    wide = getattr(model, "dtype", None) == torch.float32
    if not lean and wide and store is not None and onnx_runner.available():
        return onnx_runner.open_step(model, store)
    return LlamaRunner(model)


def decode(
    forward: Forward,
    input_ids: Any,
    *,
    max_new_tokens: int,
    temperature: float,
    top_p: float = 1.0,
    repetition_penalty: float = 1.0,
    stop: set[int] | frozenset[int] = frozenset(),
    extra: Sequence[Mix] = (),
) -> Iterator[int]:
    """Yield the reply's token ids one by one; greedy when `temperature` is 0.

    `input_ids` is the prompt, shape (1, length). The loop ends at a stop token (not yielded,
    as `generate` leaves it out of the text too), after `max_new_tokens`, or when the caller
    stops reading.
    """
    import torch

    chain = processors(temperature, top_p, repetition_penalty, extra)
    sequence = input_ids
    forward.start(int(input_ids.shape[1]) + max_new_tokens)
    feed = input_ids
    with torch.inference_mode():
        for _ in range(max_new_tokens):
            scores = forward.step(feed)
            if chain:
                scores = chain(sequence, scores)
            if temperature > 0:
                token = torch.multinomial(torch.softmax(scores, dim=-1), num_samples=1)
            else:
                token = torch.argmax(scores, dim=-1, keepdim=True)
            number = int(token)
            if number in stop:
                return
            sequence = torch.cat([sequence, token], dim=1)
            feed = token
            yield number


class TextPieces:
    """Token ids in, text out as Transformers' `TextStreamer` would print it."""

    def __init__(self, tokenizer: Any) -> None:
        from transformers import TextStreamer

        pieces: list[str] = []

        class _Collect(TextStreamer):
            def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
                pieces.append(text)

        self._pieces = pieces
        self._streamer = _Collect(tokenizer, skip_prompt=False, skip_special_tokens=True)

    def add(self, token: int) -> list[str]:
        """The text that token `token` completes (often none, or one word)."""
        import torch

        self._streamer.put(torch.tensor([token]))  # type: ignore[no-untyped-call]
        return self._drain()

    def end(self) -> list[str]:
        """What is left once the reply is over."""
        self._streamer.end()  # type: ignore[no-untyped-call]
        return self._drain()

    def _drain(self) -> list[str]:
        done = [piece for piece in self._pieces if piece]
        self._pieces.clear()
        return done
