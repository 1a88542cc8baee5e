"""Query-string filters, parsed one way: a pydantic schema per page.

The rule for bad values: an empty value means "not given"; anything else that
does not fit (a word where a number goes, an unknown status, an impossible
date, a number out of range) is a 400 page that names the argument and says
what it must be. Filters are links people share, so a wrong one is said, not
silently dropped.
"""
from __future__ import annotations

from typing import Annotated, Any, Mapping, Optional, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gmgportal.core.errors import abort_with
from gmgportal.core.schemas import describe_error

# Ids and page numbers: whole numbers a database column can hold.
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
PageNumber = Annotated[int, Field(ge=1, le=1_000_000)]
F = TypeVar("F", bound="QueryFilters")


class QueryFilters(BaseModel):
    """Base of a page's filters: unknown arguments are ignored (tracking tags, old links)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True, populate_by_name=True)

    page: PageNumber = 1

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments (by their URL names), without the page: for links and exports."""
        values = self.model_dump(by_alias=True, exclude={"page"}, exclude_none=True, mode="json")
        # A ticked checkbox is sent as "1" (its value in the forms).
        return {key: "1" if value is True else str(value) for key, value in values.items()
                if value not in ("", None, False)}

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def parse_filters(schema: type[F], args: Mapping[str, Any]) -> F:
    """`args` (request.args) as `schema`, or a 400 page naming the bad argument."""
    given = {key: args.get(key) for key in args if args.get(key) not in (None, "")}
    try:
        return schema.model_validate(given)
    except ValidationError as invalid:
        problems = "; ".join(describe_error(e) for e in invalid.errors())
        abort_with(400, f"This address has a filter the portal cannot use: {problems}. "
                        "Change it in the form on the page, or start again without filters.")
        raise  # unreachable: abort_with raises


def page_number(args: Mapping[str, Any]) -> int:
    """The `page` argument of a paginated page without other filters."""
    return parse_filters(QueryFilters, args).page


OptionalId = Optional[RowId]
