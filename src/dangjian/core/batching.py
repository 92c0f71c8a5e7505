"""Work split into batches of a bounded size: ids for an `IN (…)` list, rows for one insert,
messages for one task."""

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (the last one shorter), in order, read as they are asked
    for: a generator is never held whole in memory."""
    if size < 1:
        # islice would give nothing, and every item would be dropped without a word.
        raise ValueError(f"batch size must be at least 1, not {size}")
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch
