"""Query building blocks every feature shares."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def first_per(entity: Any, partition_by: Any, order_by: tuple, *where: Any) -> sa.Select:
    """Rows of `entity` that come first within their `partition_by` group by `order_by`, in one query.

    The "latest update of each activity as of a date" and "next open milestone of each
    activity" are both this; pass the date as a `where` condition.
    """
    ranked = (sa.select(entity.id, sa.func.row_number().over(partition_by=partition_by, order_by=order_by)
                        .label("rank")).where(*where).subquery())
    return sa.select(entity).join(ranked, ranked.c.id == entity.id).where(ranked.c.rank == 1)
