"""Word and PDF files from Markdown: the portal's one way to make them (handbook, reports, agenda).

The Markdown given here is the portal's own (headings, the caller's titles) around user text that
has no raw HTML left (`strip_html`). pandoc reads it with raw HTML and raw blocks off, in a sandbox
(it opens no file and fetches nothing). A Lua filter (documents.lua) keeps only the caller's images
(written to a temporary folder, never fetched from outside), http(s)/mailto links (and, in Word,
links to its own headings), and gives list paragraphs Word's list styles (List Bullet 2, List Continue 2).

- DOCX: pandoc's Word writer: Heading styles, a TOC field, Word footnotes and tables, images embedded.
- PDF: pandoc writes Typst markup (user text escaped: `#`, `$`, `<`, `@`, `\\` stay text), which
  follows our own Typst preamble (A4, "Page N of M", the current level-1 heading as running head,
  a DRAFT mark on the pages of the headings named in `drafts`, a title page and contents when asked);
  `typst.compile` lays it out with its own embedded fonts and the temporary folder as its root, so
  it reads nothing outside it. No system package is needed.
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Sequence

READER = "commonmark_x-raw_html-raw_attribute-smart-tex_math_dollars-fancy_lists-yaml_metadata_block"
FILTER = Path(__file__).with_name("documents.lua")
PREAMBLE = Path(__file__).with_name("documents.typ")
IMAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.(?:png|jpe?g|gif|svg)$")
_SCRIPT_BLOCKS = re.compile(r"<(script|style|iframe|object)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_PUNCTUATION = set("\\`*_{}[]<>()#+-.!|~^$@&")
_TAGS = re.compile(r"</?[a-zA-Z][^>\n]*>|<!--.*?-->", re.DOTALL)


class DocumentFailed(Exception):
    """pandoc or Typst could not make the file (the message says why)."""


def escape_markdown(text: str) -> str:
    """Our own one-line text (a title, a name) as Markdown that reads as written, on one line."""
    return "".join("\\" + c if c in _PUNCTUATION else c for c in " ".join(text.split()))


def strip_html(text: str) -> str:
    """Raw HTML removed as the portal's sanitiser removes it (scripts with their content)."""
    return _TAGS.sub("", _SCRIPT_BLOCKS.sub("", text))


def _pandoc(markdown: str, to: str, folder: Path, images: Mapping[str, bytes], extra: Sequence[str] = ()) -> bytes:
    """Run pandoc on `markdown` in the sandbox; the images are files in `folder`, read by the filter only."""
    import pypandoc

    for name, data in images.items():
        if not IMAGE_NAME.match(name):
            raise ValueError(f"Not an image name the documents accept: {name!r}")
        (folder / name).write_bytes(data)
    env = {**os.environ, "GMG_DOCUMENT_FOLDER": str(folder), "GMG_DOCUMENT_IMAGES": "\n".join(images)}
    result = subprocess.run(
        [pypandoc.get_pandoc_path(), "--from", READER, "--to", to, "--sandbox", "--wrap=none",
         f"--lua-filter={FILTER}", "--output", "-", *extra],
        input=markdown.encode("utf-8"), capture_output=True, env=env, check=False)
    if result.returncode != 0:
        raise DocumentFailed(f"pandoc could not write the {to.upper()} file: "
                             f"{result.stderr.decode(errors='replace').strip()[:500]}")
    return result.stdout


def markdown_to_docx(markdown: str, *, title: str | None, toc: bool = False, toc_depth: int = 2,
                     images: Mapping[str, bytes] | None = None) -> bytes:
    """A Word file: `title` as its Title paragraph (and document property), an optional TOC field,
    `#` headings as Heading 1, footnotes as Word footnotes, tables as Word tables, `images` (name ->
    bytes, referred to as `![alt](name)`) embedded with their alt text."""
    args = ["--metadata=lang:en-GB"]
    if title:
        args.append(f"--metadata=title:{title}")
    if toc:
        args += ["--toc", f"--toc-depth={toc_depth}"]
    with tempfile.TemporaryDirectory(prefix="gmg-docx-") as folder:
        return _pandoc(markdown, "docx", Path(folder), images or {}, args)


def markdown_to_typst(markdown: str, images: Mapping[str, bytes] | None = None) -> str:
    """The Typst markup pandoc writes for `markdown` (user text escaped), for tests and the bench."""
    with tempfile.TemporaryDirectory(prefix="gmg-typst-") as folder:
        return _pandoc(markdown, "typst", Path(folder), images or {}).decode("utf-8")


def markdown_to_pdf(markdown: str, *, title: str, subtitle: Sequence[str] = (), title_page: bool = False,
                    contents: bool = False, chapter_breaks: bool = False, drafts: Iterable[str] = (),
                    draft_mark: str = "DRAFT – not accepted", images: Mapping[str, bytes] | None = None) -> bytes:
    """An A4 PDF with "Page N of M" and the current `#` heading as running head.

    `title_page`: a first page with `title` and the `subtitle` lines; `contents`: a contents page of
    the `#` headings with their page numbers; `chapter_breaks`: each `#` heading starts a page;
    `drafts`: identifiers of `#` headings (`# Title {#chapter-6}`) whose pages carry `draft_mark`.
    """
    images = images or {}
    with tempfile.TemporaryDirectory(prefix="gmg-pdf-") as name:
        folder = Path(name)
        body = _pandoc(markdown, "typst", folder, images)
        (folder / "main.typ").write_bytes(PREAMBLE.read_bytes() + b"\n" + body)
        inputs = {"title": title, "subtitle": "\n".join(subtitle), "title-page": "yes" if title_page else "",
                  "contents": "yes" if contents else "", "chapter-breaks": "yes" if chapter_breaks else "",
                  "drafts": "\n".join(drafts), "draft-mark": draft_mark}
        return _typst(folder / "main.typ", folder, inputs)


def _typst(main: Path, root: Path, inputs: dict[str, str]) -> bytes:
    import typst

    try:
        return typst.compile(str(main), root=str(root), ignore_system_fonts=True, sys_inputs=inputs)
    except Exception as error:  # typst.TypstError, with Typst's own message
        raise DocumentFailed(f"Typst could not lay out the PDF: {str(error)[:500]}") from None
