"""Report sections as HTML for the pages: each distinct section text is rendered once per process.

A draft's sections are assembled from the live data on every view, but their text changes only when the
data under them does; a frozen report's never. Rendering the Markdown of a large programme's highlights
(thousands of narratives) is most of a page's time, so the HTML is kept by the text's digest in a bounded
memory (it is a pure function of the text, through the portal's one sanitiser).
"""
from __future__ import annotations

import hashlib

from markupsafe import Markup

from gmgportal.core.markdown import render_markdown
from gmgportal.core.pagecache import PageCache

_rendered = PageCache(max_entries=256, max_bytes=48 * 1024 * 1024, max_entry_bytes=16 * 1024 * 1024)


def section_markup(markdown: str) -> Markup:
    """`render_markdown(markdown)`, from memory when the same text was rendered before."""
    key = ("report-section", hashlib.sha256(markdown.encode("utf-8")).hexdigest())
    html = _rendered.get(key)
    if html is None:
        html = str(render_markdown(markdown))
        _rendered.put(key, html)
    return Markup(html)


def forget_rendered() -> None:
    """Empty the memory (the bench measures a first view with it)."""
    _rendered.clear()
