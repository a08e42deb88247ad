"""How the twin's replies hold up: everyday openers and fact questions, on a real twin home.

Run on a home built by `scripts/try` (or the same steps), under the heavy lock:

    flock /tmp/twin-heavy.lock .venv/bin/python bench/replies.py --home /tmp/t11 [--cad 0.5]

Prints each reply, then: the share of openers answered with a real reply (not an
abstention, not a fragment), the share of openers whose reply states an unsupported fact about
the person (`twin.evaluate.everyday`, the test `twin eval` uses), the share of answerable fact
questions whose reply carries the answer from the notes (`twin.evaluate.facts.answered`), and
the share of unanswerable questions that abstain: a quicker peer of `twin eval`.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

OPENERS = [
    "how was your day?",
    "what are you up to this weekend?",
    "want to grab dinner tonight?",
    "hey! how are you?",
    "how's it going?",
    "what do you think about pineapple on pizza?",
    "are you free for a coffee tomorrow?",
    "good morning!",
    "I'm so tired today",
    "did you sleep well?",
    "what are you doing right now?",
    "any plans for tonight?",
    "tell me a joke",
    "how are you feeling?",
    "movie night on friday?",
    "can you help me move on saturday?",
    "what should I cook tonight?",
    "it's raining again ugh",
    "happy friday!",
    "miss you!",
]
FACTS = [
    ("when is the orchestra concert?", ["13 december"]),
    ("where is the winter concert?", ["alvalade"]),
    ("what is my sister's name?", ["maya"]),
    ("what is my dog's name?", ["pastel"]),
    ("when is the Berlin trip?", ["5", "dec"]),
    ("what time do I arrive for the concert?", ["17:00"]),
    ("where do I live?", ["arroios"]),
    ("who is the conductor of the orchestra?", ["marta"]),
    ("how much does Pastel weigh?", ["13.4"]),
    ("what day are orchestra rehearsals?", ["tuesday"]),
]
UNANSWERABLE = [
    "what is my brother's name?",
    "what is my wife's name?",
    "where did I go to university?",
    "what is my car's licence plate?",
    "when is my dentist appointment?",
    "what's my boss's phone number?",
]


CONVERSATION = [
    "hey you",
    "how was work?",
    "ugh I had the longest day",
    "my boss made me redo the whole report",
    "anyway, what are you doing tonight?",
    "want to get pizza instead?",
    "haha fair. which place?",
    "cool, 8 o'clock ok?",
    "did you see the rain today?",
    "ok see you later!",
]


def opener_list(spec: str) -> list[str]:
    """The openers to reply to: this file's own, twin eval's spread of the shipped ones
    (``shipped:N``), or a file's lines (blank lines and ``#`` comments skipped)."""
    if not spec:
        return OPENERS
    if spec.startswith("shipped:"):
        from twin.evaluate.everyday import openers

        return openers(int(spec.removeprefix("shipped:")))
    from pathlib import Path

    lines = Path(spec).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=os.environ.get("TWIN_HOME", "/tmp/t11"))
    parser.add_argument("--passphrase", default=os.environ.get("TWIN_PASSPHRASE", "x"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--options", default="", help="key=value,... for GenerationSettings")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--compose", action="store_true", help="with the base model as composer")
    parser.add_argument(
        "--openers",
        default="",
        help="a file of openers, one a line (# comments), or shipped:N for twin eval's spread",
    )
    parser.add_argument("--no-facts", action="store_true", help="openers and the chat only")
    parser.add_argument(
        "--twin", default="", help="key=N,... Twin switches (talk_guard=0|1, retries=N)"
    )
    args = parser.parse_args()

    from dataclasses import replace
    from pathlib import Path

    from twin.chat.engine import load_engine
    from twin.chat.guards import is_abstention, reads_as_fragment
    from twin.chat.twin import Twin
    from twin.evaluate.everyday import is_real_reply, known_words, unsupported
    from twin.evaluate.facts import answered
    from twin.home import Home
    from twin.memory.embeddings import default_embedder
    from twin.vault.key import Secret
    from twin.vault.vault import Vault

    home = Home(Path(args.home))
    vault = Vault.open(home, Secret(passphrase=args.passphrase))
    engine = load_engine(home, sealer=vault.sealer)
    twin = Twin(vault, engine, default_embedder())
    settings = replace(twin.default_settings(), seed=args.seed)  # shaped like the person's
    for pair in filter(None, args.options.split(",")):
        key, _, value = pair.partition("=")
        current = getattr(settings, key)
        kind = type(current) if current is not None else float
        settings = replace(settings, **{key: kind(value)})
    twin.settings = settings
    for pair in filter(None, args.twin.split(",")):
        key, _, value = pair.partition("=")
        setattr(twin, key, type(getattr(twin, key))(int(value)))
    if args.compose:
        from twin.chat.compose import base_composer

        twin.composer = base_composer(home)

    def ask(text: str) -> str:
        return twin.ask([{"role": "user", "content": text}]).text

    known = known_words(vault, twin.persona)
    openers = opener_list(args.openers)
    facts, unanswerable = ([], []) if args.no_facts else (FACTS, UNANSWERABLE)
    started = time.perf_counter()
    real = invented = 0
    for text in openers:
        reply = ask(text)
        ok = is_real_reply(reply)
        made_up = sorted(unsupported(reply, known))
        real += ok
        invented += bool(made_up)
        if not args.quiet:
            extra = f"  unsupported: {', '.join(made_up)}" if made_up else ""
            print(f"[opener {'ok ' if ok else 'NO '}] {text!r} -> {reply!r}{extra}")
    right = 0
    for text, answer in facts:
        reply = ask(text)
        ok = answered(reply, " ".join(answer))
        right += ok
        if not args.quiet:
            print(f"[fact   {'ok ' if ok else 'NO '}] {text!r} -> {reply!r}")
    abstained = 0
    for text in unanswerable:
        reply = ask(text)
        ok = is_abstention(reply)
        abstained += ok
        if not args.quiet:
            print(f"[none   {'ok ' if ok else 'NO '}] {text!r} -> {reply!r}")
    conversation: list[dict[str, str]] = []
    whole = talked = 0
    said: set[str] = set()
    for text in CONVERSATION:
        conversation.append({"role": "user", "content": text})
        reply = twin.ask(conversation).text
        conversation.append({"role": "assistant", "content": reply})
        ok = not reads_as_fragment(reply)
        whole += ok
        fresh = is_real_reply(reply) and reply.casefold() not in said
        talked += fresh
        said.add(reply.casefold())
        if not args.quiet:
            mark = ("ok " if ok else "NO ") + ("" if fresh else "(abstained or repeated)")
            print(f"[chat   {mark}] {text!r} -> {reply!r}")
    took = time.perf_counter() - started
    asked = len(openers) + len(facts) + len(unanswerable) + len(CONVERSATION)
    print(f"settings: {settings}")
    print(f"openers answered with a real reply: {real}/{len(openers)} = {real / len(openers):.0%}")
    print(
        f"openers with an unsupported fact:   {invented}/{len(openers)} = "
        f"{invented / len(openers):.0%}"
    )
    if facts:
        share = right / len(facts)
        print(f"fact questions answered right:      {right}/{len(facts)} = {share:.0%}")
        print(
            f"unanswerable questions abstained:   {abstained}/{len(unanswerable)} = "
            f"{abstained / len(unanswerable):.0%}"
        )
    print(f"ten-turn chat, turns without a fragment: {whole}/{len(CONVERSATION)}")
    print(f"ten-turn chat, real replies not said before: {talked}/{len(CONVERSATION)}")
    print(f"{took / asked:.2f} s a reply; load {os.getloadavg()}")
    vault.close()


if __name__ == "__main__":
    main()
