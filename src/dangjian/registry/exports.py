"""Export of the member roster for reporting.

The columns follow the import template, but the ID number is masked (personal data never
leaves in clear, docs/style.md), so an export cannot be edited and imported back: the
column is named 身份证号（脱敏） and the import refuses it."""

import io
import math

from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.replica import reading_from_replica
from dangjian.core.spreadsheets import xlsx_cell, xlsx_row
from dangjian.notifications import jobs
from dangjian.permissions import Action
from dangjian.registry.imports import MASKED_ID_HEADER, MEMBER_COLUMNS, XLSX_TYPE
from dangjian.registry.models import Gender, MemberStatus, Organization

GENDER_NAMES = {Gender.MALE: "男", Gender.FEMALE: "女"}
STATUS_NAMES = {MemberStatus.FULL: "正式党员", MemberStatus.PROBATIONARY: "预备党员"}
# An export's job counts a step for each this many rows written, and one for saving.
ROWS_A_STEP = 2000


def export_headers() -> list[str]:
    return [MASKED_ID_HEADER if field == "id_number" else title for field, title in MEMBER_COLUMNS]


@reading_from_replica()
def export_members(*, actor, org: Organization, job=None) -> tuple[bytes, str, str]:
    """An .xlsx of the active members of `org`'s subtree that the actor may read, in branch
    order. Admins over `org` only (a bulk read of personal data). Audited. Made at once (the
    direct download, the API), or counted on `job` (build_member_export): a step for each
    ROWS_A_STEP rows, and one for saving the workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    permissions.require(actor, Action.IMPORT, org)
    qs = (
        permissions.scoped_members(actor)
        .filter(branch__path__startswith=org.path, is_active=True)
        .order_by("branch__path", "name", "pk")
        .values_list(
            "name",
            "id_number_masked",
            "gender",
            "birth_date",
            "user__phone",
            "branch__code",
            "branch__name",
            "join_date",
            "full_date",
            "status",
            "is_flowing",
            "flowing_location",
        )
    )
    if job is not None:
        jobs.begin(job, total=math.ceil(qs.count() / ROWS_A_STEP) + 1)
    # Write-only streams rows to a temporary file: memory stays flat for a whole city.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("党员名册"))
    for letter, width in zip(
        "ABCDEFGHIJK", (10, 20, 6, 12, 14, 22, 12, 12, 10, 12, 20), strict=True
    ):
        ws.column_dimensions[letter].width = width
    bold = Font(bold=True)
    header = []
    for title in export_headers():
        cell = xlsx_cell(ws, title)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    count = 0
    for (
        name,
        masked,
        gender,
        birth_date,
        phone,
        branch_code,
        branch_name,
        join_date,
        full_date,
        status,
        is_flowing,
        flowing_location,
    ) in qs.iterator(chunk_size=2000):
        ws.append(
            xlsx_row(
                ws,
                [
                    name,
                    masked,
                    GENDER_NAMES.get(gender, gender),
                    birth_date,
                    phone,
                    branch_code or branch_name,
                    join_date,
                    full_date,
                    STATUS_NAMES.get(status, status),
                    "是" if is_flowing else "否",
                    flowing_location,
                ],
            )
        )
        count += 1
        if count % ROWS_A_STEP == 0:
            jobs.advance(job, 1)
    if count % ROWS_A_STEP:
        jobs.advance(job, 1)
    buf = io.BytesIO()
    wb.save(buf)
    audit.record(
        actor=actor,
        action="member.export",
        obj=org,
        org=org,
        after={"count": count, "format": "xlsx"},
    )
    filename = f"{_('党员名册')}-{org.name}-{clock.today():%Y%m%d}.xlsx"
    return buf.getvalue(), filename, XLSX_TYPE


def start_member_export(*, actor, org: Organization):
    """The click on "生成导出文件": the register of `org`'s subtree built in the background as
    a job of the actor's (notifications.export_files), ended with its download link."""
    from dangjian.notifications import export_files

    permissions.require(actor, Action.IMPORT, org)
    return export_files.start_export(
        actor=actor,
        kind="member_export",
        target_id=org.pk,
        title=_("导出党员名册：%s") % org.name,
        org=org,
    )


def build_member_export(job, org_id: int) -> tuple[bytes, str, str]:
    """The export job's builder (notifications.export_files): the asker's permission checked
    again, as the organization is now."""
    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        raise permissions.not_found()
    return export_members(actor=job.actor, org=org, job=job)
