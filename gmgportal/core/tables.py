"""Sortable tables: the `sort` and `dir` query arguments, parsed once, used by
the service (to order) and by the template (links and `aria-sort`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool = False

    @classmethod
    def parse(cls, args: Mapping[str, str], allowed: Iterable[str], default: str,
              default_descending: bool = False) -> "Sort":
        """The requested sort when it names an allowed column, else the default (never an error)."""
        key = args.get("sort", "")
        if key not in set(allowed):
            return cls(default, default_descending)
        return cls(key, args.get("dir") == "desc")

    def aria(self, key: str) -> str:
        if key != self.key:
            return "none"
        return "descending" if self.descending else "ascending"

    def args_for(self, key: str, current: Mapping[str, Any]) -> dict[str, Any]:
        """Query arguments for a link that sorts by `key` (toggling the direction if it is the current one)."""
        args = {k: v for k, v in current.items() if k not in ("sort", "dir", "page")}
        args["sort"] = key
        if key == self.key and not self.descending:
            args["dir"] = "desc"
        return args

    def apply(self, rows: list[T], keys: Mapping[str, Callable[[T], Any]]) -> list[T]:
        """Sort rows in Python (for computed tables); None sorts last either way."""
        value = keys[self.key]
        present = [r for r in rows if value(r) is not None]
        missing = [r for r in rows if value(r) is None]
        return sorted(present, key=value, reverse=self.descending) + missing
