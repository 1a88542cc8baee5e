"""Pages of the handbook: board, chapter, editor, versions, differences, comments."""
from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from pydantic import Field

from gmgportal.core.attachments import send_attachment, send_stored_file
from gmgportal.core.errors import Refused, abort_with
from gmgportal.core.filters import OptionalId, QueryFilters, parse_filters
from gmgportal.core.forms import select_choices, show_refusal
from gmgportal.core.pagecache import cacheable
from gmgportal.core.permissions import authorize, is_member
from gmgportal.core.uow import attempt
from gmgportal.extensions import db, login_manager
from gmgportal.handbook import queries, services
from gmgportal.handbook.diff import diff_texts, render_segments
from gmgportal.handbook.forms import (MARKDOWN_HINT, CommentForm, CompileForm, MoveForm, PublishForm, ResolveForm,
                                      UploadForm, VersionForm)
from gmgportal.handbook.models import (Chapter, ChapterComment, ChapterImage, ChapterStatus, Edition, EditionMode,
                                       can_compile, can_publish, chapter_markdown, is_handbook_editor,
                                       split_paragraphs)

bp = Blueprint("handbook", __name__, url_prefix="/handbook")
PUBLIC_ENDPOINTS = frozenset({"handbook.published", "handbook.published_chapter", "handbook.published_file",
                              "handbook.published_image"})
FORMATS = {"html": "html", "docx": "docx", "pdf": "pdf"}


