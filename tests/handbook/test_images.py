"""Images from Word files on the portal's own pages: only the chapter's own, by their portal address."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from gmgportal.core.markdown import render_markdown
from gmgportal.handbook import services
from gmgportal.handbook.models import ChapterImage, chapter_markdown


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def add_image(db):
    """An image stored for `chapter`, as the Word import stores it."""
    from gmgportal.core.attachments import store_bytes

    def add(chapter, user) -> ChapterImage:
        image = ChapterImage(chapter_id=chapter.id, stored_file=store_bytes(_png(), "red.png", ("png",)),
                             filename="red.png", uploaded_by_id=user.id)
        db.session.add(image)
        db.session.commit()
        return image

    return add


def _images(html: str) -> list[str]:
    return re.findall(r"<img\b[^>]*>", html)


def test_the_chapter_s_own_image_is_shown_with_its_alt_text(db, surveys, people, auth, client, add_image):
    image = add_image(surveys, people["wb"])
    services.save_chapter_version(surveys, people["wb"], f"Intro.\n\n![A red box](/handbook/images/{image.id})", "", 0)
    db.session.commit()
    auth.login("editor@example.org")
    for path in (f"/handbook/chapters/{surveys.id}", f"/handbook/chapters/{surveys.id}/versions/1",
                 f"/handbook/chapters/{surveys.id}/comments/new?paragraph=1"):
        html = client.get(path).get_data(as_text=True)
        assert _images(html) == [f'<img src="/handbook/images/{image.id}" alt="A red box">'], path
    with client.get(f"/handbook/images/{image.id}") as response:
        assert response.status_code == 200 and response.data.startswith(b"\x89PNG")


def test_the_editor_s_preview_shows_the_chapter_s_own_image(db, surveys, people, auth, post_form, add_image):
    image = add_image(surveys, people["wb"])
    auth.login("author.wb@example.org")
    path = f"/handbook/chapters/{surveys.id}/edit"
    response = post_form(path, {"text": f"![Map](/handbook/images/{image.id})", "based_on": 0, "preview": "Preview"})
    assert f'<img src="/handbook/images/{image.id}" alt="Map">' in response.get_data(as_text=True)


def test_another_chapter_s_image_and_unknown_ids_are_not_shown(db, surveys, chapter_by_number, people, auth, client,
                                                               add_image):
    other = add_image(chapter_by_number(5), people["wb"])  # chapter 5 (remittances): World Bank leads
    own = add_image(surveys, people["wb"])
    text = f"![theirs](/handbook/images/{other.id})\n\n![gone](/handbook/images/{own.id + 100})\n\n![ours](/handbook/images/{own.id})"
    services.save_chapter_version(surveys, people["wb"], text, "", 0)
    db.session.commit()
    auth.login("editor@example.org")
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    assert _images(html) == [f'<img src="/handbook/images/{own.id}" alt="ours">']


def test_outside_images_are_removed_and_never_fetched(db, surveys, people, auth, client, add_image, outside_server):
    image = add_image(surveys, people["wb"])
    outside = f"http://127.0.0.1:{outside_server.port}/tracker.png"
    text = "\n\n".join([
        f"![tracker]({outside})",
        f"<img src=\"{outside}\">",
        f"![proto](//127.0.0.1:{outside_server.port}/handbook/images/{image.id})",
        "![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "![js](javascript:alert(1))",
        f"<img src=\"/handbook/images/{image.id}\" onerror=\"alert(1)\" onload=\"alert(2)\" style=\"x\" alt=\"ok\">",
        f"<script>alert(3)</script>\n\n![after script](/handbook/images/{image.id})",
    ])
    services.save_chapter_version(surveys, people["wb"], text, "", 0)
    db.session.commit()
    auth.login("editor@example.org")
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    version_html = client.get(f"/handbook/chapters/{surveys.id}/versions/1").get_data(as_text=True)
    assert outside_server.hits == []
    for page in (html, version_html):
        lowered = page.lower()
        assert "127.0.0.1" not in lowered.split("<textarea")[0]
        for bad in ("onerror", "onload", "javascript:", "data:image", "<script>alert", "style=\"x\""):
            assert bad not in lowered, bad
        # Raw HTML is never markup (the <img> tag with handlers is dropped whole); the Markdown image stays.
        assert _images(page) == [f'<img src="/handbook/images/{image.id}" alt="after script">']


def test_the_portal_s_sanitiser_keeps_no_image_unless_asked():
    own = "![x](/handbook/images/1)"
    assert "<img" not in str(render_markdown(own))
    assert "<img" not in str(render_markdown(own, images=lambda src: False))
    assert '<img src="/handbook/images/1" alt="x">' in str(render_markdown(own, images=lambda src: True))
    # A rule that says yes to everything still never lets an outside address or a scheme through.
    for src in ("https://example.org/x.png", "//example.org/x.png", "data:image/png;base64,AAAA",
                "javascript:alert(1)", "/\\example.org/x.png"):
        assert "<img" not in str(render_markdown(f"![x]({src})", images=lambda s: True)), src
    assert "<img" not in str(chapter_markdown(own)) and "<img" in str(chapter_markdown(own, {1}))


def test_the_image_route_is_for_the_group_s_members_only(db, surveys, people, auth, client, add_image, make_user):
    image = add_image(surveys, people["wb"])
    response = client.get(f"/handbook/images/{image.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    make_user("outsider@example.org", roles=())
    auth.login("outsider@example.org")
    assert client.get(f"/handbook/images/{image.id}").status_code == 403
    auth.logout()
    auth.login("focal.iom@example.org")  # a member, even of an agency without a part in the chapter
    with client.get(f"/handbook/images/{image.id}") as response:
        assert response.status_code == 200
    assert client.get(f"/handbook/images/{image.id + 100}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChapterImage)) == 1
