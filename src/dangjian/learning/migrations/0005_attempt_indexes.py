"""The quiz peak's writes (docs/performance.md, "The monthly quiz peak"): the foreign keys
of attempts and their slots lose the indexes that the unique keys' leading columns already
give, and on PostgreSQL the slots' table leaves half of each page free, so that saving an
answer and marking it update the row in place (a heap-only tuple: no index touched)."""

import django.db.models.deletion
from django.db import migrations, models

FILLFACTOR = 50


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE learning_attemptanswer SET (fillfactor = {FILLFACTOR})")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE learning_attemptanswer RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0004_study_packages"),
        ("registry", "0003_wechat_binding"),
    ]

    operations = [
        migrations.AlterField(
            model_name="attempt",
            name="member",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="registry.member",
            ),
        ),
        migrations.AlterField(
            model_name="attempt",
            name="quiz",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="attempts",
                to="learning.quiz",
            ),
        ),
        migrations.AlterField(
            model_name="attemptanswer",
            name="attempt",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="answers",
                to="learning.attempt",
            ),
        ),
        migrations.RunPython(leave_room, fill_pages),
    ]
