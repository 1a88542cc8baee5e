"""core.documents: Word and PDF from Markdown; user text stays text, only the caller's images go in."""
from __future__ import annotations

import io
import subprocess

import pytest

from gmgportal.core.documents import (DocumentFailed, markdown_to_docx, markdown_to_pdf, markdown_to_typst,
                                      strip_html)

HOSTILE = """# Chapter 1. Typst in user text {#chapter-1}

#import "evil.typ": *
#read("/etc/passwd") and #include "/etc/hostname"

Prices in $5 and $x$ dollars, a < b, x<y, mail@example.org, @ref and a back\\slash \\\\ too.

```
#set page(paper: "a0")
```

[a script](javascript:alert(1)) [a page](https://example.org) [nowhere](#no-such-heading)
![the password file](/etc/passwd) ![outside](https://example.org/x.png)
"""


def pdf_pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def test_typst_and_math_syntax_in_user_text_comes_out_as_text(tmp_path):
    pdf = markdown_to_pdf(HOSTILE, title="#import \"x\" $y$")
    text = " ".join(" ".join(pdf_pages(pdf, tmp_path)).split())
    assert '#import "evil.typ": *' in text
    assert '#read("/etc/passwd") and #include "/etc/hostname"' in text
    assert "Prices in $5 and $x$ dollars, a < b, x<y, mail@example.org, @ref and a back\\slash \\ too." in text
    assert '#set page(paper: "a0")' in text
    assert "root:" not in text  # nothing was read
    assert "a script a page nowhere" in text and "the password file outside" in text  # links and images: text


def test_the_typst_markup_escapes_what_typst_would_run():
    markup = markdown_to_typst(HOSTILE)
    assert '\\#import' in markup and '\\#read(' in markup and "\\$x\\$" in markup and "\\@ref" in markup
    assert "image(" not in markup and "javascript" not in markup and "no-such-heading" not in markup


def test_non_latin_text_renders_with_the_embedded_fonts(tmp_path):
    pdf = markdown_to_pdf("# Countries\n\nCôte d'Ivoire, Türkiye, São Tomé and Príncipe, Curaçao; “quoted” – dash.",
                          title="Countries")
    text = " ".join(pdf_pages(pdf, tmp_path))
    assert "Côte d'Ivoire, Türkiye, São Tomé and Príncipe, Curaçao; “quoted” – dash." in text
    path = tmp_path / "out.pdf"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "LibertinusSerif" in fonts and "Type 3" not in fonts


def test_pages_are_numbered_with_the_chapter_as_running_head_and_drafts_marked(tmp_path):
    long = "\n\n".join(["Words about migration data. " * 40] * 12)
    markdown = (f"# Concept note {{#concept-note}}\n\nA note.\n\n# Chapter 1. Surveys {{#chapter-1}}\n\n{long}\n\n"
                f"# Chapter 2. Registers (draft) {{#chapter-2}}\n\n{long}")
    pdf = markdown_to_pdf(markdown, title="The handbook", subtitle=["Edition 3"], title_page=True, contents=True,
                          chapter_breaks=True, drafts=["chapter-2"], draft_mark="DRAFT – not accepted")
    pages = pdf_pages(pdf, tmp_path)
    total = len(pages)
    assert "The handbook" in pages[0] and "Edition 3" in pages[0] and "Page" not in pages[0]
    assert "Contents" in pages[1] and "Chapter 2. Registers (draft)" in pages[1]
    for number, page in enumerate(pages[1:], start=2):
        assert f"Page {number} of {total}" in page
    chapter_1 = [p for p in pages if p.lstrip().startswith("Chapter 1. Surveys")]
    chapter_2 = [p for p in pages if p.lstrip().startswith("Chapter 2. Registers (draft)")]
    assert len(chapter_1) >= 2 and len(chapter_2) >= 2  # the running head on every page of a chapter
    assert all("DRAFT – not accepted" in p for p in chapter_2)
    assert not any("DRAFT" in p for p in pages if p not in chapter_2)


def test_only_the_given_images_go_in(tmp_path):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buffer, format="PNG")
    markdown = "# One\n\n![A navy box](box.png)\n\n![the password file](/etc/passwd)"
    pdf = markdown_to_pdf(markdown, title="Images", images={"box.png": buffer.getvalue()})
    (tmp_path / "out.pdf").write_bytes(pdf)
    listed = subprocess.run(["pdfimages", "-list", str(tmp_path / "out.pdf")], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert len(listed) == 1 and " 40 " in listed[0]
    import docx

    document = docx.Document(io.BytesIO(markdown_to_docx(markdown, title="Images",
                                                         images={"box.png": buffer.getvalue()})))
    assert len(document.inline_shapes) == 1
    assert document.inline_shapes[0]._inline.docPr.get("descr") == "A navy box"
    with pytest.raises(ValueError):
        markdown_to_pdf(markdown, title="x", images={"../box.png": b""})


def test_the_docx_has_word_styles_footnotes_tables_and_a_toc_field():
    import docx

    markdown = ("# Chapter 1. Surveys\n\n## Modules\n\nCounted.[^1]\n\n- Output 1.2\n  - (1) Handbook\n\n"
                "    A narrative.\n\n1. First\n2. Second\n\n> Quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                "[^1]: Since 2000.")
    document = docx.Document(io.BytesIO(markdown_to_docx(markdown, title="Handbook", toc=True)))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Title", "Handbook") in styles and ("Heading 1", "Chapter 1. Surveys") in styles
    assert ("Heading 2", "Modules") in styles and ("List Bullet", "Output 1.2") in styles
    assert ("List Bullet 2", "(1) Handbook") in styles and ("List Continue 2", "A narrative.") in styles
    assert ("List Number", "First") in styles and ("Quote", "Quoted") in styles
    assert document.tables[0].cell(1, 1).text == "2" and "instrText" in document.element.xml
    notes = next(p for p in document.part.package.iter_parts() if p.partname == "/word/footnotes.xml")
    assert "Since 2000." in notes.blob.decode()
    assert document.core_properties.title == "Handbook"


def test_strip_html_removes_tags_and_scripts_with_their_content():
    assert strip_html("a <b>bold</b> <script>alert(1)</script> <!-- x --> b") == "a bold   b"


def test_a_layout_error_is_a_document_failure():
    from gmgportal.core import documents

    with pytest.raises(DocumentFailed):
        documents._typst(documents.PREAMBLE, documents.PREAMBLE.parent, {})  # no title: Typst refuses
