from django.core.management.base import BaseCommand, CommandError

from dangjian.core.errors import DomainError
from dangjian.demodata import province, seeding, simulation
from dangjian.registry.models import Organization


class Command(BaseCommand):
    help = (
        "Load Hanzhong-shaped data: `demo` (about 60 branches, 1,500 members) or `city` "
        "(about 9,000 organizations, 208,000 members) or `province` (陕西省, ten cities on "
        "Hanzhong's pattern: about 90,000 organizations, 2.08 million members), plus the demo "
        "logins; with --months N, "
        "also the theme days of the N months before this one, held, closed and scored. "
        "Running it again changes nothing and prints the logins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=(*seeding.SCALES, "province"), default="demo")
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed (the same seed, the same data)."
        )
        parser.add_argument(
            "--city",
            action="append",
            default=[],
            metavar="CODE",
            help="With --scale province, seed only this city (its code, e.g. 6107; repeat "
            "for more): several commands can seed different cities at the same time.",
        )
        parser.add_argument(
            "--no-members",
            action="store_true",
            help="Only the organization tree and the demo logins.",
        )
        parser.add_argument(
            "--no-supervision",
            action="store_true",
            help="At the demo scale, leave out the year of history: the theme days of the "
            "twelve months before this one and of this month so far, the plans, leave and "
            "corrections waiting today, records reviewed, spot checks and rectifications, "
            "the monthly sheets, the quarters' bulletins and awards, a record sent back, the "
            "appraisal and the dues.",
        )
        parser.add_argument(
            "--months",
            type=int,
            default=0,
            help="Simulate the theme days of the N months before this one (a campaign from "
            "the city, an activity per branch, attendance, likes, comments, photos, ratings) "
            "and score them. About 20 s a month at the city scale on PostgreSQL.",
        )

    def handle(
        self,
        *args,
        scale: str,
        seed: int,
        no_members: bool,
        no_supervision: bool,
        months: int,
        city: list[str],
        **_,
    ):
        if months < 0:
            raise CommandError("--months must be 0 or more")
        if months and no_members:
            raise CommandError("--months needs the members: leave out --no-members")
        where = province.PROVINCE_NAME if scale == "province" else seeding.CITY_NAME
        self.stdout.write(f"Seeding {where} at the {scale} scale (seed {seed})")
        try:
            if scale == "province":
                report = province.seed_province(
                    seed=seed,
                    with_members=not no_members,
                    only=frozenset(city),
                    progress=lambda message: self.stdout.write(f"  {message}"),
                )
            else:
                report = seeding.seed(
                    scale=scale,
                    seed=seed,
                    with_members=not no_members,
                    with_supervision=not no_supervision,
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
            f"In {where}: {report.orgs_total} organizations "
            f"({report.branches_total} branches), {report.members_total} members "
            f"({flowing:.1%} flowing)."
        )
        if report.supervision_facts is not None:
            self.stdout.write("Supervision: " + "; ".join(report.supervision_facts.summary) + ".")
        timings = ", ".join(f"{stage} {secs:.1f} s" for stage, secs in report.seconds.items())
        self.stdout.write(f"Time: {timings}")
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"Note: {note}"))
        if months:
            self._simulate(months, seed, where, city)
        elif not report.changed:
            self.stdout.write("Already seeded: nothing changed.")
        self._print_logins(scale)

    def _simulate(self, months: int, seed: int, where: str, only: list[str]) -> None:
        root = Organization.objects.get_root_nodes().get(name=where)
        roots = [root]
        if where == province.PROVINCE_NAME:
            # A province's months are simulated city by city, each from its city's campaign:
            # one city's members in memory at a time, and cities side by side with --city.
            roots = [
                city
                for city in Organization.objects.get_children(root)
                if not only or city.code in only
            ]
        for root in roots:
            self._simulate_one(months, seed, root)

    def _simulate_one(self, months: int, seed: int, root: Organization) -> None:
        self.stdout.write(f"Simulating the theme days of {months} past months in {root.name}")
        result = simulation.simulate(
            root=root,
            months=months,
            seed=seed,
            progress=lambda message: self.stdout.write(f"  {message}"),
        )
        rows = ", ".join(
            f"{label.split('.')[-1]} {n}" for label, n in sorted(result.rows.items()) if n
        )
        self.stdout.write(
            f"Simulated {len(result.months)} months, {len(result.skipped)} already there"
            + (f"; rows: {rows}" if rows else "")
        )
        timings = ", ".join(f"{stage} {secs:.1f} s" for stage, secs in result.seconds.items())
        self.stdout.write(f"Time: {timings}")

    def _print_logins(self, scale: str) -> None:
        logins = list(seeding.DEMO_LOGINS)
        if scale == "province":
            others = [
                province.city_admin_login(i, city)
                for i, city in enumerate(province.CITIES)
                if city.name != seeding.CITY_NAME
            ]
            logins = [province.PROVINCE_ADMIN, *others, *logins]
        rows = [("Role", "Phone", "Password", "Name", "Where")] + [
            (login.role, login.phone, seeding.DEMO_PASSWORD, login.name, login.where)
            for login in logins
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
        login = seeding.NOT_ACTIVATED
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS("Not activated yet")
            + f" (as imported members are): {login.phone} {login.name}, {login.where},"
            f" ID number ending {seeding.not_activated_id_last6()}. Open /m/activate/ on a"
            " phone, ask for a code, read it in the console's SMS outbox"
            " (/console/sms-outbox/, any admin above) and set a password."
        )
        citizen = seeding.CITIZEN
        self.stdout.write(
            self.style.SUCCESS("Citizen")
            + f" (群众, orders volunteer services): {citizen.phone} {citizen.name},"
            f" {citizen.where}. Open /c/ on a phone, ask for a code and read it in the"
            " console's SMS outbox; no password."
        )
