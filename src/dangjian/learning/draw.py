"""A quiz paper drawn from the question bank (issue 19, point 5): N questions from each
category, never one question twice in an attempt, the least-used questions first, and the
options of each question shuffled per attempt. Pure and seeded, so that the same seed over
the same bank always gives the same paper.

The service stores what comes back (the attempt's question versions and each question's
option order) and never draws again for that attempt: `random`'s algorithms may change
between Python versions, and an attempt's paper must not.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError


@dataclass(frozen=True)
class BankQuestion:
    """A question the draw may pick: its id, its category and how many attempts have been
    given it so far (what "least used" counts)."""

    id: int
    category_id: int
    uses: int = 0


@dataclass(frozen=True)
class DrawRule:
    """Draw `count` questions from one category."""

    category_id: int
    count: int


def check_draw(
    rules: Iterable[DrawRule],
    category_sizes: Mapping[int, int],
    category_names: Mapping[int, str] | None = None,
) -> None:
    """Refuse a draw the bank cannot give: a count below 1 (`validation_error`), or more
    questions from a category than it holds (`draw_exceeds_bank`, with the category, the
    number asked and the number there are). Two rules on one category ask for their sum,
    since no question may come twice. The quiz's save calls it with the bank as it is; the
    draw calls it again, for a bank that lost questions since."""
    requested: Counter[int] = Counter()
    for rule in rules:
        if isinstance(rule.count, bool) or not isinstance(rule.count, int) or rule.count < 1:
            raise DomainError("validation_error", _("每类抽题数应为正整数"), field="count")
        requested[rule.category_id] += rule.count
    names = category_names or {}
    for category_id, count in requested.items():
        available = category_sizes.get(category_id, 0)
        if count > available:
            raise DomainError(
                "draw_exceeds_bank",
                _("题库分类“%(category)s”只有 %(available)d 道题，不够抽取 %(count)d 道")
                % {
                    "category": names.get(category_id, category_id),
                    "available": available,
                    "count": count,
                },
                category_id=category_id,
                requested=count,
                available=available,
            )


def draw_paper(
    bank: Iterable[BankQuestion],
    rules: Sequence[DrawRule],
    seed: int | str,
    *,
    exclude: Collection[int] = (),
) -> list[int]:
    """The ids of the questions drawn, category by category in the rules' order.

    Within a category the questions used least so far are taken first; among equally used
    ones the seeded generator decides (each question gets a random key, in id order, before
    anything is taken, so the keys do not depend on the rules' order). That spreads a
    month's thousands of attempts evenly over the bank instead of wearing out a few
    questions. The questions taken from a category are then shuffled, so the paper's order
    does not tell which questions are fresh. `exclude` (the quiz's fixed questions, say)
    is never drawn."""
    rng = random.Random(seed)
    by_category: dict[int, list[BankQuestion]] = {}
    seen: set[int] = set()
    for question in sorted(bank, key=lambda q: q.id):
        if question.id in seen:
            raise ValueError(f"question {question.id} is in the bank twice")
        seen.add(question.id)
        if question.id not in exclude:
            by_category.setdefault(question.category_id, []).append(question)
    check_draw(rules, {c: len(qs) for c, qs in by_category.items()})
    keys = {q.id: rng.random() for qs in by_category.values() for q in qs}
    for questions in by_category.values():
        questions.sort(key=lambda q: (q.uses, keys[q.id]))
    paper: list[int] = []
    for rule in rules:
        remaining = by_category[rule.category_id]
        taken, by_category[rule.category_id] = remaining[: rule.count], remaining[rule.count :]
        ids = [q.id for q in taken]
        rng.shuffle(ids)
        paper.extend(ids)
    return paper


def shuffle_options(options: Sequence[str], seed: int | str, question_id: int) -> tuple[str, ...]:
    """A question's option keys in the order one attempt shows them. Seeded per attempt and
    question, so two members (two seeds) see different orders while a reload of the same
    attempt shows the same one; the keys, not positions, are what answers store, so the
    order never changes what an answer means."""
    order = list(options)
    random.Random(f"{seed}:{question_id}").shuffle(order)
    return tuple(order)
