"""Words that are not names on their own, in the languages twin's importers meet most.

`FUNCTION_WORDS` (the, and, to, my…) and `COMMON_WORDS` (mum, guys, pizza…) are never
redacted as a part of someone's name: a contact saved as "The Guys" or "Pizza To Go" must not
turn every "the" and "to" into a placeholder. `NAME_WORDS` are ordinary words that are also
given names (May, Will, Grace…): they are redacted only where they name the person.
"""

from __future__ import annotations

FUNCTION_WORDS = frozenset(
    """
    a about above after again against al all am an and any are as at be because been before
    being below between both but by can che con could da das de del der des di did die do
    does doing dos down du during e each een ein eine el en et few for from further gli had
    has have having he her here hers het him his how i if il im in into is ist it its just
    la las le les lo los may me might mine mit more most must my myself no nor not now o
    oder of off on once only op or os other ou our ours out over own para per por same shall
    she should so some such te than that the their theirs them then there these they this
    those through to too un und under une until up us van very via von vs was we were what
    when where which while who whom whose why will with would y yet you your yours zu
    """.split()  # noqa: SIM905 (a word list reads best as words)
)

COMMON_WORDS = frozenset(
    """
    admin aunt auntie babe baby band bank bar best bestie besties big bike book boss bro
    brother buddies builder business cab cafe car cat cell chat choir church class club
    college cousins crew dad daddy darling daughter dear delivery dentist doctor dog fam
    family fax football friend friends gang garden go good gran grandad granddad grandma
    grandpa granny group guys gym hair home honey house hubby husband info kids kitchen
    landlord little love ma main mam mama mate mates me mechanic mobile mom mommy mum mummy
    my nan nana neighbors neighbours new news office official old other our pa papa parents
    personal phone pizza plumber private pub restaurant salon school service shop sis sister
    soccer son squad store support takeaway taxi team tel to uncle uni vet wife work you
    """.split()  # noqa: SIM905 (a word list reads best as words)
)

NAME_WORDS = frozenset(
    """
    amber angel april art august autumn bill black bob brown bud buddy carol chance chase
    chuck clay cliff crystal daisy dawn dean destiny don drew dusty eve faith frank gay gene
    ginger glen grace grant green guy harry heather holly hope hunter iris ivy jack jasmine
    jean jewel jimmy joy june ken king lance lee lily mark max may melody miles misty nick
    olive page pat pearl peg penny ray reed rich rob rocky rose ruby rusty sally sandy skip
    sky sonny sue summer sunny violet wade white will wood young
    """.split()  # noqa: SIM905 (a word list reads best as words)
)

GREETINGS = frozenset(
    """
    ah and bye cheers congrats dear evening happy hello hey hi hiya love morning night oh ok
    okay sorry thank thanks thx welcome with yo
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
"""Words after which a capitalised common name is taken to name the person ("Hi May")."""


def is_common(word: str) -> bool:
    """Whether `word` (any case) is an ordinary word that is never a name part by itself."""
    key = word.casefold()
    return key not in NAME_WORDS and (key in FUNCTION_WORDS or key in COMMON_WORDS)
