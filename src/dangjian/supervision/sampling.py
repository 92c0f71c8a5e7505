"""Drawing a spot-check sample: pure and seeded, so that the same seed over the same
population (branches and their scores) always draws the same branches in the same order."""

import random
from collections.abc import Sequence
from math import ceil

# Weighting toward low scores: a branch's weight is (110 − score), so a branch scoring 0 is
# eleven times as likely to be drawn as one scoring 100, and no branch is never drawn.
LOW_SCORE_WEIGHT_BASE = 11000  # in hundredths


def sample_size(population: int, *, size: int | None = None, percent: int | None = None) -> int:
    """The number of branches to draw: `size`, or `percent` of the population rounded up;
    never more than the population."""
    wanted = size if size is not None else ceil(population * (percent or 0) / 100)
    return max(0, min(population, wanted))


def draw(
    population: Sequence[tuple[int, int]], size: int, seed: int, *, weight_low_scores: bool
) -> list[int]:
    """Draw `size` ids from `(id, score in hundredths)` pairs, without replacement.

    Uniform: `random.Random(seed).sample` over the ids in ascending order. Weighted:
    Efraimidis–Spirakis (each id gets the key u^(1/w) and the largest keys win), which
    draws without replacement with probabilities proportional to the weights."""
    ordered = sorted(population)
    rng = random.Random(seed)
    if not weight_low_scores:
        return rng.sample([pk for pk, _score in ordered], size)
    keyed = []
    for pk, score in ordered:
        weight = LOW_SCORE_WEIGHT_BASE - min(max(score, 0), 10000)
        keyed.append((rng.random() ** (1 / weight), pk))
    keyed.sort(reverse=True)
    return [pk for _key, pk in keyed[:size]]
