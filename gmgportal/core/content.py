"""Loading the group's starting content from `content/` (YAML files).

Features register loaders; `load_content` runs them in order inside one
transaction, so a file with an error changes nothing. Errors name the file
and line. Mappings read here remember the line they start on (`.line`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import sqlalchemy as sa
import yaml
from flask import Flask, current_app
from sqlalchemy.orm import Mapped, mapped_column

from gmgportal.core.models import UTCDateTime, utcnow
from gmgportal.extensions import db

T = TypeVar("T")


class ContentError(Exception):
    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path, self.line, self.message = Path(path), line, message
        where = f"{self.path.name}:{line}" if line else self.path.name
        super().__init__(f"{where}: {message}")


class LineDict(dict):
    line: int | None = None


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    mapping = LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


def _lenient_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """An impossible date (2014-13-45) stays text, so that the feature's loader
    reports it with file and line instead of PyYAML failing without either."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)


def read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except FileNotFoundError as error:
        raise ContentError(path, None, "file not found") from error
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise ContentError(path, line, f"not valid YAML: {error.problem}") from error


class ContentVersion(db.Model):
    """The digest of the content last loaded under `key` (a file, or a file and its texts).

    A loader applies a file again only when it changed since: re-running
    `make run` then keeps what people changed in the portal since the last load.
    """

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def content_digest(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def content_unchanged(key: str, digest: str, options: dict) -> bool:
    """True when `key` was last loaded from exactly this content (and no --force)."""
    if options.get("force"):
        return False
    stored = db.session.scalar(sa.select(ContentVersion.sha256).where(ContentVersion.key == key))
    return stored == digest


def get_or_add(model: type[T], **natural_key: Any) -> tuple[T, bool]:
    """The row of `model` with this natural key (`slug="twg1"`), or a new one added to the session.

    Content loaders match records by natural keys, so a second load updates in place. Returns (row, created).
    """
    row = db.session.scalar(sa.select(model).filter_by(**natural_key))
    if row is not None:
        return row, False
    row = model(**natural_key)
    db.session.add(row)
    return row, True


def remember_content(key: str, digest: str) -> None:
    version, _ = get_or_add(ContentVersion, key=key)
    version.sha256 = digest


@dataclass(frozen=True)
class ContentLoader:
    name: str
    order: int
    load: Callable[[Path, dict], str]  # (content dir, options) -> summary line


EXTENSION_KEY = "gmg_content_loaders"


def register_content_loader(app: Flask, name: str, order: int, load: Callable[[Path, dict], str]) -> None:
    app.extensions.setdefault(EXTENSION_KEY, {})[name] = ContentLoader(name, order, load)


def load_content(content_dir: Path, **options: Any) -> list[str]:
    """Run every registered loader in the caller's unit of work (all-or-nothing). One summary per loader."""
    summaries = []
    loaders = current_app.extensions.get(EXTENSION_KEY, {}).values()
    for loader in sorted(loaders, key=lambda l: l.order):
        summaries.append(loader.load(content_dir, options))
        db.session.flush()
    return summaries
