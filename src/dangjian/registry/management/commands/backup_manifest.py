import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dangjian.core import clock
from dangjian.registry import backups


class Command(BaseCommand):
    help = (
        "Write a backup's manifest: migrations, row counts and checksums of key tables "
        "(scripts/backup.sh runs it on the snapshot pg_dump reads). Keys are never written."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="Where to write the manifest (JSON).")
        parser.add_argument(
            "--snapshot",
            default="",
            help="A pg_export_snapshot() id: read exactly the rows pg_dump --snapshot dumps.",
        )
        parser.add_argument("--commit", default="unknown", help="The application's git commit.")

    def handle(self, *args, output: str, snapshot: str, commit: str, **options):
        try:
            fingerprint = backups.fingerprint(snapshot=snapshot)
        except backups.NotPostgreSQL as exc:
            raise CommandError(str(exc)) from exc
        media = (
            {"storage": "s3", "note": "not in this backup: the bucket's versioning/replication"}
            if settings.MEDIA_STORAGE == "s3"
            else {"storage": "local", "root": str(settings.MEDIA_ROOT)}
        )
        manifest = {
            "taken_at": clock.now().isoformat(),
            "commit": commit,
            "media": media,
            **fingerprint,
        }
        Path(output).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        self.stdout.write(
            f"manifest: {len(fingerprint['row_counts'])} tables, "
            f"{sum(fingerprint['row_counts'].values())} rows, "
            f"{len(fingerprint['checksums'])} checksummed"
        )
