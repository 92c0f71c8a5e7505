"""Figures about related rows, read in the same query as the rows they describe."""

from django.db.models import Count, QuerySet, Subquery
from django.db.models.functions import Coalesce


def count_per(rows: QuerySet, key: str) -> Coalesce:
    """An annotation: how many of `rows` belong to each outer row. `rows` is filtered on the
    outer row by the caller (`activity_id=OuterRef("pk")`) and `key` names that column:
    grouping by it makes one count a row. 0 where none: a subquery that finds no group
    answers NULL."""
    return Coalesce(Subquery(rows.order_by().values(key).annotate(n=Count("id")).values("n")), 0)
