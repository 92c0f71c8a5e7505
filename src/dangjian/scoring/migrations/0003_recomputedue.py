import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0002_period_score_written_index"),
        ("themedays", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecomputeDue",
            fields=[
                (
                    "activity",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="themedays.activity",
                    ),
                ),
                ("since", models.DateTimeField(db_index=True)),
            ],
        ),
    ]
