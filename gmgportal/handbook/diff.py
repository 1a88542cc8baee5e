"""Word-level differences between two versions of a chapter.

Paragraphs are compared first; only paragraphs that changed are compared word
by word, so a long chapter with a few edits is quick (10,000 words well under
300 ms, see bench/handbook.py). The result is rendered with `<ins>`/`<del>`
carrying visually hidden "inserted:"/"deleted:" words, and marked with
underline and strike-through, so it reads without colour.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from markupsafe import Markup, escape

from gmgportal.handbook.models import split_paragraphs

_TOKENS = re.compile(r"^\s+|\S+\s*")  # a word with the spaces after it


REWRITTEN = 0.3  # texts sharing fewer word pairs than this are shown as replaced whole


@dataclass(frozen=True)
class Segment:
    op: str  # "equal" | "insert" | "delete"
    text: str


@dataclass
class DiffResult:
    paragraphs: list[list[Segment]]
    inserted_words: int
    deleted_words: int

    @property
    def unchanged(self) -> bool:
        return not (self.inserted_words or self.deleted_words)


def _words(segments: list[Segment], op: str) -> int:
    return sum(len(s.text.split()) for s in segments if s.op == op)


_SENTENCES = re.compile(r"[^.!?;\n]*(?:[.!?;\n]+\s*|$)")
SENTENCE_LEVEL_ABOVE = 150  # words: longer paragraphs are matched sentence by sentence first


def diff_paragraph(old: str, new: str) -> list[Segment]:
    """A changed paragraph: sentence by sentence when long, then word by word within changed sentences."""
    if len(old.split()) <= SENTENCE_LEVEL_ABOVE and len(new.split()) <= SENTENCE_LEVEL_ABOVE:
        return diff_words(old, new)
    a, b = [x for x in _SENTENCES.findall(old) if x], [x for x in _SENTENCES.findall(new) if x]
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(Segment("equal", "".join(a[i1:i2])))
        else:
            segments.extend(diff_words("".join(a[i1:i2]), "".join(b[j1:j2])))
    return segments


def diff_words(old: str, new: str) -> list[Segment]:
    """Word by word (whitespace kept with the words) between two texts."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    if _rewritten(a, b):
        return [Segment("delete", old), Segment("insert", new)]  # word-level marks would be noise
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(Segment("equal", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            segments.append(Segment("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            segments.append(Segment("insert", "".join(b[j1:j2])))
    return [s for s in segments if s.text]


def _rewritten(a: list[str], b: list[str]) -> bool:
    """Few pairs of neighbouring words in common: the text was rewritten, not edited."""
    if len(a) < 8 or len(b) < 8:
        return False
    pairs_a = {(x.strip(), y.strip()) for x, y in zip(a, a[1:])}
    pairs_b = {(x.strip(), y.strip()) for x, y in zip(b, b[1:])}
    return len(pairs_a & pairs_b) < REWRITTEN * min(len(pairs_a), len(pairs_b))


def diff_texts(old: str, new: str) -> DiffResult:
    """Paragraph by paragraph; changed runs of paragraphs word by word."""
    a, b = split_paragraphs(old), split_paragraphs(new)
    out: list[list[Segment]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend([Segment("equal", p)] for p in a[i1:i2])
        elif tag == "delete":
            out.extend([Segment("delete", p)] for p in a[i1:i2])
        elif tag == "insert":
            out.extend([Segment("insert", p)] for p in b[j1:j2])
        else:
            out.extend(_pair_paragraphs(a[i1:i2], b[j1:j2]))
    flat = [s for p in out for s in p]
    return DiffResult(out, _words(flat, "insert"), _words(flat, "delete"))


def _pair_paragraphs(old: list[str], new: list[str]) -> list[list[Segment]]:
    """Changed paragraphs side by side: the n-th old with the n-th new, the rest inserted or deleted."""
    result = [diff_paragraph(o, n) for o, n in zip(old, new)]
    result += [[Segment("delete", o)] for o in old[len(new):]]
    result += [[Segment("insert", n)] for n in new[len(old):]]
    return result


def render_segments(segments: list[Segment]) -> Markup:
    parts = []
    for s in segments:
        text = escape(s.text)
        if s.op == "insert":
            parts.append(Markup('<ins><span class="visually-hidden">inserted: </span>{}</ins>').format(text))
        elif s.op == "delete":
            parts.append(Markup('<del><span class="visually-hidden">deleted: </span>{}</del>').format(text))
        else:
            parts.append(text)
    return Markup("").join(parts)
