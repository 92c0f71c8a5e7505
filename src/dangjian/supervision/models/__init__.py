"""Supervision's models, one module per part of the cycle; Django finds them here."""

from .appraisal import (  # noqa: F401
    Appraisal,
    AppraisalCounty,
    AppraisalEntry,
    AppraisalRule,
    AppraisalStatus,
    Grade,
)
from .awards import (  # noqa: F401
    AwardKind,
    AwardRound,
    AwardRoundStatus,
    CasePhoto,
    GoldenIdeaCase,
    Nomination,
)
from .bulletins import Bulletin, BulletinFile, BulletinFileKind, BulletinStatus  # noqa: F401
from .monthly import MonthlySheet
from .reviews import RecordReview, RecordReviewEvent, ReviewAction, ReviewStatus
from .spotchecks import (
    FindingResult,
    Rectification,
    RectificationAttachment,
    RectificationEvent,
    RectificationStatus,
    SpotCheck,
    SpotCheckItem,
)

__all__ = [
    "MonthlySheet",
    "SpotCheck",
    "FindingResult",
    "SpotCheckItem",
    "RectificationStatus",
    "Rectification",
    "RectificationEvent",
    "RectificationAttachment",
    "ReviewStatus",
    "ReviewAction",
    "RecordReview",
    "RecordReviewEvent",
]