@bp.before_request
def require_login():
    """Drafts are for the group's members; only a published edition is public."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    authorize(is_member(current_user))
    return None


bp.add_app_template_filter(chapter_markdown, "chapter_markdown")


@bp.app_context_processor
def handbook_helpers():
    return {"render_segments": render_segments, "is_handbook_editor": is_handbook_editor,
            "can_compile": can_compile, "can_publish": can_publish,
            "handbook_summary_for": lambda activity: queries.activity_summary(activity, services.today())}


def _handbook_or_404():
    handbook = queries.get_handbook()
    if handbook is None:
        abort_with(404, "The handbook's outline is not loaded yet. An administrator loads it with "
                        "`flask gmg load-content`.")
    return handbook


def _chapter_or_404(chapter_id: int) -> Chapter:
    chapter = queries.get_chapter(chapter_id)
    if chapter is None:
        abort_with(404, "There is no such chapter. Start again from the handbook's board.")
    return chapter


# --- reading ------------------------------------------------------------------------

@bp.get("/")
@cacheable
def board():
    handbook = _handbook_or_404()
    chapters = queries.list_chapters(handbook)
    today = services.today()
    return render_template("handbook/board.html", handbook=handbook, chapters=chapters, today=today,
                           summary=queries.board_summary(chapters, today),
                           open_comments=queries.open_comment_counts([c.id for c in chapters]),
                           agencies=queries.agency_contributions(handbook, chapters))


@bp.get("/concept-note")
def concept_note():
    return render_template("handbook/concept_note.html", handbook=_handbook_or_404())


@bp.get("/chapters/<int:chapter_id>")
@cacheable
def chapter(chapter_id: int):
    chapter = _chapter_or_404(chapter_id)
    show_comments = chapter.can_comment(current_user)
    return render_template("handbook/chapter.html", chapter=chapter, handbook=chapter.handbook,
                           page=queries.chapter_page(chapter, show_comments), show_comments=show_comments,
                           steps=chapter.steps_for(current_user), move_form=MoveForm(), resolve_form=ResolveForm(),
                           today=services.today())


@bp.get("/chapters/<int:chapter_id>/versions/<int:number>")
@cacheable
def version(chapter_id: int, number: int):
    chapter = _chapter_or_404(chapter_id)
    shown = services.get_version(chapter, number) or abort_with(404, f"Chapter {chapter.number} has no version "
                                                                     f"{number}.")
    return render_template("handbook/version.html", chapter=chapter, handbook=chapter.handbook, version=shown,
                           image_ids=queries.chapter_image_ids(chapter))


class VersionPair(QueryFilters):
    """The two versions a difference page compares (`?from=2&to=5`); the last two when not given."""

    old: OptionalId = Field(None, alias="from")
    new: OptionalId = Field(None, alias="to")


class CommentTarget(QueryFilters):
    """Where a new comment goes: a reply to a comment (`?reply_to=12`), or a paragraph (`?paragraph=3`)."""

    reply_to: OptionalId = None
    paragraph: int = Field(0, ge=0, le=100_000)


@bp.get("/chapters/<int:chapter_id>/diff")
@cacheable
def diff(chapter_id: int):
    chapter = _chapter_or_404(chapter_id)
    latest = chapter.latest_version_number
    chosen = parse_filters(VersionPair, request.args)
    old_number, new_number = chosen.old or max(latest - 1, 1), chosen.new or latest
    old, new = services.get_version(chapter, old_number), services.get_version(chapter, new_number)
    if old is None or new is None:
        abort_with(404, f"Chapter {chapter.number} has versions 1 to {latest}: choose two of them.")
    return render_template("handbook/diff.html", chapter=chapter, handbook=chapter.handbook, old=old, new=new,
                           result=diff_texts(old.text, new.text), numbers=range(latest, 0, -1))


# --- writing --------------------------------------------------------------------------

@bp.route("/chapters/<int:chapter_id>/edit", methods=["GET", "POST"])
def edit(chapter_id: int):
    chapter = _chapter_or_404(chapter_id)
    authorize(chapter.is_writer(current_user))
    latest = services.latest_version(chapter)
    form = VersionForm()
    if not form.is_submitted():
        form.text.data = latest.text if latest else chapter.handbook.chapter_template
        form.based_on.data = chapter.latest_version_number
    preview, conflict, status = None, None, 200
    if form.is_submitted() and form.preview.data:
        preview = chapter_markdown(form.text.data or "", queries.chapter_image_ids(chapter))
    elif form.validate_on_submit():
        try:
            saved = services.save_chapter_version(chapter, current_user, form.text.data, form.note.data or "",
                                                  form.based_on.data)
        except services.StaleVersion as stale:
            conflict, status = _conflict(chapter, stale, form), 409
        except Refused as refusal:
            if refusal.status == 403:
                raise
            show_refusal(form, refusal)
            status = 409
        else:
            flash(f"Version {saved.number} of chapter {chapter.number} saved ({saved.word_count:,} words).",
                  "success")
            return redirect(url_for("handbook.chapter", chapter_id=chapter.id))
    elif form.is_submitted():
        status = 400
    return render_template("handbook/edit.html", chapter=chapter, handbook=chapter.handbook, form=form,
                           preview=preview, conflict=conflict, markdown_hint=MARKDOWN_HINT), status


def _conflict(chapter: Chapter, stale: services.StaleVersion, form: VersionForm) -> dict:
    """What the other person changed (their base to the latest), and the form rebased on the latest."""
    latest = services.latest_version(chapter)
    base = services.get_version(chapter, stale.based_on) if stale.based_on else None
    form.form_errors.append(stale.message)
    form.based_on.raw_data = None
    form.based_on.data = stale.latest
    return {"base": base, "latest": latest, "result": diff_texts(base.text if base else "", latest.text)}


@bp.route("/chapters/<int:chapter_id>/upload", methods=["GET", "POST"])
def upload(chapter_id: int):
    """A Word file becomes a version: here and now when it is small, through a job when it is large."""
    from gmgportal.handbook import docx_import

    chapter = _chapter_or_404(chapter_id)
    authorize(chapter.is_writer(current_user))
    form, status = UploadForm(), 200
    if not form.is_submitted():
        form.based_on.data = chapter.latest_version_number
        form.idempotency_key.data = uuid.uuid4().hex
    if form.validate_on_submit():
        try:
            with attempt(), tempfile.TemporaryDirectory(prefix="gmg-docx-") as folder:
                received = docx_import.receive_docx(chapter, current_user, form.file.data.stream,
                                                    form.file.data.filename, Path(folder))
                if received.needs_job:
                    job = docx_import.start_import_job(chapter, current_user, received, form.note.data or "",
                                                       form.based_on.data, form.idempotency_key.data)
                else:
                    prepared = docx_import.prepare_docx(received.path, received.filename)
                    saved, notes = docx_import.save_prepared(chapter, current_user, prepared,
                                                             form.note.data or "", form.based_on.data)
        except Refused as refusal:
            if refusal.status == 403:
                raise
            show_refusal(form, refusal)
            status = refusal.status
        else:
            if received.needs_job:
                flash(f"“{received.filename}” is large: it is being converted in the background. You can leave "
                      "this page: the new version appears in the chapter when the job is done.", "success")
                return redirect(url_for("jobs.show", job_id=job.id), code=303)
            flash(f"Version {saved.number} of chapter {chapter.number} made from the Word file "
                  f"({saved.word_count:,} words)." + (" Note: " + "; ".join(notes) + "." if notes else ""), "success")
            return redirect(url_for("handbook.chapter", chapter_id=chapter.id))
    elif form.is_submitted():
        status = 400
    return render_template("handbook/upload.html", chapter=chapter, handbook=chapter.handbook, form=form,
                           limit_mb=current_app.config["MAX_UPLOAD_MB"]), status


@bp.errorhandler(413)
def upload_too_large(error):
    limit = current_app.config["MAX_UPLOAD_MB"]
    return render_template("errors/error.html", code=413, title="The upload is too large",
                           message=f"The Word file is larger than {limit} MB. Save it without large images, or "
                                   "split it, and upload it again."), 413


@bp.get("/images/<int:image_id>")
def image(image_id: int):
    return send_attachment(db.session.get(ChapterImage, image_id), current_user)


@bp.post("/chapters/<int:chapter_id>/move")
def move(chapter_id: int):
    chapter = _chapter_or_404(chapter_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort_with(400, "The form was incomplete or its security token had expired. Go back and try again.")
    try:
        to = ChapterStatus(form.to.data)
    except ValueError:
        abort_with(400, "That is not a status of the workflow.")
    services.move_chapter(chapter, current_user, to, form.comment.data or "")
    flash(f"Chapter {chapter.number} moved to “{to.label}”.", "success")
    return redirect(url_for("handbook.chapter", chapter_id=chapter.id))


@bp.route("/chapters/<int:chapter_id>/comments/new", methods=["GET", "POST"])
def new_comment(chapter_id: int):
    chapter = _chapter_or_404(chapter_id)
    authorize(chapter.can_comment(current_user))
    parent = _parent_comment(chapter)
    version = parent.version if parent else services.latest_version(chapter)
    if version is None:
        abort_with(409, "There is no version to comment on yet.")
    paragraphs = split_paragraphs(version.text)
    form = CommentForm()
    form.paragraph.choices = select_choices((i, f"Paragraph {i + 1}: {_short(p)}") for i, p in enumerate(paragraphs))
    if not form.is_submitted():
        form.paragraph.data = parent.paragraph_index if parent else parse_filters(CommentTarget, request.args).paragraph
    if parent is not None:
        form.paragraph.data = parent.paragraph_index
    status = 200
    if form.validate_on_submit():
        try:
            comment = services.add_comment(chapter, current_user, version, form.paragraph.data, form.body.data, parent)
        except Refused as refusal:
            show_refusal(form, refusal)
            status = 409
        else:
            flash("Your comment is added.", "success")
            unknown = services.unknown_mentions(chapter, comment.body)
            if unknown:
                flash(f"No e-mail went to {', '.join('@' + m for m in unknown)}: nobody of that name reads this "
                      "chapter's comments (write @ and the first part of their e-mail address).", "info")
            return redirect(url_for("handbook.chapter", chapter_id=chapter.id, _anchor=f"comment-{comment.id}"))
    elif form.is_submitted():
        status = 400
    return render_template("handbook/comment_form.html", chapter=chapter, handbook=chapter.handbook, form=form,
                           parent=parent, version=version, paragraphs=paragraphs,
                           image_ids=queries.chapter_image_ids(chapter)), status


def _parent_comment(chapter: Chapter) -> ChapterComment | None:
    parent_id = parse_filters(CommentTarget, request.args).reply_to
    if parent_id is None:
        return None
    parent = db.session.get(ChapterComment, parent_id)
    if parent is None or parent.chapter_id != chapter.id:
        abort_with(404, "There is no such comment on this chapter.")
    return parent


def _short(text: str, limit: int = 70) -> str:
    plain = " ".join(text.split())
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


@bp.post("/comments/<int:comment_id>/resolve")
def resolve_comment(comment_id: int):
    comment = db.session.get(ChapterComment, comment_id) or abort_with(404, "There is no such comment.")
    chapter = _chapter_or_404(comment.chapter_id)
    authorize(chapter.can_comment(current_user))
    if not ResolveForm().validate_on_submit():
        abort_with(400, "The form's security token had expired. Go back, reload the page and try again.")
    services.resolve_comment(comment, chapter, current_user)
    flash("The comment is marked as resolved.", "success")
    return redirect(url_for("handbook.chapter", chapter_id=chapter.id, _anchor=f"comment-{comment.id}"))


# --- editions: compile, download, publish -------------------------------------------------

def _edition_or_404(handbook, number: int) -> Edition:
    from gmgportal.handbook.compile import get_edition

    return get_edition(handbook, number) or abort_with(404, f"There is no edition {number} of the handbook.")


def _send_edition_file(edition: Edition, fmt: str):
    if fmt not in FORMATS:
        abort_with(404, "Editions are kept as PDF, DOCX and HTML files only.")
    stored = {"html": edition.html_file, "docx": edition.docx_file, "pdf": edition.pdf_file}[fmt]
    return send_stored_file(stored, f"gmg-handbook-edition-{edition.number}.{fmt}")


@bp.get("/editions")
def editions():
    handbook = _handbook_or_404()
    form = CompileForm()
    form.idempotency_key.data = uuid.uuid4().hex
    return render_template("handbook/editions.html", handbook=handbook, editions=queries.list_editions(handbook),
                           form=form)


@bp.post("/editions/compile")
def compile_edition():
    from gmgportal.handbook.compile import KIND
    from gmgportal.jobs import start_job

    handbook = _handbook_or_404()
    authorize(can_compile(current_user))
    form = CompileForm()
    if not form.validate_on_submit():
        abort_with(400, "Choose what to include, and compile again from the editions page.")
    job = start_job(KIND, current_user, {"handbook_id": handbook.id, "mode": EditionMode(form.mode.data).value},
                    idempotency_key=form.idempotency_key.data)
    flash("The handbook is being compiled. You can leave this page and come back: the job goes on.", "success")
    return redirect(url_for("jobs.show", job_id=job.id), code=303)


@bp.get("/editions/<int:number>.<fmt>")
def edition_file(number: int, fmt: str):
    return _send_edition_file(_edition_or_404(_handbook_or_404(), number), fmt)


@bp.route("/editions/<int:number>/publish", methods=["GET", "POST"])
def publish(number: int):
    handbook = _handbook_or_404()
    authorize(can_publish(current_user))
    edition = _edition_or_404(handbook, number)
    form = PublishForm()
    if form.validate_on_submit():
        services.publish_edition(edition, current_user)
        flash(f"Edition {edition.number} is published: anyone can now read it at {url_for('handbook.published', _external=True)}.",
              "success")
        return redirect(url_for("handbook.editions"))
    return render_template("handbook/publish.html", handbook=handbook, edition=edition, form=form,
                           current=queries.published_edition(handbook))


# --- the published edition: public -----------------------------------------------------------

def _published_or_404():
    handbook = queries.get_handbook()
    edition = queries.published_edition(handbook) if handbook else None
    if edition is None:
        abort_with(404, "The handbook has not been published yet. It will appear here when the chairs publish it.")
    return handbook, edition


@bp.get("/published/")
def published():
    handbook = queries.get_handbook()
    edition = queries.published_edition(handbook) if handbook else None
    if edition is None:  # the address is public and shared: say what will be here
        return render_template("handbook/not_published.html", handbook=handbook)
    return render_template("handbook/published.html", handbook=handbook, edition=edition)


@bp.get("/published/chapters/<int:number>")
def published_chapter(number: int):
    handbook, edition = _published_or_404()
    chapter = next((c for c in edition.chapters if c.chapter_number == number), None)
    if chapter is None:
        abort_with(404, f"The published handbook has no chapter {number}.")
    return render_template("handbook/published_chapter.html", handbook=handbook, edition=edition, chapter=chapter)


@bp.get("/published/handbook.<fmt>")
def published_file(fmt: str):
    return _send_edition_file(_published_or_404()[1], fmt)


@bp.get("/published/images/<int:image_id>")
def published_image(image_id: int):
    """An image of a chapter in the published edition (and no other)."""
    _, edition = _published_or_404()
    source = f'src="/handbook/published/images/{image_id}"'
    found = db.session.get(ChapterImage, image_id)
    if found is None or not any(source in c.html for c in edition.chapters):
        abort_with(404, "There is no such image in the published handbook.")
    return send_file(found.stored_file.path, mimetype=found.stored_file.mime_type, max_age=3600)
