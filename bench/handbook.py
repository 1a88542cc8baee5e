"""The handbook's word-level differences: a 10,000-word chapter against a copy with an edit in
every tenth paragraph (insertions, deletions, replacements), and against a full rewrite of its
word order. The target: a 10,000-word diff in under 300 ms."""
from __future__ import annotations

import random
import statistics
import time

from gmgportal.handbook.diff import diff_texts, render_segments

TARGET_MS = 300
VOCABULARY = ("migrant stock flow census survey register remittance balance payments household country "
              "citizenship birth residence year arrival return labour force sample estimate data source "
              "national statistical office definition disaggregated sex age children women elderly").split()


def _chapter(words: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    paragraphs, left = [], words
    while left > 0:
        n = min(left, rng.randint(60, 140))
        paragraphs.append(" ".join(rng.choice(VOCABULARY) for _ in range(n)).capitalize() + ".")
        left -= n
    return "\n\n".join(paragraphs)


def _edited(text: str, seed: int = 2) -> str:
    rng = random.Random(seed)
    paragraphs = text.split("\n\n")
    for i in range(0, len(paragraphs), 10):
        words = paragraphs[i].split()
        for _ in range(5):
            at = rng.randrange(len(words))
            choice = rng.random()
            if choice < 0.4:
                words.insert(at, "inserted")
            elif choice < 0.7:
                del words[at]
            else:
                words[at] = "replaced"
        paragraphs[i] = " ".join(words)
    paragraphs.insert(len(paragraphs) // 2, "A whole new paragraph about remittances.")
    return "\n\n".join(paragraphs)


def _time(old: str, new: str, runs: int = 7) -> tuple[float, int, int]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = diff_texts(old, new)
        for paragraph in result.paragraphs:
            render_segments(paragraph)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result.inserted_words, result.deleted_words


def run() -> list[str]:
    old = _chapter(10_000)
    lines = []
    for name, new in (("edits in every tenth paragraph", _edited(old)),
                      ("every word re-drawn (worst case)", _chapter(10_000, seed=3))):
        ms, inserted, deleted = _time(old, new)
        verdict = "OK" if ms < TARGET_MS else "TOO SLOW"
        lines.append(f"diff of 10,000 words, {name}: {ms:.0f} ms median of 7 (+{inserted:,} / -{deleted:,} words) "
                     f"[target < {TARGET_MS} ms: {verdict}]")
    one_block = old.replace("\n\n", " ")
    for name, new in (("one 10,000-word paragraph with scattered edits", _edited(old).replace("\n\n", " ")),):
        old = one_block
        ms, inserted, deleted = _time(old, new)
        verdict = "OK" if ms < TARGET_MS else "TOO SLOW"
        lines.append(f"diff of 10,000 words, {name}: {ms:.0f} ms median of 7 (+{inserted:,} / -{deleted:,} words) "
                     f"[target < {TARGET_MS} ms: {verdict}]")
    return lines
