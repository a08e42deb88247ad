"""The words a person wrote in one email: the body without quoted replies or signatures."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
)
_HIDDEN = frozenset({"script", "style", "head", "title"})

# The line a mail client writes above the text it quotes, in the languages clients ship.
_ATTRIBUTION = re.compile(
    r"^\s*(?:On\b.{0,200}\bwrote:|Am\b.{0,200}\bschrieb\b.{0,120}:|Le\b.{0,200}\ba écrit\s*:"
    r"|El\b.{0,200}\bescribió:|Em\b.{0,200}\bescreveu:|Il\b.{0,200}\bha scritto:"
    r"|Op\b.{0,200}\bschreef\b.{0,120}:)\s*$",
    re.I | re.S,
)
_FORWARD_OR_ORIGINAL = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht"
    r"|Message d'origine|Mensaje original)\s*-{2,}|_{20,})\s*$",
    re.I,
)
_OUTLOOK_HEADER = re.compile(r"^\s*\*?(?:From|Von|De):\*?\s.+$")
_SENT_FROM = re.compile(
    r"^\s*(?:Sent from my \w+|Sent from (?:Mail|Outlook|Yahoo Mail)\b|Get Outlook for \w+"
    r"|Von meinem \w+ gesendet|Envoyé de mon \w+|Enviado desde mi \w+).{0,60}$",
    re.I,
)


class _Text(HTMLParser):
    """Visible text of an HTML body, with block elements as line breaks and quotes left out.

    Everything inside ``<blockquote>`` is quoted text; so is everything from Gmail's
    ``gmail_quote`` block on (the attribution line included), which always ends the mail.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.blockquotes = 0
        self.rest_quoted = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        if tag == "blockquote":
            self.blockquotes += 1
        if "gmail_quote" in (dict(attrs).get("class") or ""):
            self.rest_quoted = True
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self.hidden:
            self.hidden -= 1
        if tag == "blockquote" and self.blockquotes:
            self.blockquotes -= 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not (self.hidden or self.blockquotes or self.rest_quoted):
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML email body, without the blocks it quotes."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def own_words(body: str) -> str:
    """The new text of a reply: quoted lines, the attribution above them, forwarded or original
    messages below and the signature (after ``-- ``, or a "Sent from my phone" line) removed."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            break  # the signature delimiter (RFC 3676 section 4.3)
        if _FORWARD_OR_ORIGINAL.match(line):
            break
        if _OUTLOOK_HEADER.match(line) and _looks_like_header_block(lines[index : index + 6]):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    # An attribution can wrap over two lines ("On Mon, 4 Mar 2024 at 10:00, Ann <a@x>\nwrote:").
    while kept and not kept[-1].strip():
        kept.pop()
    for span in (1, 2):
        if len(kept) >= span and _ATTRIBUTION.match(" ".join(kept[-span:])):
            del kept[-span:]
            break
    while kept and (not kept[-1].strip() or _SENT_FROM.match(kept[-1])):
        kept.pop()
    text = "\n".join(line.rstrip() for line in kept).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _looks_like_header_block(lines: list[str]) -> bool:
    """Outlook quotes with a block of From:/Sent:/To:/Subject: lines instead of ``>`` marks."""
    names = {"sent", "to", "subject", "date", "gesendet", "an", "betreff", "envoyé", "objet"}
    found = 0
    for line in lines[1:]:
        head = line.strip().lstrip("*").split(":", 1)[0].strip().lower()
        if head in names:
            found += 1
    return found >= 2
