"""The tiny models every test uses: randomly initialised 2-layer Llamas built in seconds.

- `build_model`: a byte-level BPE tokenizer, grouped-query attention and larger weights, for
  training, export and conversion tests (the q/k permutation visibly changes the logits).
- `build_chat_model`: a word-level tokenizer, for chat, guards and the server, whose replies
  are whole words.
- `build_tokenizer_folder`: a tokenizer alone, for counting tokens and chat templates.
And `write_dataset`, a tiny chat dataset with a learnable reply.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from twin.records import ChatTurn

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

TEXT = (
    "see you at the station tomorrow morning . sounds good , I will bring the cake ! "
    "did you finish the report ? not yet , maybe tonight . how was the hike ? long but "
    "beautiful , the lake was freezing . call me when you land . love you , safe travels"
)
WORDS = TEXT.split(" ")


def sentence(rng: random.Random, size: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(size))


def conversations(count: int, seed: int = 0) -> list[dict[str, list[dict[str, str]]]]:
    """Short chats in the dataset format, ending with the user's (assistant-role) reply."""
    rng = random.Random(seed)
    chats = []
    for _ in range(count):
        messages = [{"role": "system", "content": "You are Sam."}]
        for _turn in range(rng.randint(1, 3)):
            messages.append({"role": "user", "content": sentence(rng, rng.randint(2, 8))})
            # A fixed phrase makes the replies learnable, so the loss clearly falls.
            messages.append({"role": "assistant", "content": "sounds good , " + sentence(rng, 3)})
        chats.append({"messages": messages})
    return chats


def write_dataset(folder: Path, train: int = 24, val: int = 6, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, count, offset in (("train", train, 0), ("val", val, 1000)):
        lines = [json.dumps(chat) for chat in conversations(count, seed + offset)]
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def build_tokenizer() -> object:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    corpus = [" ".join(WORDS), "You are Sam.", "system user assistant"] * 4
    tokenizer.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        unk_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_model(folder: Path, seed: int = 0) -> Path:
    """Save a 2-layer Llama (hidden size 64, grouped-query attention) and its tokenizer."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = build_tokenizer()
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),  # type: ignore[arg-type]
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        tie_word_embeddings=False,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    )
    model = LlamaForCausalLM(config)
    # Larger than default weights, so the q/k permutation visibly changes the logits.
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() == 2:
                parameter.normal_(0, 0.2)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


WORD_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_WORD_TEXT = (
    "hello hi yes no the a cat cello music walk rain sun today tomorrow good fine okay "
    "and or but so then maybe sure thanks . , ! ?"
)
CHAT_WORDS = _WORD_TEXT.split()


def build_chat_model(folder: Path) -> Path:
    """Save a 2-layer Llama with a word-level tokenizer and a ChatML template to `folder`.

    Whole words in, whole words out: what chat, its guards and the server read as sentences.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>"]
    vocab = {token: number for number, token in enumerate(specials + CHAT_WORDS)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
    )
    tokenizer.chat_template = WORD_CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        bos_token_id=vocab["<|im_start|>"],
        eos_token_id=vocab["<|im_end|>"],
        pad_token_id=vocab["<pad>"],
    )
    import torch

    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_tokenizer_folder(folder: Path, texts: list[str], template: str) -> Path:
    """A tokenizer folder trained on the fixture text, saved as a PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<unk>", "<|im_start|>", "<|im_end|>"]
    )
    tokenizer.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="<unk>", eos_token="<|im_end|>"
    )
    fast.chat_template = template
    fast.save_pretrained(folder)
    return folder


CHAT: list[ChatTurn] = [
    {"role": "system", "content": "hello cat music"},
    {"role": "user", "content": "hello , the rain today ? maybe a walk"},
]
"""A short chat in the byte-level tiny Llama's words (`gqa_model`), for the fast-path tests."""
