from django.core.management.base import BaseCommand, CommandError

from dangjian.core.errors import DomainError
from dangjian.registry import seeding


class Command(BaseCommand):
    help = (
        "Load Hanzhong-shaped data: `demo` (about 60 branches, 1,500 members) or `city` "
        "(about 9,000 organizations, 208,000 members), plus the demo logins. Running it "
        "again changes nothing and prints the logins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=seeding.SCALES, default="demo")
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed (the same seed, the same data)."
        )
        parser.add_argument(
            "--no-members",
            action="store_true",
            help="Only the organization tree and the demo logins.",
        )

    def handle(self, *args, scale: str, seed: int, no_members: bool, **_):
        self.stdout.write(f"Seeding {seeding.CITY_NAME} at the {scale} scale (seed {seed})")
        try:
            report = seeding.seed(
                scale=scale,
                seed=seed,
                with_members=not no_members,
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc

        flowing = report.flowing_total / report.members_total if report.members_total else 0
        self.stdout.write(
            f"Created: {report.orgs_created} organizations, {report.members_created} members, "
            f"{report.logins_created} logins."
        )
        self.stdout.write(
            f"In {seeding.CITY_NAME}: {report.orgs_total} organizations "
            f"({report.branches_total} branches), {report.members_total} members "
            f"({flowing:.1%} flowing)."
        )
        timings = ", ".join(f"{stage} {secs:.1f} s" for stage, secs in report.seconds.items())
        self.stdout.write(f"Time: {timings}")
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"Note: {note}"))
        if not report.changed:
            self.stdout.write("Already seeded: nothing changed.")
        self._print_logins()

    def _print_logins(self) -> None:
        rows = [("Role", "Phone", "Password", "Name", "Where")] + [
            (login.role, login.phone, seeding.DEMO_PASSWORD, login.name, login.where)
            for login in seeding.DEMO_LOGINS
        ]

        # Chinese characters take two columns in a terminal.
        def width(text: str) -> int:
            return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

        widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]

        def line(row) -> str:
            return "  ".join(
                cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)
            ).rstrip()

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo logins"))
        self.stdout.write(line(rows[0]))
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in rows[1:]:
            self.stdout.write(line(row))
