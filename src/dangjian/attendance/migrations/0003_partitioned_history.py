"""Attendance records get their activity's month, and on PostgreSQL the attempt log and the
records become tables partitioned by month (core.partitions, docs/decisions.md,
"Partitioned history")."""

from datetime import UTC

from django.db import migrations, models
from django.db.models import DateField, OuterRef, Subquery
from django.db.models.functions import TruncMonth

from dangjian.core import partitions


def fill_months(apps, schema_editor):
    record = apps.get_model("attendance", "AttendanceRecord")
    activity = apps.get_model("themedays", "Activity")
    created_month = activity.objects.filter(pk=OuterRef("activity_id")).values(
        month=TruncMonth("created_at", output_field=DateField(), tzinfo=UTC)
    )
    record.objects.using(schema_editor.connection.alias).update(month=Subquery(created_month))
    _constraints_now(schema_editor)


def _constraints_now(schema_editor):
    # The rows just updated leave deferred foreign-key checks pending, and PostgreSQL alters
    # no table that has some: checked now instead of at the commit.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    partitions.convert(schema_editor, "attendance_checkinattempt")
    partitions.convert(schema_editor, "attendance_attendancerecord")


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0002_lean_hot_path"),
        ("themedays", "0003_ledgers"),
    ]

    operations = [
        migrations.AddField(
            model_name="attendancerecord",
            name="month",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(fill_months, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="attendancerecord",
            name="month",
            field=models.DateField(),
        ),
        migrations.RemoveConstraint(
            model_name="attendancerecord",
            name="attendance_once",
        ),
        migrations.AddConstraint(
            model_name="attendancerecord",
            constraint=models.UniqueConstraint(
                fields=("activity", "member", "month"), name="attendance_once"
            ),
        ),
        # Not reversible: going back would need every row of every partition moved again.
        migrations.RunPython(partition),
    ]
