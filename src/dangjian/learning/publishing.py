"""A draft's publication, once its own checks have passed, for the learning items members
see only when published (a quiz: `quiz_services.publish_quiz`; a study package:
`packages.publish_package`): the status and its times saved alone, and audited as the
change from draft to published in the caller's transaction."""

from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.learning.models import PackageStatus, Quiz, QuizStatus, StudyPackage
from dangjian.registry.models import User


def publish_draft(
    *,
    actor: User,
    item: Quiz | StudyPackage,
    statuses: type[QuizStatus] | type[PackageStatus],
    action: str,
) -> None:
    now = clock.now()
    item.status = statuses.PUBLISHED
    item.published_at = now
    item.updated_at = now
    item.save(update_fields=["status", "published_at", "updated_at"])
    audit.record(
        actor=actor,
        action=action,
        obj=item,
        org=item.org,
        before={"status": statuses.DRAFT},
        after={"status": statuses.PUBLISHED},
    )
