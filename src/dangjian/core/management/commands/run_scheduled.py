import time

from django.core.management.base import BaseCommand

from dangjian.core import scheduling


class Command(BaseCommand):
    help = "Run every scheduled job once (what Celery beat runs), or keep running them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=int,
            default=0,
            metavar="SECONDS",
            help="Run again every SECONDS until stopped (the embedded demo's scheduler).",
        )

    def handle(self, *args, loop: int, **options):
        while True:
            results = scheduling.run_all()
            for name, result in results.items():
                self.stdout.write(f"{name}: {result}")
            if not loop:
                return
            time.sleep(loop)
