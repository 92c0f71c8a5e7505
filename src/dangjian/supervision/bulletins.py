"""The quarterly bulletin (一季一通报, docs/product.md "Supervision"): an organization
generates the bulletin of its subtree for a quarter as a draft (figures and files, which it
may generate again while a draft), publishes it to the subtree as a notice, and corrects a
published one by a new version that names the one it replaces.

A published bulletin never changes: no service writes its figures or files again (each
refuses with `already_published`), and its files are served only while their bytes still
hash to the SHA-256 taken when they were written. Publishing a correction marks the
version it replaces superseded; that version's figures and files stay as they were."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.locking import refused_on_conflict
from dangjian.core.scheduling import resume_unfinished
from dangjian.core.text import checked_text
from dangjian.notifications import jobs
from dangjian.notifications import services as notifications
from dangjian.permissions import Action
from dangjian.registry.models import Organization, OrgKind, User
from dangjian.supervision import bulletin_figures, bulletin_files
from dangjian.supervision.models import (
    Bulletin,
    BulletinFile,
    BulletinFileKind,
    BulletinStatus,
)

logger = logging.getLogger(__name__)

REASON_MAX_CHARS = 2000
NOTICE_RESUME_AFTER = timedelta(minutes=10)
# A generation's steps on its job: the figures, the charts, the PDF, the workbook, keeping.
GENERATE_STEPS = 5
# A generation's job unfinished this long is taken as lost, and a new click starts another.
STALE_JOB_AFTER = timedelta(minutes=10)


def _period(year: int, quarter: int):
    if not (isinstance(year, int) and 2000 <= year <= 2100 and quarter in (1, 2, 3, 4)):
        raise DomainError("validation_error", _("季度格式应为 2026-Q3"), field="period")
    period = bulletin_figures.quarter(year, quarter)
    if period.start > clock.today():
        raise DomainError("validation_error", _("该季度尚未开始"), field="period")
    return period


def _check_org(org: Organization) -> None:
    if org.kind == OrgKind.BRANCH:
        raise DomainError("invalid_org", _("季度通报由市、县（区）等上级党组织生成"))


def _note(bulletin: Bulletin) -> str:
    """What the files of a correction say about the version it replaces."""
    old = bulletin.replaces
    if old is None:
        return ""
    return _("本版为更正版，取代 %(at)s 发布的第 %(v)d 版。更正原因：%(reason)s") % {
        "at": f"{old.published_at:%Y-%m-%d}" if old.published_at else "",
        "v": old.version,
        "reason": bulletin.correction_reason,
    }


def _drawn(org: Organization, year: int, quarter: int, version: int, note: str, job=None):
    """(figures to keep, PDF bytes, XLSX bytes): every read and all the drawing, done
    before the writing transaction begins; each of the four a step of `job`, if any."""
    period = bulletin_figures.quarter(year, quarter)
    figures = bulletin_figures.figures(org, period, today=clock.today())
    jobs.advance(job, 1)
    ranking = figures.pop("ranking")
    pdf = bulletin_files.render_pdf(
        figures, version=version, note=note, drawn=lambda: jobs.advance(job, 1)
    )
    jobs.advance(job, 1)
    xlsx = bulletin_files.render_xlsx(figures, ranking=ranking, note=note)
    jobs.advance(job, 1)
    return bulletin_figures.kept(figures), pdf, xlsx


def _store_files(bulletin: Bulletin, pdf: bytes, xlsx: bytes) -> None:
    """Write the bulletin's files with their hashes, replacing a draft's previous ones."""
    for old in list(bulletin.files.all()):
        old.file.delete(save=False)
        old.delete()
    now = clock.now()
    base = f"{bulletin.org.name}-{bulletin.period_label}-v{bulletin.version}"
    for kind, content, content_type in (
        (BulletinFileKind.PDF, pdf, bulletin_files.PDF),
        (BulletinFileKind.XLSX, xlsx, bulletin_files.XLSX),
    ):
        stored = BulletinFile(
            bulletin=bulletin,
            kind=kind,
            name=f"{base}.{kind}"[:200],
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            created_at=now,
        )
        stored.file.save(f"{secrets.token_hex(8)}.{kind}", ContentFile(content), save=False)
        stored.save()


def _locked_chain(org: Organization, year: int, quarter: int) -> list[Bulletin]:
    """Every version of the scope and quarter, locked: two clicks at once take turns."""
    return list(
        Bulletin.objects.select_for_update()
        .filter(org=org, year=year, quarter=quarter)
        .order_by("version")
    )


def _current_draft(*, actor: User, org: Organization, year: int, quarter: int) -> Bulletin | None:
    """The quarter's draft (None before the first), after the checks a generation makes."""
    permissions.require(actor, Action.CHANGE, org)
    _check_org(org)
    _period(year, quarter)
    chain = list(Bulletin.objects.filter(org=org, year=year, quarter=quarter).order_by("version"))
    draft = next((b for b in chain if b.is_draft), None)
    if draft is None and chain:
        raise DomainError("already_published", _("本季度通报已发布，如需修改请发布更正版"))
    return draft


def generate_bulletin(
    *, actor: User, org: Organization, year: int, quarter: int, job=None
) -> Bulletin:
    """Generate the draft bulletin of `org` for the quarter, or generate the current draft
    again (a correction being prepared stays a correction). Refused once the quarter's
    bulletin is published and no correction is being prepared: correct it instead. Made
    at once (the API's call), or counted on `job` by the background half of request_bulletin."""
    draft = _current_draft(actor=actor, org=org, year=year, quarter=quarter)
    version = draft.version if draft else 1
    drawn = _drawn(org, year, quarter, version, _note(draft) if draft else "", job)
    return _write_draft(actor=actor, org=org, year=year, quarter=quarter, drawn=drawn)


def request_bulletin(*, actor: User, org: Organization, year: int, quarter: int):
    """The console's click: the checks generate_bulletin makes, then a job of the actor's
    (notifications.jobs) that the background task counts in five steps (the figures, the
    charts, the PDF, the workbook, keeping them) and ends with the bulletin's page. A second
    click while it runs watches the same job."""
    _current_draft(actor=actor, org=org, year=year, quarter=quarter)
    subject = bulletin_subject(actor=actor, org=org, year=year, quarter=quarter)
    running = jobs.open_job(subject)
    if running is not None and running.created_at >= clock.now() - STALE_JOB_AFTER:
        return running
    # One never started (its task lost with Redis down) is ended, and the click starts anew.
    jobs.fail(running, summary=_("通报未能生成，请稍后重新生成。"))
    with transaction.atomic():
        job = jobs.start_job(
            actor=actor,
            kind="bulletin",
            subject=subject,
            title=_("季度通报：%(org)s %(year)d-Q%(q)d")
            % {"org": org.name, "year": year, "q": quarter},
            org=org,
        )
        from dangjian.supervision.tasks import generate_bulletin_task

        jobs.send(generate_bulletin_task, (actor.pk, org.pk, year, quarter))
    return job


def bulletin_subject(*, actor: User, org: Organization, year: int, quarter: int) -> str:
    """What an admin's generation of a quarter's bulletin is about (notifications.jobs)."""
    return f"bulletin:{org.pk}:{year}-Q{quarter}:{actor.pk}"


def generate_in_background(actor_id: int, org_id: int, year: int, quarter: int) -> Bulletin | None:
    """The background half of request_bulletin: generate and end its job with the summary
    and the bulletin's page, or fail it with the refusal's words (published meanwhile) or,
    for anything else, a plain Chinese summary (logged). Nothing once its job has ended."""
    actor = User.objects.filter(pk=actor_id).first()
    org = Organization.objects.filter(pk=org_id).first()
    if actor is None or org is None:
        return None
    job = jobs.open_job(bulletin_subject(actor=actor, org=org, year=year, quarter=quarter))
    if job is None:
        return None
    jobs.begin(job, total=GENERATE_STEPS)
    try:
        bulletin = generate_bulletin(actor=actor, org=org, year=year, quarter=quarter, job=job)
    except DomainError as exc:
        jobs.fail(job, summary=exc.message)
        return None
    except Exception:  # noqa: BLE001 - whatever broke, the job says so
        logger.exception("bulletin %s %d-Q%d failed", org_id, year, quarter)
        jobs.fail(job, summary=_("通报未能生成，请稍后重新生成。"))
        return None
    jobs.advance(job, 1)
    jobs.succeed(
        job,
        summary=_("已生成通报草稿：%(title)s（第 %(v)d 版），请核对后发布。")
        % {"title": bulletin.title, "v": bulletin.version},
        result_url=f"/console/supervision/bulletins/{bulletin.pk}/",
    )
    return bulletin


@transaction.atomic
def _write_draft(*, actor: User, org: Organization, year: int, quarter: int, drawn) -> Bulletin:
    permissions.require(actor, Action.CHANGE, org)
    figures, pdf, xlsx = drawn
    chain = _locked_chain(org, year, quarter)
    draft = next((b for b in chain if b.is_draft), None)
    if draft is None and chain:
        raise DomainError("already_published", _("本季度通报已发布，如需修改请发布更正版"))
    now = clock.now()
    if draft is None:
        draft = Bulletin(org=org, year=year, quarter=quarter, version=1)
    draft.title = bulletin_files.title_of(figures)
    draft.figures = figures
    draft.generated_by = actor
    draft.generated_at = now
    # Refused: a first draft written by another click meanwhile.
    with refused_on_conflict("conflict", _("该季度通报正由他人生成，请稍后刷新")):
        draft.save()
    _store_files(draft, pdf, xlsx)
    audit.record(
        actor=actor,
        action="bulletin.generate",
        obj=draft,
        org=org,
        label=draft.title,
        after={"period": draft.period_label, "version": draft.version},
    )
    return draft


