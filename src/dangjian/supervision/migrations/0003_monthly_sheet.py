import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_wechat_binding"),
        ("supervision", "0002_record_review"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MonthlySheet",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "month",
                    models.DateField(help_text="First day of the month", verbose_name="月份"),
                ),
                ("generated_at", models.DateTimeField()),
                ("sign_in_threshold", models.PositiveSmallIntegerField()),
                ("branches", models.PositiveIntegerField()),
                ("listed", models.PositiveIntegerField()),
                ("no_approved_plan", models.PositiveIntegerField()),
                ("not_held", models.PositiveIntegerField()),
                ("low_sign_in", models.PositiveIntegerField()),
                ("items_missing", models.PositiveIntegerField(blank=True, null=True)),
                ("sent_back", models.PositiveIntegerField(blank=True, null=True)),
                ("overdue_rectifications", models.PositiveIntegerField()),
                ("reminded_users", models.PositiveIntegerField(default=0)),
                ("content_hash", models.CharField(max_length=64)),
                (
                    "xlsx",
                    models.FileField(max_length=200, upload_to="supervision/monthly/%Y/%m/"),
                ),
                ("pdf", models.FileField(max_length=200, upload_to="supervision/monthly/%Y/%m/")),
                (
                    "county",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.organization",
                    ),
                ),
                (
                    "generated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-month", "county__path"],
                "indexes": [
                    models.Index(fields=["month", "county"], name="supervision_month_1e1e95_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("county", "month"), name="monthlysheet_unique"),
                    models.CheckConstraint(
                        condition=models.Q(("listed__lte", models.F("branches"))),
                        name="monthlysheet_listed_within",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("sign_in_threshold__lte", 100)),
                        name="monthlysheet_threshold_percent",
                    ),
                ],
            },
        ),
    ]
