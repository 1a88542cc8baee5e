"""User Markdown is rendered, then sanitised: no script survives."""
from __future__ import annotations

import pytest

from gmgportal.core.markdown import markdown_to_text, render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<IMG SRC=x OnError=alert(1)>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;script:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<div onclick="alert(1)">raw html</div>',
    '<svg><script>alert(1)</script></svg>',
    '<style>body{display:none}</style>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<form action="https://evil.example"><input name=x></form>',
    "<object data=x></object><embed src=x>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payloads_do_not_survive(payload):
    html = str(render_markdown(payload)).lower()
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "vbscript:", "data:", "<iframe",
                "<style", "<form", "<object", "<embed", "<svg", "<img", "<div"):
        assert bad not in html, (payload, html)


def test_ordinary_markdown_renders():
    html = str(render_markdown("**Draft** handbook, see [the note](https://example.org/note) and "
                               "<mailto:focal@iom.int>\n\n- one\n- two"))
    assert "<strong>Draft</strong>" in html
    assert '<a href="https://example.org/note" rel="noopener noreferrer nofollow">the note</a>' in html
    assert 'href="mailto:focal@iom.int"' in html
    assert "<li>one</li>" in html


def test_tables_render():
    html = str(render_markdown("| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<table>" in html and "<td>1</td>" in html


def test_template_filter_escapes_nothing_twice(app):
    from flask import render_template_string

    out = render_template_string("{{ text|markdown }}", text="5 < 6 & *yes*")
    assert "5 &lt; 6 &amp; <em>yes</em>" in out


def test_plain_text_excerpt():
    assert markdown_to_text("**Bold** and <b>html</b> " + "x" * 300, limit=20).endswith("…")
    assert markdown_to_text("**Bold** text") == "Bold text"
