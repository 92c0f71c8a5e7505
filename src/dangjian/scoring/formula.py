"""The score of a theme-day activity (docs/product.md, "Scoring"), as pure functions of counted
inputs.

Nothing here touches the database or another app: `inputs.gather_inputs` counts the
inputs, `services` stores the result. Arithmetic is exact (fractions) until the one
rounding at the end, half up to two decimals, so that a hand-computed example gives the
same total on every machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Literal, TypeVar

SIGN_IN = "sign_in"
FLOWING_LIKE = "flowing_like"
UPLOAD = "upload"
COMMENT = "comment"
SUPERIOR = "superior"
COMPONENTS = (SIGN_IN, FLOWING_LIKE, UPLOAD, COMMENT, SUPERIOR)
# The branch's completion of the month's study package (issue 19, point 3). Optional: a
# policy that does not name it weighs it 0, and a score leaves it out of its breakdown
# unless weighed, so that the policies and scores made before it are what they were.
STUDY = "study"
OPTIONAL_COMPONENTS = (STUDY,)

HUNDRED = Fraction(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PolicyTerms:
    """What a scoring policy version says: whole-percent weights of the five components and
    the optional ones (summing to 100; an optional one left out weighs 0) and the upload
    rule (photos up to a target count and a summary up to a target length, each worth a
    share of the upload component)."""

    version: int
    weights: Mapping[str, int]
    upload_photos_target: int = 4
    upload_summary_chars: int = 400
    upload_photos_share: int = 50  # percent of the upload component; the summary has the rest

    def __post_init__(self):
        problems = policy_problems(
            self.weights,
            self.upload_photos_target,
            self.upload_summary_chars,
            self.upload_photos_share,
        )
        if problems:
            raise ValueError("; ".join(problems))


def policy_problems(
    weights: Mapping[str, int], photos_target: int, summary_chars: int, photos_share: int
) -> list[str]:
    """Why a set of terms is not a policy (empty when it is one). Codes, not messages: the
    service turns them into Chinese."""
    problems = []
    if not set(COMPONENTS) <= set(weights) <= set(COMPONENTS + OPTIONAL_COMPONENTS):
        problems.append("weights_components")
    elif any(not isinstance(w, int) or isinstance(w, bool) or w < 0 for w in weights.values()):
        problems.append("weights_negative")
    elif sum(weights.values()) != 100:
        problems.append("weights_sum")
    if not isinstance(photos_target, int) or photos_target < 1:
        problems.append("photos_target")
    if not isinstance(summary_chars, int) or summary_chars < 1:
        problems.append("summary_chars")
    if not isinstance(photos_share, int) or not 0 <= photos_share <= 100:
        problems.append("photos_share")
    return problems


DEFAULT_WEIGHTS = {SIGN_IN: 70, FLOWING_LIKE: 10, UPLOAD: 10, COMMENT: 5, SUPERIOR: 5}
# Version 1 is docs/product.md's default and lives here, not in a table, so that a database with
# no policy row (a fresh one, or a test's) scores the same as the spec says.
DEFAULT_POLICY = PolicyTerms(version=1, weights=DEFAULT_WEIGHTS)


@dataclass(frozen=True)
class ScoreInputs:
    """Counts about one activity. `rating` is the current superior rating, None if none."""

    roster: int = 0
    roster_flowing: int = 0
    checked_in_non_flowing: int = 0
    liked_flowing: int = 0
    commenters: int = 0
    photos: int = 0
    summary_chars: int = 0
    rating: int | None = None

    @property
    def roster_non_flowing(self) -> int:
        return self.roster - self.roster_flowing


# The counts' names, which the stored score's columns share.
INPUT_FIELDS = tuple(f.name for f in fields(ScoreInputs))


@dataclass(frozen=True)
class Component:
    value: Decimal  # 0–100, two decimals
    weight: Decimal  # the weight applied in this score, percent, after rescaling


@dataclass(frozen=True)
class ScoreResult:
    total: Decimal
    policy_version: int
    components: dict[str, Component | None] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "total": str(self.total),
            "policy_version": self.policy_version,
            "components": {
                name: None if c is None else {"value": str(c.value), "weight": str(c.weight)}
                for name, c in self.components.items()
            },
        }


def round_half_up(value: Fraction | int, places: int = 2) -> Decimal:
    """Exact half-up rounding of a non-negative rational (no binary floating point)."""
    scale = 10**places
    scaled = Fraction(value) * scale
    whole = floor(scaled + Fraction(1, 2)) if scaled >= 0 else -floor(-scaled + Fraction(1, 2))
    return (Decimal(whole) / scale).quantize(Decimal(1).scaleb(-places))


def _rate(part: int, whole: int) -> Fraction | None:
    if whole <= 0:
        return None  # nothing to measure: the component is left out
    return HUNDRED * min(max(part, 0), whole) / whole


def weighs(terms: PolicyTerms, name: str) -> bool:
    return terms.weights.get(name, 0) > 0


def study_value(share: Fraction | None) -> Fraction | None:
    """The study component: the share (0–1) of the branch's members who completed the
    month's study package, as a percent; None when no package reached the branch."""
    if share is None:
        return None
    return HUNDRED * min(max(Fraction(share), Fraction(0)), Fraction(1))


