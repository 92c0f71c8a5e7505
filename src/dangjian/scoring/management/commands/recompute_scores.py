from django.core.management.base import BaseCommand, CommandError

from dangjian.core.errors import DomainError
from dangjian.registry.models import Organization
from dangjian.scoring import selectors, services


class Command(BaseCommand):
    help = (
        "Recompute every score of an organization's subtree for a period (2026-12, 2026-Q4 "
        "or 2026) from the attendance and interaction tables: activity scores, every "
        "branch's month rows and the quarters and years they belong to. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("period", help="2026-12 (month), 2026-Q4 (quarter) or 2026 (year)")
        parser.add_argument(
            "--org",
            help="Organization id or code (default: every root organization)",
        )

    def handle(self, *args, period: str, org: str | None, **_):
        try:
            parsed = selectors.parse_period(period)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if org:
            scope = Organization.objects.filter(code=org).first()
            if scope is None and org.isdigit():
                scope = Organization.objects.filter(pk=int(org)).first()
            if scope is None:
                raise CommandError(f"no organization with id or code {org!r}")
            scopes = [scope]
        else:
            scopes = list(Organization.get_root_nodes())
        for scope in scopes:
            self.stdout.write(f"Recomputing {scope.name} for {parsed.label}")
            result = services.recompute(
                org=scope, period=parsed, progress=lambda m: self.stdout.write(f"  {m}")
            )
            self.stdout.write(
                f"Done: {result['activities']} activities scored, {result['dropped']} "
                f"scores dropped, {result['branches']} branches."
            )
