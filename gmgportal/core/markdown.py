"""Markdown for user text: render, then sanitise, always in that order."""
from __future__ import annotations

import hashlib
import re
from typing import Callable, Optional
from urllib.parse import unquote

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from markupsafe import Markup

from gmgportal.core.pagecache import PageCache

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# nh3's output writes every attribute as name="value" (quotes inside escaped), so tags parse reliably.
_IMG = re.compile(r"<img((?:\s+[\w-]+=\"[^\"]*\")*)\s*/?>")
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')

ImageRule = Callable[[str], bool]


CACHED_TEXT_CHARS = 5_000  # the handbook keeps its rendered paragraphs up to this length (handbook/models.py)
# Rendered texts are kept per process by their digest (the same text always gives the same HTML, and
# pages re-show the same paragraphs, comments and report sections), in a bounded memory.
_rendered = PageCache(max_entries=2048, max_bytes=64 * 1024 * 1024, max_entry_bytes=16 * 1024 * 1024)


def render_markdown(text: str | None, images: Optional[ImageRule] = None) -> Markup:
    """Markdown to safe HTML: raw HTML, scripts and non-http(s)/mailto links removed.

    No image is kept, unless the caller passes `images`: a function told each image's address
    (`src`, as written) that answers whether it is one of the caller's own (e.g. the handbook's
    `/handbook/images/<id>` of the chapter shown). Only those are kept, with their alt text and
    nothing else; every other image (outside address, data:, javascript:) is removed whole.
    """
    if not text:
        return Markup("")
    if images is not None:
        return _render(text, images)
    key = ("markdown", hashlib.sha256(text.encode("utf-8")).hexdigest())
    html = _rendered.get(key)
    if html is None:
        html = str(_render(text, None))
        _rendered.put(key, html)
    return Markup(html)


def forget_rendered() -> None:
    """Empty the memory of rendered texts (the benches measure a first view with it)."""
    _rendered.clear()


def markdown_html(text: str, *, footnotes: bool = False) -> str:
    """CommonMark with GitHub's tables, strikethrough and autolinks, by cmark-gfm (C: about 35 times
    Python-Markdown's speed, which bound the report draft and the handbook's pages). Not yet safe:
    cmark leaves raw HTML out and drops javascript: links, but only nh3 after it is the sanitiser."""
    return cmarkgfm.github_flavored_markdown_to_html(text, Options.CMARK_OPT_FOOTNOTES if footnotes else 0)


def _render(text: str, images: Optional[ImageRule]) -> Markup:
    html = markdown_html(text)
    tags, attributes = ALLOWED_TAGS, ALLOWED_ATTRIBUTES
    if images is not None:
        tags, attributes = ALLOWED_TAGS | {"img"}, {**ALLOWED_ATTRIBUTES, "img": {"src", "alt"}}

    def keep_src(tag: str, attribute: str, value: str) -> Optional[str]:
        if tag == "img" and attribute == "src":
            return value if images is not None and _is_local(value) and images(value) else None
        return value

    clean = nh3.clean(
        html,
        tags=tags,
        attributes=attributes,
        attribute_filter=keep_src if images is not None else None,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    if images is not None:
        clean = _IMG.sub(_own_image, clean)
    return Markup(clean.rstrip())


def _own_image(match: re.Match) -> str:
    """An image the caller accepted, as src and alt only; one that lost its src is removed."""
    attributes = dict(_ATTRIBUTE.findall(match.group(1)))
    if "src" not in attributes:
        return ""
    return f'<img src="{attributes["src"]}" alt="{attributes.get("alt") or "Image"}">'


def _is_local(src: str) -> bool:
    """A path on this site ("/..."), never a scheme, a protocol-relative "//host" or a backslash trick."""
    src = unquote(src)  # cmark writes a backslash as %5C
    return src.startswith("/") and not src.startswith("//") and "\\" not in src and ":" not in src


def markdown_to_text(text: str | None, limit: int = 200) -> str:
    """A plain-text excerpt, for lists and titles."""
    plain = nh3.clean(markdown_html(text or ""), tags=set()).strip()
    plain = " ".join(plain.split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