def correct_bulletin(*, actor: User, bulletin: Bulletin, reason: str) -> Bulletin:
    """Begin a correction of a published bulletin: a new draft version of the same scope
    and quarter, generated from the data as it is now, that says what it replaces and why.
    The published version stays published, and unchanged, until the correction is."""
    permissions.require(actor, Action.CHANGE, bulletin)
    reason = checked_text(
        reason, field="reason", missing=_("请填写更正原因"), limit=REASON_MAX_CHARS
    )
    bulletin = Bulletin.objects.select_related("org").get(pk=bulletin.pk)
    if bulletin.status != BulletinStatus.PUBLISHED:
        raise DomainError("not_published", _("只有已发布的现行通报可以更正"))
    if Bulletin.objects.filter(
        org_id=bulletin.org_id,
        year=bulletin.year,
        quarter=bulletin.quarter,
        status=BulletinStatus.DRAFT,
    ).exists():
        raise DomainError("draft_exists", _("该通报已有待发布的更正稿"))
    version = bulletin.version + 1
    preview = Bulletin(replaces=bulletin, correction_reason=reason, version=version)
    drawn = _drawn(bulletin.org, bulletin.year, bulletin.quarter, version, _note(preview))
    return _write_correction(actor=actor, bulletin=bulletin, reason=reason, drawn=drawn)


@transaction.atomic
def _write_correction(*, actor: User, bulletin: Bulletin, reason: str, drawn) -> Bulletin:
    permissions.require(actor, Action.CHANGE, bulletin)
    figures, pdf, xlsx = drawn
    chain = _locked_chain(bulletin.org, bulletin.year, bulletin.quarter)
    current = next((b for b in chain if b.pk == bulletin.pk), None)
    if current is None or current.status != BulletinStatus.PUBLISHED:
        raise DomainError("not_published", _("只有已发布的现行通报可以更正"))
    if any(b.is_draft for b in chain):
        raise DomainError("draft_exists", _("该通报已有待发布的更正稿"))
    correction = Bulletin.objects.create(
        org=current.org,
        year=current.year,
        quarter=current.quarter,
        version=max(b.version for b in chain) + 1,
        replaces=current,
        correction_reason=reason,
        title=bulletin_files.title_of(figures),
        figures=figures,
        generated_by=actor,
        generated_at=clock.now(),
    )
    _store_files(correction, pdf, xlsx)
    audit.record(
        actor=actor,
        action="bulletin.correct",
        obj=correction,
        org=current.org,
        label=correction.title,
        after={"version": correction.version, "replaces": current.pk, "reason": reason},
    )
    return correction


@transaction.atomic
def publish_bulletin(*, actor: User, bulletin: Bulletin) -> Bulletin:
    """Publish a draft: it becomes the quarter's bulletin, the version it corrects (if
    any) is marked superseded, and everyone in the subtree is told (in the background,
    one notice a person and version)."""
    permissions.require(actor, Action.CHANGE, bulletin)
    chain = _locked_chain(bulletin.org, bulletin.year, bulletin.quarter)
    bulletin = next((b for b in chain if b.pk == bulletin.pk), None)
    if bulletin is None:
        raise permissions.not_found()
    if not bulletin.is_draft:
        raise DomainError("already_published", _("该通报已发布，不能再修改"))
    files = {f.kind: f for f in bulletin.files.all()}
    if set(files) != set(BulletinFileKind.values) or not all(map(file_intact, files.values())):
        raise DomainError("file_changed", _("通报文件不完整或已被改动，请重新生成"))
    now = clock.now()
    for old in chain:
        if old.status == BulletinStatus.PUBLISHED:
            old.status = BulletinStatus.SUPERSEDED
            old.superseded_at = now
            old.save(update_fields=["status", "superseded_at"])
    bulletin.status = BulletinStatus.PUBLISHED
    bulletin.published_by = actor
    bulletin.published_at = now
    bulletin.save(update_fields=["status", "published_by", "published_at"])
    audit.record(
        actor=actor,
        action="bulletin.publish",
        obj=bulletin,
        org=bulletin.org,
        label=bulletin.title,
        before={"status": BulletinStatus.DRAFT},
        after={
            "status": BulletinStatus.PUBLISHED,
            "version": bulletin.version,
            "replaces": bulletin.replaces_id,
            "sha256": {kind: f.sha256 for kind, f in sorted(files.items())},
        },
    )
    from dangjian.supervision.tasks import notify_bulletin

    notifications.request_fanout(
        actor=actor,
        issue=bulletin,
        requested="notice_requested_at",
        task=notify_bulletin,
        action="bulletin.notice",
        noted="already_noticed",
        restamp=False,
    )
    return bulletin


