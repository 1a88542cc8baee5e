"""Word in: how long a DOCX takes to become Markdown, by size, to place the in-request/job threshold.

Two families of files, written by pandoc from Markdown: text-heavy chapters (sections, lists, a
table and footnotes, growing in words) and image-heavy ones (a short text with incompressible
PNG images, growing in megabytes). Each is timed through what the upload does before it writes:
the package check (`check_package`) and the conversion (`convert_docx`, pandoc `--sandbox`).
The portal sends files above `HANDBOOK_DOCX_JOB_BYTES` (the size where text-heavy files cross
about a second) to a background job; smaller ones are converted in the request.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.handbook import _markdown_chapter

TARGET_SECONDS = 1.0
TEXT_WORDS = (2_500, 10_000, 15_000, 20_000, 30_000, 50_000, 100_000)
IMAGE_COUNTS = (4, 16, 40)
IMAGE_SIDE = 400  # 400 x 400 RGB noise: about 470 KB of PNG each


def _text_markdown(words: int) -> str:
    chapters, total, n = [], 0, 1
    while total < words:
        text = _markdown_chapter(n).replace("[^", f"[^p{n}-")  # footnote labels unique across parts
        chapters.append(f"# Part {n}\n\n{text}")
        total += len(text.split())
        n += 1
    return "\n\n".join(chapters)


def _image_markdown(folder: Path, count: int) -> str:
    from PIL import Image

    lines = ["# Figures", "", "The figures of the chapter follow."]
    for i in range(count):
        path = folder / f"figure{i}.png"
        Image.frombytes("RGB", (IMAGE_SIDE, IMAGE_SIDE), os.urandom(IMAGE_SIDE * IMAGE_SIDE * 3)).save(path)
        lines += ["", f"![Figure {i + 1}: noise]({path.name})"]
    return "\n".join(lines)


def _write_docx(folder: Path, markdown: str, name: str) -> Path:
    import pypandoc

    source, out = folder / f"{name}.md", folder / f"{name}.docx"
    source.write_text(markdown)
    pypandoc.convert_file(str(source), "docx", outputfile=str(out), extra_args=[f"--resource-path={folder}"])
    return out


def _time_conversion(path: Path, runs: int = 3) -> float:
    from gmgportal.handbook.docx_import import check_package, convert_docx

    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        check_package(path, path.name)
        convert_docx(path)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _line(label: str, path: Path, seconds: float) -> str:
    import zipfile

    from gmgportal.handbook.docx_import import DEFAULT_JOB_BYTES

    document = zipfile.ZipFile(path).getinfo("word/document.xml").file_size
    verdict = "over 1 s" if seconds >= TARGET_SECONDS else "under 1 s"
    path_taken = "job" if document > DEFAULT_JOB_BYTES else "request"
    return (f"  {label}: file {path.stat().st_size / 1024:,.0f} KB, document part {document / 1024:,.0f} KB, "
            f"{seconds:.2f} s median of 3 [{verdict}; goes to the {path_taken}]")


def run() -> list[str]:
    from gmgportal.handbook.docx_import import DEFAULT_JOB_BYTES

    lines = ["DOCX import (package check + pandoc conversion), text-heavy files:"]
    with tempfile.TemporaryDirectory(prefix="bench-docx-") as name:
        folder = Path(name)
        for words in TEXT_WORDS:
            path = _write_docx(folder, _text_markdown(words), f"text{words}")
            lines.append(_line(f"{words:,} words", path, _time_conversion(path)))
        lines.append("image-heavy files (a short text and incompressible PNG images):")
        for count in IMAGE_COUNTS:
            path = _write_docx(folder, _image_markdown(folder, count), f"images{count}")
            lines.append(_line(f"{count} images", path, _time_conversion(path)))
    lines.append(f"threshold in use: a document part over {DEFAULT_JOB_BYTES / 1024:,.0f} KB goes to a job "
                 f"(HANDBOOK_DOCX_JOB_BYTES)")
    return lines
