"""The handbook's part of the "What needs you" home page."""
from __future__ import annotations

from flask import url_for

from gmgportal.core.formatting import format_date
from gmgportal.core.home import HomeItem, HomeSection, due_phrase, register_home_section
from gmgportal.core.permissions import Role
from gmgportal.handbook import queries, services
from gmgportal.handbook.models import Chapter, is_handbook_editor


def _chapter_item(chapter: Chapter, on) -> HomeItem:
    url = url_for("handbook.chapter", chapter_id=chapter.id)
    if chapter.due_date is None:
        return HomeItem(f"Chapter {chapter.number}: {chapter.title}", url, chapter.status.label)
    overdue = chapter.is_overdue(on)
    detail = f"{chapter.status.label}. {due_phrase(chapter.due_date, overdue)}"
    return HomeItem(f"Chapter {chapter.number}: {chapter.title}", url, detail,
                    tag="overdue" if overdue else "owed", tag_text="Overdue" if overdue else "Owed")


def _comment_item(comment, number: int, text: str, tag_text: str, tag: str = "comment_waiting") -> HomeItem:
    return HomeItem(f"{text} by {comment.author_name} on chapter {number}",
                    url_for("handbook.chapter", chapter_id=comment.chapter_id, _anchor=f"comment-{comment.id}"),
                    f"“{comment.paragraph_excerpt[:80]}”, {format_date(comment.created_at)}", tag=tag,
                    tag_text=tag_text)


def _mention_items(user, skip_threads: set[int]) -> list[HomeItem]:
    return [_comment_item(c, c.chapter.number, "Mention of you", "Mentions you", tag="mention")
            for c in queries.mentions_waiting(user) if (c.parent_id or c.id) not in skip_threads]


def focal_point_section(user) -> HomeSection | None:
    if not user.has_role(Role.FOCAL_POINT):
        return None
    on = services.today()
    items = [_chapter_item(c, on) for c in queries.chapters_owed_by(user.agency_id)]
    waiting = queries.comments_waiting(user.agency_id, user.id)
    chapters = queries.chapter_titles({c.chapter_id for c in waiting})
    items += [_comment_item(c, chapters[c.chapter_id].number, "Comment", "Comment waiting") for c in waiting]
    items += _mention_items(user, {c.id for c in waiting})
    return HomeSection(f"Handbook: {user.agency.code}", items, order=20,
                       empty_text="Your agency owes no chapter and no comment is waiting for you.",
                       action_text="See the handbook's board", action_url=url_for("handbook.board"))


def editor_section(user) -> HomeSection | None:
    if not is_handbook_editor(user):
        return None
    items = [HomeItem(f"Chapter {c.number}: {c.title}", url_for("handbook.chapter", chapter_id=c.id),
                      c.status.label, tag="to_review", tag_text="To review")
             for c in queries.chapters_awaiting_review()]
    if not user.has_role(Role.FOCAL_POINT):  # a focal point's section lists their mentions already
        items += _mention_items(user, set())
    return HomeSection("Handbook: chapters to review", items, order=21,
                       empty_text="No chapter is waiting for review and no comment mentions you.",
                       action_text="See the handbook's board", action_url=url_for("handbook.board"))


def register_handbook_home(app) -> None:
    register_home_section(app, focal_point_section)
    register_home_section(app, editor_section)
