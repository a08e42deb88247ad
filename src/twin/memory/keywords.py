"""The words of a question that keyword search looks for, each in its other forms too.

"what did I make" must find "Made a cake", "cooking" must find "cooked", "where did I leave my
keys" must find "left them at Ann's". The index keeps words as written (FTS5 unicode61), and
the question's words are searched in their inflected forms: the regular ones (-s, -es, -ed,
-ing, with a doubled consonant or a dropped e) and those of irregular verbs. Stemming the index
instead (FTS5 porter) was tried and left: it makes names into common words ("Ines" is stemmed
to "in" and so matched every passage with "in"), and a keyword hit always counts as relevant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_STOPWORD_TEXT = (
    "a about above after again all am an and any are as at be been before being below "
    "between both but by can could did do does doing down during each few for from further "
    "had has have having he her here hers herself him himself his how i if in into is it its "
    "itself just me more most my myself no nor not now of off on once only or other our ours "
    "ourselves out over own same she should so some such than that the their theirs them "
    "themselves then there these they this those through to too under until up very was we "
    "were what when where which while who whom why will with would you your yours yourself "
    "yourselves tell know remember"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_IRREGULAR_TEXT = (
    "arise arose arisen|awake awoke awoken|beat beaten|become became|"
    "begin began begun|bend bent|bet|bite bit bitten|bleed bled|blow blew blown|break broke "
    "broken|breed bred|bring brought|build built|burn burnt|buy bought|catch caught|choose chose "
    "chosen|come came|cost|creep crept|cut|deal dealt|dig dug|draw drew drawn|dream dreamt|"
    "drink drank drunk|drive drove driven|eat ate eaten|fall fell fallen|feed fed|feel felt|"
    "fight fought|find found|flee fled|fly flew flown|forbid forbade forbidden|forget forgot "
    "forgotten|forgive forgave forgiven|freeze froze frozen|get got gotten|give gave given|"
    "go went gone|grow grew grown|hang hung|hear heard|hide hid hidden|hit|"
    "hold held|hurt|keep kept|kneel knelt|lead led|lean leant|leap leapt|learn learnt|"
    "leave left|lend lent|lose lost|make made|mean meant|meet met|mistake mistook "
    "mistaken|pay paid|prove proven|put|quit|read|ride rode ridden|ring rang rung|"
    "run ran|say said|see saw seen|seek sought|sell sold|send sent|set|sew sewn|shake "
    "shook shaken|shine shone|shoot shot|show shown|shrink shrank shrunk|shut|sing sang sung|"
    "sink sank sunk|sit sat|sleep slept|slide slid|smell smelt|speak spoke spoken|speed sped|"
    "spell spelt|spend spent|spill spilt|spin spun|split|spread|stand "
    "stood|steal stole stolen|stick stuck|sting stung|stink stank stunk|strike struck|swear "
    "swore sworn|sweep swept|swim swam swum|swing swung|take took taken|teach taught|tear tore "
    "torn|think thought|throw threw thrown|understand understood|wake woke woken|wear wore "
    "worn|weave wove woven|weep wept|win won|write wrote written"
)
FORMS: dict[str, tuple[str, ...]] = {
    form: tuple(group.split()) for group in _IRREGULAR_TEXT.split("|") for form in group.split()
}
"""Each form of an irregular English verb → all its forms, the bare verb first."""

MAX_WORDS = 16
"""Words of a question searched at most (each with its forms)."""
_VOWELS = frozenset("aeiou")


def _bases(word: str) -> list[str]:
    """`word` and what it may be an inflection of: "cooked" → cook, "baking" → bake, bak."""
    bases = [word]
    for ending in ("ing", "ed"):
        stem = word.removesuffix(ending)
        if stem != word and len(stem) >= 3:
            bases += [stem, stem + "e"]
            if stem[-1] == stem[-2] and stem[-1] not in _VOWELS:  # stopped → stop
                bases.append(stem[:-1])
    if word.endswith("ied") and len(word) > 4:
        bases.append(word[:-3] + "y")
    if word.endswith("ies") and len(word) > 4:
        bases.append(word[:-3] + "y")
    elif word.endswith("es") and len(word) > 4:
        bases += [word[:-2], word[:-1]]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        bases.append(word[:-1])
    return bases


def _inflections(base: str, *, regular: bool = True) -> list[str]:
    """The regular forms of `base`: cook → cooks, cooked, cooking; bake → baked, baking.
    Without `regular` (an irregular verb), no -ed form."""
    if len(base) < 2 or not base.isalpha():
        return [base]
    stem = base[:-1] if base.endswith("e") and len(base) > 2 else base
    found = [base, base + "s", stem + "ing"]
    if regular:
        found.append(stem + "ed")
    if base.endswith(("s", "x", "z", "ch", "sh", "o")):
        found.append(base + "es")
    if base.endswith("y") and base[-2] not in _VOWELS:
        found += [base[:-1] + "ies", base[:-1] + "ied"]
    return found


def _inflected(word: str) -> bool:
    return word.endswith(("ing", "ed")) or (word.endswith("s") and not word.endswith("ss"))


def forms(word: str) -> list[str]:
    """Every form of `word` worth searching for, `word` first."""
    found = [word]
    for base in _bases(word):
        if base in FORMS:
            bare, *others = FORMS[base]
            found += [*_inflections(bare, regular=False), *others]
        elif base != word or not _inflected(word):
            found += _inflections(base)
    return list(dict.fromkeys(found))


def _meaningful(text: str) -> list[str]:
    found = re.findall(r"\w+", text.casefold())
    return list(dict.fromkeys(w for w in found if w not in STOPWORDS and len(w) > 1))


def search_words(text: str) -> list[str]:
    """The meaningful words of `text`, each followed by its other forms, without repeats."""
    words = _meaningful(text)[:MAX_WORDS]
    return list(dict.fromkeys(form for word in words for form in forms(word)))


def keyword_query(text: str, *, inflected: bool = True) -> str | None:
    """An FTS5 query matching any meaningful word of `text` (in any of its forms, unless not
    `inflected`); None if it has none. Every word is quoted, so nothing the user types is read
    as FTS5 syntax."""
    return match_any(search_words(text) if inflected else exact_words(text))


def exact_words(text: str) -> list[str]:
    """The meaningful words of `text` as written (case folded)."""
    return _meaningful(text)[:MAX_WORDS]


def match_any(words: Sequence[str]) -> str | None:
    """An FTS5 query matching any of `words`, each quoted; None without words."""
    return " OR ".join(f'"{word}"' for word in words) if words else None
