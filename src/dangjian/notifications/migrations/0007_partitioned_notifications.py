"""Notices get the month they are kept in, each dedupe key its month (`DedupeMonth`), and on
PostgreSQL the notices become a table partitioned by month (core.partitions,
docs/decisions.md, "Partitioned history")."""

from datetime import UTC

from django.db import migrations, models
from django.db.models import DateField, Min
from django.db.models.functions import TruncMonth

from dangjian.core import partitions


def fill_months(apps, schema_editor):
    alias = schema_editor.connection.alias
    notice = apps.get_model("notifications", "Notification")
    dedupe_month = apps.get_model("notifications", "DedupeMonth")
    notice.objects.using(alias).update(
        month=TruncMonth("created_at", output_field=DateField(), tzinfo=UTC)
    )
    # A key's notices all go to the month of its first one, as a push would put them.
    firsts = (
        notice.objects.using(alias)
        .exclude(dedupe_key="")
        .values("dedupe_key")
        .annotate(first=Min("month"))
        .values_list("dedupe_key", "first")
    )
    for start_rows in _chunks(list(firsts), 2000):
        dedupe_month.objects.using(alias).bulk_create(
            [dedupe_month(dedupe_key=key, month=month) for key, month in start_rows]
        )
        for key, month in start_rows:
            notice.objects.using(alias).filter(dedupe_key=key).exclude(month=month).update(
                month=month
            )
    _constraints_now(schema_editor)


def _chunks(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _constraints_now(schema_editor):
    # The rows just updated leave deferred foreign-key checks pending, and PostgreSQL alters
    # no table that has some: checked now instead of at the commit.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    partitions.convert(schema_editor, "notifications_notification")


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0006_job"),
    ]

    operations = [
        migrations.CreateModel(
            name="DedupeMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("dedupe_key", models.CharField(max_length=100, unique=True)),
                ("month", models.DateField()),
            ],
        ),
        migrations.AddField(
            model_name="notification",
            name="month",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(fill_months, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="notification",
            name="month",
            field=models.DateField(),
        ),
        migrations.RemoveConstraint(
            model_name="notification",
            name="notification_unique_dedupe_key",
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("dedupe_key", ""), _negated=True),
                fields=("user", "dedupe_key", "month"),
                name="notification_unique_dedupe_key",
            ),
        ),
        migrations.RunPython(partition),
    ]
