"""A million realistic passages and their real all-MiniLM-L6-v2 embeddings, made once.

    python bench/recall_corpus.py [--size 1000000] [--minutes 9]

Generates varied sentences of the kinds a twin's vault holds (chat messages, notes, journal
entries; 4 to 40 words) from a seeded grammar, so the same size always gives the same texts, and
embeds them with the local model into shards under ``bench/out/recall-corpus/`` (git-ignored).
Embedding is heavy: each run stops after `--minutes` and the next run carries on from the first
missing shard, so run it under ``flock /tmp/twin-heavy.lock`` until it says the corpus is
complete. The model runs in bfloat16 (the CPU's AMX units; cosine similarity to the float32
vectors ≥ 0.998, measured) with passages cut at 40 tokens: about 3 times faster than float32.
`bench/recall.py` reads the shards.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FOLDER = Path(__file__).parent / "out" / "recall-corpus"
SHARD = 25_000
MAX_TOKENS = 40
BATCH = 1024

PEOPLE = (  # noqa: SIM905 (a long list of names reads better as text)
    "Ann Maya Tom Sam Ines Lukas Priya Jonas Clara Omar Lena Ravi Sofia Ben Mia Noah Elif Hugo "
    "Yara Felix Nora Theo Aisha Jan Lucia Mateo Zoe Kenji Marta Ali Greta Pablo Ivy Leo Hana "
    "Oscar Freya Dev Rosa Emil Sara Karim Julia Max Amara Finn Chloe Arjun Mira Paul Lea Tariq "
    "Eva Sven Nadia Luca Iris Malik Anouk Ruben"
).split()
RELATIONS = [
    "mum", "dad", "my sister", "my brother", "grandma", "grandpa", "my aunt", "my uncle",
    "my cousin", "the neighbours", "my boss", "the team", "my flatmate", "my partner",
    "the kids", "my landlord", "the doctor", "my therapist", "the new intern", "my old teacher",
]  # fmt: skip
PLACES = [
    "the market", "the park", "the office", "the gym", "the library", "the beach", "the lake",
    "the station", "the airport", "the old bakery", "the corner café", "the climbing hall",
    "the museum", "the cinema", "the hospital", "the dentist", "the garden centre", "the pool",
    "the hardware shop", "grandma's flat", "the pub on Elm Street", "the allotment", "the forest",
    "the town hall", "the bike shop", "the Thai place", "the farmers' market", "the ski hut",
    "the campsite", "the harbour", "the train to Lyon", "the ferry", "the night bus", "the vet",
    "the bookshop", "the concert hall", "the rooftop bar", "the co-working space", "the school",
    "the community garden", "the laundrette", "the post office", "the pharmacy", "the river",
    "the mountains", "the coast", "Berlin", "Lisbon", "Oslo", "Rome", "Kyoto", "Madrid",
    "Vienna", "Copenhagen", "Edinburgh", "Porto", "Marseille", "Prague", "the Alps",
]  # fmt: skip
FOODS = [
    "lasagne", "a lentil curry", "banana bread", "ramen", "pancakes", "sourdough", "a tomato "
    "soup", "tacos", "risotto", "dumplings", "a carrot cake", "pad thai", "shakshuka", "pizza",
    "a chickpea stew", "apple crumble", "sushi", "falafel", "gnocchi", "a mushroom pie",
    "scones", "chili", "pho", "a beetroot salad", "waffles", "paella", "a lemon tart",
    "brownies", "kimchi fried rice", "moussaka", "a spinach quiche", "cinnamon rolls",
]  # fmt: skip
ACTIVITIES = [
    "went running", "went swimming", "went climbing", "did yoga", "played tennis",
    "played chess", "went hiking", "went cycling", "practised the cello", "painted",
    "wrote for an hour", "read on the balcony", "cleaned the flat", "fixed the bike",
    "repotted the plants", "baked bread", "learned some Spanish", "went to a pottery class",
    "watched a documentary", "went to a gig", "played board games", "knitted", "meditated",
    "went bouldering", "sorted the taxes", "planned the trip", "studied for the exam",
    "went for a long walk", "worked late", "took photos", "recorded a song", "went dancing",
    "volunteered at the food bank", "sewed a dress", "built a shelf", "went fishing",
]  # fmt: skip
MADE = [
    "a bookshelf", "a birthday card", "a quilt", "a short film", "a birdhouse", "a playlist",
    "a website for the club", "a cake for Ann", "a vase on the wheel", "a scarf", "a podcast "
    "episode", "a map of the garden", "a spreadsheet for the budget", "a small game", "a zine",
    "a lamp", "a wooden spoon", "candles", "jam from the plums", "a photo album", "a mural",
    "a poster for the gig", "a dress", "a model boat", "a mixtape", "pickles", "a keyboard",
]  # fmt: skip
OBJECTS = [
    "keys", "phone charger", "passport", "umbrella", "headphones", "library card", "wallet",
    "blue jacket", "laptop", "glasses", "bike lock", "notebook", "water bottle", "ticket",
    "camera", "gloves", "book about whales", "hiking boots", "tent", "guitar", "sunglasses",
]  # fmt: skip
TIMES = [
    "today", "yesterday", "this morning", "last night", "on Monday", "on Tuesday",
    "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday", "last weekend",
    "this weekend", "after work", "before lunch", "at midnight", "over the holidays",
    "in the afternoon", "at dawn", "last month", "in March", "in June", "in October",
    "on my birthday", "after the meeting", "during the storm", "on the way home",
]  # fmt: skip
FEELINGS = [
    "happy", "tired", "anxious", "proud", "relieved", "grateful", "restless", "calm",
    "overwhelmed", "excited", "sad", "hopeful", "annoyed", "content", "lonely", "energised",
    "nervous", "homesick", "inspired", "bored", "confident", "exhausted", "peaceful",
]  # fmt: skip
TOPICS = [
    "the move", "the new job", "the wedding", "the budget", "the garden", "the trip to Norway",
    "the flat", "the concert", "her thesis", "his new band", "the kids' school", "the car",
    "the election", "the book club", "the renovation", "the marathon", "the exhibition",
    "the holiday plans", "the startup idea", "the visa", "the dog", "the cat", "the rent",
    "the project deadline", "the reunion", "the surgery", "the promotion", "the podcast",
    "climate change", "the football final", "the new recipe", "the neighbours' party",
]  # fmt: skip
WORK = [
    "finished the report", "sent the invoice", "had a long call with the client",
    "fixed the login bug", "presented the roadmap", "reviewed three pull requests",
    "interviewed a candidate", "wrote the grant proposal", "planned the next sprint",
    "updated the slides", "migrated the database", "answered a hundred emails",
    "ran the workshop", "drafted the newsletter", "closed the quarter", "onboarded the intern",
]  # fmt: skip
OPENERS = ["", "", "", "hey ", "ok so ", "btw ", "lol ", "honestly ", "omg ", "so ", "hi! "]
ENDINGS = ["", "", "", "!", " :)", " haha", "?", "...", " 😊", " tbh", " x", " again"]
NOTE_HEADS = [
    "To do:", "Idea:", "Reminder:", "Shopping:", "Meeting notes:", "Recipe:", "Book notes:",
    "Packing list:", "Question for the doctor:", "Gift ideas:", "Plan:", "Quote:",
]  # fmt: skip

FRAMES: list[str] = [
    # messages
    "{o}are you free {t}? thought we could go to {place}{e}",
    "{o}I {act} {t} and now I'm so {feel}{e}",
    "{o}did you talk to {person} about {topic}{e}",
    "{o}can't find my {obj} anywhere, did I leave it at {place}{e}",
    "{o}running late, meet you at {place} in {n} minutes{e}",
    "{o}{person} says hi and wants to know about {topic}{e}",
    "{o}made {food} {t}, want some{e}",
    "{o}we should go to {place} with {person} {t}{e}",
    "{o}just got back from {place}, {feel} but happy{e}",
    "{o}{rel} called about {topic} again{e}",
    "{o}sorry I missed your call, I {act}{e}",
    "{o}how did {topic} go{e}",
    "{o}have you seen {person} {t}{e}",
    "{o}I'll bring {food} to the party{e}",
    "{o}the {obj} is on the kitchen table, take it{e}",
    "{o}thanks for {topic} yesterday, it meant a lot{e}",
    "{o}see you at {place} at {h}{e}",
    "{o}{person} and I {act} {t}{e}",
    "{o}can you pick up {food} on the way{e}",
    "{o}still thinking about {topic}, not sure what to do{e}",
    "{o}miss you! {rel} says hello{e}",
    "{o}booked the tickets for {place} {t}{e}",
    # journal
    "{T}, I {act} with {person} and felt {feel}.",
    "Today I made {made}. It took {n} hours but I'm {feel} with how it turned out.",
    "Spent the evening on {made} for {person}; still not finished.",
    "{T} at {place}: {person} told me about {topic}. I felt {feel} afterwards.",
    "Woke up {feel}. {T} I {act}, then cooked {food}.",
    "At work I {work}. {person} stayed late too.",
    "Long day. I {work} and then {act} to clear my head.",
    "{rel} came over {t}; we talked about {topic} until late.",
    "Finally finished {made}. {person} loved it.",
    "Feeling {feel} about {topic}. Writing it down helps.",
    "Visited {place} with {rel}. We had {food} and walked back.",
    "Note to self: {act} more often, it makes me {feel}.",
    "I keep thinking about what {person} said about {topic}.",
    "Tried making {food} for the first time {t}; it was {quality}.",
    "Three good things {t}: {food}, {place}, and {person}.",
    "Couldn't sleep. Worried about {topic} and {topic2}.",
    "First time at {place} since {topic}. Strange and {feel}.",
    # notes
    "{head} ask {person} about {topic}",
    "{head} buy {food} ingredients, return the {obj}, call {rel}",
    "{head} {made} for {person}'s birthday",
    "{head} {work} before {day}",
    "{head} remember the {obj} for {place}",
    "{head} {food}: {n} eggs, flour, butter, {n2} minutes in the oven",
    "{head} {person} recommended {place} for {topic}",
    "{head} {n} things to pack for {place}: {obj}, {obj2}, {obj3}",
    "{head} talk to {rel} about {topic} and {topic2}",
]  # fmt: skip
QUALITY = ["great", "a disaster", "fine", "too salty", "surprisingly good", "burnt", "perfect"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the weekend", "the deadline"]

QUESTION_FRAMES: list[str] = [
    "what did I make this week?",
    "what did I cook with {person}?",
    "when did I last go to {place}?",
    "what did {person} say about {topic}?",
    "where did I leave my {obj}?",
    "how did I feel about {topic}?",
    "what did I do {t}?",
    "did I ever make {food}?",
    "what do I need to ask {person}?",
    "what did I build for {person}?",
    "when did {rel} visit?",
    "what happened at work with the {workthing}?",
    "what are my gift ideas?",
    "what did I pack for {place}?",
    "when was I {feel}?",
    "what did I {verb} last weekend?",
]  # fmt: skip
WORK_THINGS = ["report", "invoice", "client", "login bug", "roadmap", "grant", "sprint", "intern"]
VERBS = ["bake", "read", "paint", "fix", "watch", "write", "cook", "play", "build", "plan"]


def _fill(frame: str, rng: random.Random, *, follow: bool = True) -> str:
    time_word = rng.choice(TIMES)
    values = {
        "o": rng.choice(OPENERS),
        "e": rng.choice(ENDINGS),
        "t": time_word,
        "T": time_word[0].upper() + time_word[1:],
        "place": rng.choice(PLACES),
        "person": rng.choice(PEOPLE),
        "rel": rng.choice(RELATIONS),
        "topic": rng.choice(TOPICS),
        "topic2": rng.choice(TOPICS),
        "act": rng.choice(ACTIVITIES),
        "feel": rng.choice(FEELINGS),
        "obj": rng.choice(OBJECTS),
        "obj2": rng.choice(OBJECTS),
        "obj3": rng.choice(OBJECTS),
        "food": rng.choice(FOODS),
        "made": rng.choice(MADE),
        "work": rng.choice(WORK),
        "head": rng.choice(NOTE_HEADS),
        "quality": rng.choice(QUALITY),
        "day": rng.choice(DAYS),
        "n": str(rng.randint(2, 45)),
        "n2": str(rng.randint(10, 90)),
        "h": f"{rng.randint(6, 22)}:{rng.choice(['00', '15', '30', '45'])}",
        "workthing": rng.choice(WORK_THINGS),
        "verb": rng.choice(VERBS),
    }
    text = frame.format(**values)
    if follow and rng.random() < 0.25:  # a second sentence, as longer messages and entries have
        follow = rng.choice(FRAMES).format(**values | {"o": "", "t": rng.choice(TIMES)})
        text = f"{text} {follow[0].upper()}{follow[1:]}"
    return text


def passages(size: int, seed: int = 7) -> Iterator[str]:
    """`size` distinct realistic passages, always the same ones for the same size and seed."""
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < size:
        text = _fill(rng.choice(FRAMES), rng)
        if text not in seen:
            seen.add(text)
            yield text


def questions(count: int, seed: int = 11) -> list[str]:
    """Questions a person asks their twin about such passages (the first is the newcomer's)."""
    rng = random.Random(seed)
    asked = [QUESTION_FRAMES[0]]
    while len(asked) < count:
        text = _fill(rng.choice(QUESTION_FRAMES), rng, follow=False)
        if text not in asked:
            asked.append(text)
    return asked


class FastEmbedder:
    """all-MiniLM-L6-v2 in bfloat16 with big batches, for embedding a corpus once."""

    def __init__(self) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        from twin.memory.embeddings import model_folder

        # twin's own Embedder runs plain Transformers; bulk encoding keeps sentence-transformers
        self.model = SentenceTransformer(str(model_folder()), device="cpu", local_files_only=True)
        self.model.max_seq_length = MAX_TOKENS
        self.model.to(torch.bfloat16)
        torch.set_num_threads(os.cpu_count() or 1)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            vectors = self.model.encode(
                list(texts),
                batch_size=BATCH,
                normalize_embeddings=True,
                convert_to_numpy=False,
                convert_to_tensor=True,
                show_progress_bar=False,
            )
        found = np.asarray(vectors.float().numpy(), dtype=np.float32)
        return found / np.linalg.norm(found, axis=1, keepdims=True)


def shard_path(size: int, number: int) -> Path:
    return FOLDER / f"{size}" / f"vectors-{number:04d}.npy"


def texts_path(size: int) -> Path:
    return FOLDER / f"{size}" / "passages.txt"


def load(size: int, count: int | None = None) -> tuple[list[str], np.ndarray] | None:
    """The first `count` (all) passages of the corpus of `size` and their vectors, or None
    while a shard they need is missing."""
    count = min(size, count or size)
    shards = -(-count // SHARD)
    if not texts_path(size).exists() or not all(
        shard_path(size, n).exists() for n in range(shards)
    ):
        return None
    texts = texts_path(size).read_text(encoding="utf-8").split("\n")[:count]
    vectors = np.concatenate([np.load(shard_path(size, n)) for n in range(shards)])[:count]
    # bfloat16 normalises to within 1e-3 of unit length; recall stores unit vectors
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return texts, vectors


def build(size: int, minutes: float) -> bool:
    """Embed missing shards for at most `minutes`; True once every shard exists."""
    started = time.monotonic()
    texts_file = texts_path(size)
    texts_file.parent.mkdir(parents=True, exist_ok=True)
    if not texts_file.exists():
        partial = texts_file.with_suffix(".tmp")
        partial.write_text("\n".join(passages(size)), encoding="utf-8")
        partial.rename(texts_file)
    texts = texts_file.read_text(encoding="utf-8").split("\n")
    shards = -(-size // SHARD)
    missing = [n for n in range(shards) if not shard_path(size, n).exists()]
    if not missing:
        return True
    embedder = FastEmbedder()
    for number in missing:
        if time.monotonic() - started > minutes * 60:
            break
        begun = time.perf_counter()
        vectors = embedder.embed(texts[number * SHARD : (number + 1) * SHARD])
        partial = shard_path(size, number).with_suffix(".tmp.npy")
        np.save(partial, vectors.astype(np.float32))
        partial.rename(shard_path(size, number))
        rate = len(vectors) / (time.perf_counter() - begun)
        print(f"shard {number + 1}/{shards}: {rate:,.0f} passages/s, load {os.getloadavg()}")
        sys.stdout.flush()
    done = sum(shard_path(size, n).exists() for n in range(shards))
    print(f"{done}/{shards} shards embedded" + (": complete" if done == shards else ""))
    return done == shards


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--minutes", type=float, default=9.0)
    options = parser.parse_args()
    build(options.size, options.minutes)


if __name__ == "__main__":
    main()