def component_values(
    inputs: ScoreInputs, terms: PolicyTerms, study: Fraction | None = None
) -> dict[str, Fraction | None]:
    """Each component's exact value 0–100, or None when there is nothing to measure.
    `study` is the branch's package completion share for the activity's month."""
    photos = Fraction(min(max(inputs.photos, 0), terms.upload_photos_target))
    chars = Fraction(min(max(inputs.summary_chars, 0), terms.upload_summary_chars))
    upload = photos / terms.upload_photos_target * terms.upload_photos_share + (
        chars / terms.upload_summary_chars * (100 - terms.upload_photos_share)
    )
    return {
        SIGN_IN: _rate(inputs.checked_in_non_flowing, inputs.roster_non_flowing),
        FLOWING_LIKE: _rate(inputs.liked_flowing, inputs.roster_flowing),
        UPLOAD: upload,
        COMMENT: _rate(inputs.commenters, inputs.roster),
        SUPERIOR: None if inputs.rating is None else Fraction(min(max(inputs.rating, 0), 100)),
        STUDY: study_value(study),
    }


def compute(
    inputs: ScoreInputs, terms: PolicyTerms = DEFAULT_POLICY, study: Fraction | None = None
) -> ScoreResult:
    """The activity's score: the weighted mean of the measured components, the weights of
    the left-out ones shared out in proportion (so the applied weights sum to 100). An
    optional component weighed 0 adds nothing and is not in the breakdown."""
    values = component_values(inputs, terms, study)
    names = COMPONENTS + tuple(n for n in OPTIONAL_COMPONENTS if weighs(terms, n))
    measured = {name: values[name] for name in names if values[name] is not None}
    weight_sum = sum(terms.weights[name] for name in measured)
    components: dict[str, Component | None] = {}
    total = Fraction(0)
    for name in names:
        value = values[name]
        if value is None:
            components[name] = None
            continue
        applied = Fraction(terms.weights[name] * 100, weight_sum) if weight_sum else Fraction(0)
        total += value * applied / 100
        components[name] = Component(value=round_half_up(value), weight=round_half_up(applied))
    return ScoreResult(
        total=round_half_up(total), policy_version=terms.version, components=components
    )


# Hundredths: scores are stored as integers so that sums and means are exact on SQLite and
# PostgreSQL alike (SQLite keeps decimals as floating point).


def to_hundredths(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def from_hundredths(value: int | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value) / 100).quantize(CENT)


def mean_hundredths(values: Iterable[int], count: int) -> int:
    """The mean of `count` scores given in hundredths (missing ones count 0), rounded half
    up to a hundredth."""
    if count <= 0:
        return 0
    return to_hundredths(round_half_up(Fraction(sum(values), count * 100)))


# Periods ---------------------------------------------------------------------------------

PeriodKind = Literal["month", "quarter", "year"]
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True, order=True)
class Period:
    kind: PeriodKind
    start: date  # the first day of its first month

    @property
    def months(self) -> list[date]:
        return [_add_months(self.start, i) for i in range(MONTHS_IN[self.kind])]

    @property
    def end(self) -> date:
        """The first day after the period."""
        return _add_months(self.start, MONTHS_IN[self.kind])

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"

    def __str__(self) -> str:
        return self.label


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def shift(period: Period, steps: int) -> Period:
    """The period `steps` periods of the same kind later (earlier when negative)."""
    return Period(period.kind, _add_months(period.start, steps * MONTHS_IN[period.kind]))


def month_of(day: date) -> Period:
    return Period("month", day.replace(day=1))


def quarter_of(day: date) -> Period:
    return Period("quarter", date(day.year, (day.month - 1) // 3 * 3 + 1, 1))


def year_of(day: date) -> Period:
    return Period("year", date(day.year, 1, 1))


def periods_containing(month: date) -> list[Period]:
    """The month, its quarter and its year: the rows a change to one month touches."""
    return [month_of(month), quarter_of(month), year_of(month)]


def parse_period(text: str) -> Period:
    """`2026-12` (a month), `2026-Q4` (a quarter) or `2026` (a year); ValueError otherwise."""
    text = (text or "").strip().upper()
    try:
        if len(text) == 4 and text.isdigit():
            return Period("year", date(int(text), 1, 1))
        year, _, rest = text.partition("-")
        if len(year) != 4 or not year.isdigit():
            raise ValueError(text)
        if rest.startswith("Q") and rest[1:] in ("1", "2", "3", "4"):
            return Period("quarter", date(int(year), (int(rest[1:]) - 1) * 3 + 1, 1))
        if len(rest) == 2 and rest.isdigit() and 1 <= int(rest) <= 12:
            return Period("month", date(int(year), int(rest), 1))
    except ValueError:
        pass
    raise ValueError(f"not a period: {text!r}")


def previous_months(month: date, count: int) -> list[date]:
    """`count` months ending with `month`, oldest first."""
    return [_add_months(month.replace(day=1), -i) for i in range(count - 1, -1, -1)]


# Ranking ---------------------------------------------------------------------------------

T = TypeVar("T")


def competition_ranks(items: list[T], score: Callable[[T], object]) -> list[tuple[int, T]]:
    """Standard competition ranking of items already sorted best first: equal scores share
    a rank and the next rank skips (1, 2, 2, 4)."""
    ranked: list[tuple[int, T]] = []
    previous = object()
    rank = 0
    for position, item in enumerate(items, start=1):
        value = score(item)
        if value != previous:
            rank = position
            previous = value
        ranked.append((rank, item))
    return ranked
