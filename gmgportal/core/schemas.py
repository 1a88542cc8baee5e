"""Typed schemas at the boundaries (content files, job parameters, imports, the API), with pydantic 2.

`validate_content` checks a YAML document against a schema and turns the first
problem into a ContentError that names the file and the line of the record it is
in, in words a person editing the file understands. Records remember their line
(`record.line`) for the checks that come after the schema (an unknown agency).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, model_validator

from gmgportal.core.content import ContentError

M = TypeVar("M", bound=BaseModel)


class Schema(BaseModel):
    """A strict record: unknown keys are errors, text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class ContentRecord(Schema):
    """A record read from a content file; `.line` is where it starts."""

    _line: int | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_line(cls, data: Any, handler):
        record = handler(data)
        record._line = getattr(data, "line", None)
        return record

    @property
    def line(self) -> int | None:
        return self._line


def describe_error(error: dict) -> str:
    """One pydantic error in the words of someone editing the file or filling a field."""
    names = [str(p) for p in error["loc"] if isinstance(p, str)]
    field = names[-1] if names else "value"
    kind, given = error["type"], error.get("input")
    if kind == "missing":
        return f"missing '{field}'"
    if kind == "extra_forbidden":
        return f"unknown key '{field}'"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"'{field}' must be a date such as 2014-05-13, not {given!r}"
    if kind == "enum":
        return f"'{field}' must be one of {error['ctx']['expected']}, not {given!r}"
    if kind.startswith("int"):
        return f"'{field}' must be a whole number, not {given!r}"
    if kind in ("string_type", "string_too_short"):
        return f"'{field}' must be text" + (" (not empty)" if kind == "string_too_short" else "")
    if kind in ("list_type", "tuple_type"):
        return f"'{field}' must be a list"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"'{field}' must be a mapping (key: value lines)"
    return f"'{field}': {error['msg']}"


def line_of(data: Any, loc: Iterable[Any]) -> int | None:
    """The line of the innermost record on the path `loc` into YAML data (an error's `loc`)."""
    line, node = getattr(data, "line", None), data
    for step in loc:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(node, "line", None) or line
    return line


def validate_content(schema: type[M], data: Any, path: Path) -> M:
    """`data` (read from `path`) as a `schema` instance, or a ContentError naming file and line."""
    try:
        return schema.model_validate(data)
    except ValidationError as invalid:
        error = invalid.errors()[0]
        raise ContentError(path, line_of(data, error["loc"]), describe_error(error)) from None


def validate_fields(schema: type[M], data: Any) -> M:
    """`data` as a `schema` instance, or a ValueError whose message names the field (job parameters, API)."""
    try:
        return schema.model_validate(data)
    except ValidationError as invalid:
        raise ValueError("; ".join(describe_error(e) for e in invalid.errors())) from None
