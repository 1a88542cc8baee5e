"""The handbook: word-level differences of a 10,000-word chapter (an edit in every tenth paragraph,
a full rewrite, one huge paragraph; target under 300 ms), and compiling 20 chapters of 5,000 words
each (targets: HTML under 1 s, DOCX under 5 s, PDF under 30 s; DOCX and PDF by core.documents:
pandoc, and Typst for the PDF)."""
from __future__ import annotations

import os
import random
import statistics
import time

from gmgportal.handbook.diff import diff_texts, render_segments

TARGET_MS = 300
COMPILE_TARGETS = {"HTML": 1.0, "DOCX": 5.0, "PDF": 30.0}
CHAPTERS, CHAPTER_WORDS = 20, 5000
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


def _markdown_chapter(number: int) -> str:
    """About CHAPTER_WORDS words with sections, a list, a table and footnotes."""
    body = _chapter(CHAPTER_WORDS - 120, seed=number).split("\n\n")
    sections = []
    for i, paragraph in enumerate(body):
        if i % 8 == 0:
            sections.append(f"## Section {i // 8 + 1}")
        sections.append(paragraph + (f"[^{i}]" if i % 10 == 5 else ""))
    sections.append("- first point\n- second point\n    - a nested point")
    sections.append("| Survey | Countries |\n|---|---|\n| LFS | 40 |\n| DHS | 90 |")
    sections += [f"[^{i}]: A note on paragraph {i}." for i in range(len(body)) if i % 10 == 5]
    return "\n\n".join(sections)


def _compile_bench() -> list[str]:
    from gmgportal.auth.models import Agency
    from gmgportal.handbook.compile import CompiledChapter, build_docx, build_html, build_pdf, chapter_html
    from gmgportal.handbook.models import Chapter, ChapterVersion, EditionMode, Handbook

    handbook = Handbook(title="Measuring International Migration and its Impact on Development", concept_note="A note.")
    agency = Agency(code="UN/DESA", name="UN/DESA")
    picked = [CompiledChapter(Chapter(number=n, title=f"Chapter title {n}", lead_agency=agency),
                              ChapterVersion(number=1, text=_markdown_chapter(n)), n % 2 == 0)
              for n in range(1, CHAPTERS + 1)]
    words = sum(len(p.version.text.split()) for p in picked)

    def make_html() -> str:
        for p in picked:
            p.html = chapter_html(p.version.text, p.chapter.number, {})
        return build_html(handbook, 1, EditionMode.LATEST, picked, {})

    made, timings = {}, {}
    for name, work in (("HTML", make_html), ("DOCX", lambda: build_docx(handbook, picked, {})),
                       ("PDF", lambda: build_pdf(handbook, 1, EditionMode.LATEST, picked, {}))):
        wall, cpu = time.perf_counter(), _cpu()
        made[name] = work()
        timings[name] = (time.perf_counter() - wall, _cpu() - cpu)
    sizes = {"HTML": len(made["HTML"].encode()), "DOCX": len(made["DOCX"]), "PDF": len(made["PDF"])}
    lines = [f"compile {CHAPTERS} chapters, {words:,} words in all (CPU counts pandoc's too):"]
    for name, (wall, cpu) in timings.items():
        verdict = "OK" if wall < COMPILE_TARGETS[name] else "TOO SLOW"
        lines.append(f"  {name}: {wall:.2f} s wall, {cpu:.2f} s CPU, {sizes[name] / 1024:,.0f} KB "
                     f"[target < {COMPILE_TARGETS[name]:.0f} s: {verdict}]")
    return lines


def _cpu() -> float:
    """CPU seconds of this process and of the children it waited for (pandoc)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


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
    return lines + _compile_bench()
