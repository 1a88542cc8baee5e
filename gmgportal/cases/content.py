"""Loading the call for case studies from `content/cases/*.yaml` (validated with pydantic).

A call is matched by its slug, so loading again updates it in place; a file
unchanged since the last load is skipped. Errors name file and line. The
rubric of a call that already has a submitted review is not changed (the
whole load is refused).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Optional

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gmgportal.cases.models import Call
from gmgportal.core import clock
from gmgportal.core.content import (ContentError, content_digest, content_unchanged, read_yaml,
                                    register_content_loader, remember_content)
from gmgportal.core.errors import Refused
from gmgportal.extensions import db


class CriterionSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    key: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    weight: float = Field(gt=0, le=100)
    min_score: int = Field(alias="min", ge=0, le=100)
    max_score: int = Field(alias="max", ge=1, le=100)

    @model_validator(mode="after")
    def range_is_ordered(self) -> "CriterionSchema":
        if self.max_score <= self.min_score:
            raise ValueError(f"'max' ({self.max_score}) must be greater than 'min' ({self.min_score})")
        return self


class CallSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")
    title: str = Field(min_length=1, max_length=250)
    description: str = ""
    description_file: Optional[str] = None
    activity: str = Field(default="", max_length=20)  # the programme activity the call belongs to
    opens: dt.datetime
    closes: dt.datetime
    review_due: Optional[dt.date] = None
    reviewers_per_case: int = Field(default=3, ge=1, le=10)
    max_load: int = Field(ge=1, le=1000)
    presentation_slots: int = Field(default=0, ge=0, le=1000)
    criteria: list[CriterionSchema] = Field(min_length=1)

    @field_validator("opens", "closes", mode="before")
    @classmethod
    def text_times(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{value!r} is not a time such as 2014-06-30 23:59") from None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dt.datetime.combine(value, dt.time())
        return value

    @model_validator(mode="after")
    def window_and_keys(self) -> "CallSchema":
        if self.closes_utc <= self.opens_utc:
            raise ValueError("'closes' must be after 'opens'")
        return self

    @property
    def opens_utc(self) -> dt.datetime:
        return in_group_zone(self.opens)

    @property
    def closes_utc(self) -> dt.datetime:
        return in_group_zone(self.closes)


class CallFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call: CallSchema


def in_group_zone(value: dt.datetime) -> dt.datetime:
    """A time without offset is read in the group's time zone; the result is aware UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.group_zone())
    return value.astimezone(dt.timezone.utc)


def _line_at(data: Any, loc: tuple, text: str = "") -> Optional[int]:
    """The line of the value at the path `loc` into `data`: the deepest mapping's line, or, for a
    plain value, the line of its key below that mapping (found in the file's `text`)."""
    line = getattr(data, "line", None)
    node, last_key = data, None
    for part in loc:
        if isinstance(node, dict) and part in node:
            node, last_key = node[part], part
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node, last_key = node[part], None
        else:
            break
        line = getattr(node, "line", None) or line
    if text and line and isinstance(last_key, str) and not hasattr(node, "line"):
        pattern = re.compile(rf"^\s*(- )?{re.escape(last_key)}\s*:")
        lines = text.splitlines()
        found = next((n for n in range(line, len(lines) + 1) if pattern.match(lines[n - 1])), None)
        return found or line
    return line


def parse_call_file(path: Path, data: Any) -> CallSchema:
    if not isinstance(data, dict):
        raise ContentError(path, None, "the file must be a mapping with a 'call' key")
    try:
        schema = CallFile.model_validate(data).call
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise ContentError(path, _line_at(data, first["loc"], path.read_text(encoding="utf-8")),
                           f"{where}: {message}") from None
    seen: set[str] = set()
    for position, criterion in enumerate(schema.criteria):
        if criterion.key in seen:
            raise ContentError(path, _line_at(data, ("call", "criteria", position)),
                               f"call.criteria.{position}: the key {criterion.key!r} appears more than once")
        seen.add(criterion.key)
    return schema


def _description(path: Path, schema: CallSchema, data: Any) -> str:
    if not schema.description_file:
        return schema.description.strip()
    target = (path.parent / schema.description_file).resolve()
    if path.parent.resolve() not in target.parents or not target.is_file():
        raise ContentError(path, _line_at(data, ("call",)),
                           f"description_file: no file {schema.description_file!r} in {path.parent.name}/")
    return target.read_text(encoding="utf-8").strip()


def apply_call(schema: CallSchema, description: str) -> Call:
    """Create or update the call and its rubric from the schema (refuses a rubric change after reviews)."""
    from gmgportal.cases.services import replace_rubric

    call = db.session.scalar(sa.select(Call).where(Call.slug == schema.slug))
    if call is None:
        call = Call(slug=schema.slug)
        db.session.add(call)
    call.title, call.description, call.activity_ref = schema.title, description, schema.activity.strip()
    call.opens_at, call.closes_at = schema.opens_utc, schema.closes_utc
    call.review_due, call.reviewers_per_case = schema.review_due, schema.reviewers_per_case
    call.max_load, call.presentation_slots = schema.max_load, schema.presentation_slots
    replace_rubric(call, [c.model_dump() for c in schema.criteria])
    return call


def call_files(path: Path) -> list[Path]:
    return [path, *sorted(p for p in path.parent.glob("*.md"))]


def load_call_file(path: Path, options: dict) -> str:
    data = read_yaml(path)
    key, digest = f"cases/{path.name}", content_digest(call_files(path))
    if content_unchanged(key, digest, options):
        return f"call {path.stem}: unchanged since the last load (edits made in the portal are kept)"
    schema = parse_call_file(path, data)
    try:
        call = apply_call(schema, _description(path, schema, data))
    except Refused as refusal:
        raise ContentError(path, _line_at(data, ("call", "criteria")), refusal.message) from None
    remember_content(key, digest)
    db.session.flush()
    return f"call {call.slug}: {len(call.criteria)} criteria, k = {call.reviewers_per_case}"


def load_calls(content_dir: Path, options: dict) -> str:
    folder = content_dir / "cases"
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        return "cases: no files in content/cases/"
    return "; ".join(load_call_file(path, options) for path in files)


def register_cases_content(app) -> None:
    register_content_loader(app, "cases", 30, load_calls)
