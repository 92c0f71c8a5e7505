from django.core.management.base import BaseCommand

from dangjian.core import partitions


class Command(BaseCommand):
    help = (
        "Make the monthly partitions of the history tables ahead (PostgreSQL): this month's, "
        "the next ones', and those of months whose rows wait in a default partition."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--months-ahead",
            type=int,
            default=None,
            metavar="N",
            help="How many months after this one (default: PARTITION_MONTHS_AHEAD).",
        )

    def handle(self, *args, months_ahead: int | None, **options):
        made = partitions.ensure_all(months_ahead=months_ahead)
        for table, names in made.items():
            self.stdout.write(f"{table}: {', '.join(names) if names else 'nothing to make'}")
