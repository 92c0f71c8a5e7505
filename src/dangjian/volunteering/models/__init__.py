"""The volunteer cloud call (志愿云呼叫, docs/product.md): citizens order a service, the
community reviews and publishes it, members claim it and do it, the citizen confirms and
rates it, and the hours go into the member's ledger."""

from dangjian.volunteering.models.hours import HoursEntry, HoursEntryKind
from dangjian.volunteering.models.orders import (
    Claim,
    ClaimState,
    Order,
    OrderEvent,
    OrderPhoto,
    OrderPhotoKind,
    OrderState,
)
from dangjian.volunteering.models.people import Citizen, ServiceCategory, VolunteerProfile

__all__ = [
    "Citizen",
    "Claim",
    "ClaimState",
    "HoursEntry",
    "HoursEntryKind",
    "Order",
    "OrderEvent",
    "OrderPhoto",
    "OrderPhotoKind",
    "OrderState",
    "ServiceCategory",
    "VolunteerProfile",
]
