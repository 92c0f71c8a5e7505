import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.registry import backups


class Command(BaseCommand):
    help = (
        "Check a restored database against its backup's manifest: migrations, row counts, "
        "checksums of key tables, and a sample of ID numbers decrypted with the configured "
        "FIELD_ENCRYPTION_KEYS and hashed with ID_NUMBER_HASH_KEY. Fails on any difference. "
        "Without a manifest (a point-in-time recovery) only the ID numbers are checked."
    )

    def add_arguments(self, parser):
        parser.add_argument("manifest", nargs="?", help="The backup's manifest.json.")
        parser.add_argument(
            "--sample", type=int, default=200, help="How many ID numbers to decrypt."
        )

    def handle(self, *args, manifest: str | None, sample: int, **options):
        try:
            if manifest:
                problems, checked = backups.verify(
                    json.loads(Path(manifest).read_text()), sample=sample
                )
            else:
                problems, decrypted = backups.check_keys(sample=sample)
        except backups.NotPostgreSQL as exc:
            raise CommandError(str(exc)) from exc
        if problems:
            what = (
                "does NOT match its backup" if manifest else "has ID numbers the keys cannot read"
            )
            raise CommandError(f"the restored database {what}:\n  " + "\n  ".join(problems))
        if not manifest:
            self.stdout.write(
                f"verified: {decrypted} ID numbers decrypted with the configured keys"
            )
            return
        self.stdout.write(
            f"verified: {checked['tables']} tables, {checked['rows']} rows, "
            f"{checked['checksummed']} checksums equal, {checked['id_numbers']} ID numbers "
            "decrypted with the configured keys"
        )
