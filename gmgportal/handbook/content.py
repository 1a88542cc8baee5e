"""Loading the handbook's outline from `content/handbook/handbook.yaml` (+ Markdown files).

The file is checked against a pydantic schema first; any error names the file
and the line of the record it is in. Chapters are matched by number, so a
second load updates them in place; an unchanged file is not applied again
(edits made in the portal are kept). Versions, comments and statuses are never
touched by a load.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal, Optional, Union

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gmgportal.auth.content import agencies_by_code, unknown_agency
from gmgportal.auth.models import Agency
from gmgportal.core.content import (ContentError, content_digest, content_unchanged, read_yaml,
                                    register_content_loader, remember_content)
from gmgportal.core.schemas import line_of
from gmgportal.extensions import db
from gmgportal.handbook.milestones import programme_milestone_due
from gmgportal.handbook.models import Chapter, Handbook

FILE_NAME = "handbook.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MilestoneSpec(_Strict):
    title: str = Field(min_length=1)
    due: dt.date


class HandbookSpec(_Strict):
    slug: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")
    title: str = Field(min_length=1, max_length=300)
    activity: str = ""
    concept_note_file: str
    chapter_template_file: str
    milestones: dict[Literal["draft", "final"], MilestoneSpec]

    @field_validator("milestones")
    @classmethod
    def both_milestones(cls, value: dict) -> dict:
        if set(value) != {"draft", "final"}:
            raise ValueError("give both milestones, 'draft' and 'final'")
        return value


class ChapterSpec(_Strict):
    number: int = Field(ge=1, le=99)
    title: str = Field(min_length=1, max_length=300)
    summary: str = ""
    lead: str = Field(min_length=1)
    contributing: list[str] = []
    target_words: int = Field(ge=100, le=100_000)
    due: Union[Literal["draft", "final"], dt.date]

    @field_validator("lead", mode="before")
    @classmethod
    def code_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) else value


class HandbookFile(_Strict):
    handbook: HandbookSpec
    chapters: list[ChapterSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def numbers_unique(self) -> "HandbookFile":
        numbers = [c.number for c in self.chapters]
        twice = sorted({n for n in numbers if numbers.count(n) > 1})
        if twice:
            raise ValueError(f"chapter number(s) {', '.join(map(str, twice))} appear twice")
        return self


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse_handbook_file(path: Path, data: Any) -> HandbookFile:
    if not isinstance(data, dict):
        raise ContentError(path, None, "the file must be a mapping with 'handbook' and 'chapters'")
    try:
        return HandbookFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise ContentError(path, line_of(data, first["loc"]), _describe(first)) from None


class _Loader:
    def __init__(self, path: Path, data: Any, spec: HandbookFile) -> None:
        self.path, self.data, self.spec = path, data, spec
        self.agencies = agencies_by_code()

    def error(self, loc: tuple, message: str) -> ContentError:
        return ContentError(self.path, line_of(self.data, loc), message)

    def agency(self, loc: tuple, code: str) -> Agency:
        agency = self.agencies.get(code)
        if agency is None:
            raise self.error(loc, unknown_agency(code, self.agencies))
        return agency

    def text(self, key: str) -> str:
        name = getattr(self.spec.handbook, key)
        base = self.path.parent.resolve()
        target = (base / name).resolve()
        if base not in target.parents or not target.is_file():
            raise self.error(("handbook",), f"'{key}': no file {name!r} in {self.path.parent.name}/")
        return target.read_text(encoding="utf-8").strip()

    def apply(self) -> Handbook:
        h = self.spec.handbook
        handbook = db.session.scalar(sa.select(Handbook).where(Handbook.slug == h.slug)) or Handbook(slug=h.slug)
        db.session.add(handbook)
        handbook.title, handbook.activity_ref = h.title, h.activity
        handbook.concept_note, handbook.chapter_template = self.text("concept_note_file"), self.text(
            "chapter_template_file")
        draft, final = h.milestones["draft"], h.milestones["final"]
        # The programme's milestones are the source of the dates (moved there, they stay moved).
        handbook.draft_title = draft.title
        handbook.draft_due = programme_milestone_due(h.activity, draft.title) or draft.due
        handbook.final_title = final.title
        handbook.final_due = programme_milestone_due(h.activity, final.title) or final.due
        existing = {c.number: c for c in handbook.chapters}
        for index, c in enumerate(self.spec.chapters):
            self.apply_chapter(handbook, existing.get(c.number), c, ("chapters", index))
        return handbook

    def apply_chapter(self, handbook: Handbook, chapter: Optional[Chapter], c: ChapterSpec, loc: tuple) -> None:
        if chapter is None:
            chapter = Chapter(number=c.number)
            handbook.chapters.append(chapter)
        chapter.title, chapter.summary, chapter.target_words = c.title, c.summary, c.target_words
        lead = self.agency(loc, c.lead)
        chapter.lead_agency = lead
        chapter.contributing_agencies = [self.agency(loc, code) for code in dict.fromkeys(c.contributing)
                                         if code != lead.code]
        chapter.due_date = handbook.draft_due if c.due == "draft" else handbook.final_due if c.due == "final" else c.due


def handbook_files(path: Path) -> list[Path]:
    return [path, *sorted(p for p in path.parent.glob("*.md") if p.is_file())]


def load_handbook_file(path: Path, options: dict | None = None) -> str:
    data = read_yaml(path)
    spec = parse_handbook_file(path, data)
    key, digest = f"handbook/{path.name}", content_digest(handbook_files(path))
    if content_unchanged(key, digest, options or {}):
        return "handbook: unchanged since the last load (edits made in the portal are kept)"
    handbook = _Loader(path, data, spec).apply()
    remember_content(key, digest)
    db.session.flush()
    return f"handbook: {len(spec.chapters)} chapters of “{handbook.title}”"


def load_handbook(content_dir: Path, options: dict) -> str:
    path = content_dir / "handbook" / FILE_NAME
    if not path.is_file():
        return "handbook: no content/handbook/handbook.yaml"
    return load_handbook_file(path, options)


def register_handbook_content(app) -> None:
    register_content_loader(app, "handbook", 30, load_handbook)