# The notice ------------------------------------------------------------------------------


def notify(bulletin_id: int) -> Bulletin:
    """The background half of publish_bulletin: every active member under the organization
    and every admin in its subtree gets a notice linking to the PDF, a batch of branches at
    a time; idempotent (one notice a person and version), so a run again notifies only who
    was not notified."""
    bulletin = Bulletin.objects.select_related("org", "replaces").get(pk=bulletin_id)
    org = bulletin.org
    if bulletin.replaces_id:
        title = _("通报更正：%s") % bulletin.title
        body = _("第 %(v)d 版已更正，请以本版为准。") % {"v": bulletin.replaces.version}
    else:
        title = _("季度通报：%s") % bulletin.title
        body = _("%s 已发布，请查阅。") % bulletin.title
    notice = {"kind": bulletin.notice_kind, "title": title[:200], "body": body}
    branch_ids = list(
        Organization.objects.filter(path__startswith=org.path, kind=OrgKind.BRANCH).values_list(
            "pk", flat=True
        )
    )
    notifications.notify_branch_members(
        branch_ids=branch_ids,
        dedupe_key=bulletin.dedupe_key,
        link=f"/m/bulletins/{bulletin.pk}/",
        **notice,
    )
    notifications.notify(
        user_ids=permissions.subtree_admin_user_ids(org),
        dedupe_key=bulletin.dedupe_key,
        link=f"/console/supervision/bulletins/{bulletin.pk}/",
        **notice,
    )
    Bulletin.objects.filter(pk=bulletin.pk).update(
        notified_members=notifications.count_with_key(bulletin.dedupe_key),
        noticed_at=clock.now(),
    )
    bulletin.refresh_from_db()
    return bulletin


def resume_notices() -> int:
    """Scheduled safety net: notices of published bulletins requested a while ago and not
    finished (never queued with Redis down, or lost with a worker); notify() is idempotent."""
    return resume_unfinished(
        Bulletin.objects.all(),
        requested="notice_requested_at",
        finished="noticed_at",
        after=NOTICE_RESUME_AFTER,
        run=notify,
    )


# Reads -----------------------------------------------------------------------------------


def bulletins_for(actor, *, org: Organization | None = None) -> QuerySet[Bulletin]:
    """The bulletins the actor reads, newest quarter first (under `org` when given)."""
    qs = permissions.scoped_bulletins(actor).select_related("org", "replaces").defer("figures")
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    return qs.order_by("-year", "-quarter", "org__path", "-version")


def versions_of(bulletin: Bulletin) -> list[Bulletin]:
    """Every version of the bulletin's scope and quarter, newest first."""
    return list(
        Bulletin.objects.filter(
            org_id=bulletin.org_id, year=bulletin.year, quarter=bulletin.quarter
        )
        .select_related("published_by", "generated_by")
        .order_by("-version")
    )


def file_intact(stored: BulletinFile) -> bool:
    """Whether the stored bytes still hash to what was recorded when they were written."""
    digest = hashlib.sha256()
    try:
        with stored.file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
    except OSError:  # gone from the storage: no longer what was written either
        return False
    return digest.hexdigest() == stored.sha256


def file_of(bulletin: Bulletin, kind: str) -> BulletinFile:
    """The bulletin's PDF or workbook, refused (`file_changed`) if its bytes no longer
    match their recorded hash: a published bulletin is what was published, or nothing."""
    stored = next((f for f in bulletin.files.all() if f.kind == kind), None)
    if stored is None:
        raise permissions.not_found()
    if not file_intact(stored):
        raise DomainError("file_changed", _("通报文件与发布时的校验值不符，已拒绝提供"))
    return stored


def bulletin_orgs(actor) -> list[Organization]:
    """The organizations the actor may generate bulletins for, as a form offers them: those
    they administer and the committees directly under them (a city's counties)."""
    tops = list(
        Organization.objects.filter(path__in=permissions.admin_paths(actor))
        .exclude(kind=OrgKind.BRANCH)
        .order_by("path")
    )
    children = Organization.objects.none()
    for top in tops:
        children |= Organization.objects.filter(
            path__startswith=top.path, depth=top.depth + 1, is_active=True
        ).exclude(kind=OrgKind.BRANCH)
    return tops + list(children.order_by("path")) if tops else []


def current_version(bulletin: Bulletin) -> Bulletin | None:
    """The published version of the bulletin's scope and quarter (a correction of it, or
    itself), None while none is."""
    return Bulletin.objects.filter(
        org_id=bulletin.org_id,
        year=bulletin.year,
        quarter=bulletin.quarter,
        status=BulletinStatus.PUBLISHED,
    ).first()
