"""The five columns every city starts with (SPEC §6); a city may add, rename or retire
columns afterwards."""

from django.db import migrations

DEFAULT_COLUMNS = [
    ("party_news", "党内要闻"),
    ("policy", "政策资讯"),
    ("party_knowledge", "党务知识"),
    ("county_news", "县区动态"),
    ("cases", "典型经验"),
]


def create_columns(apps, schema_editor):
    Column = apps.get_model("learning", "Column")
    for position, (code, name) in enumerate(DEFAULT_COLUMNS, start=1):
        Column.objects.get_or_create(code=code, defaults={"name": name, "position": position})


def remove_columns(apps, schema_editor):
    Column = apps.get_model("learning", "Column")
    Column.objects.filter(
        code__in=[code for code, _name in DEFAULT_COLUMNS], articles__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_initial")]

    operations = [migrations.RunPython(create_columns, remove_columns)]
