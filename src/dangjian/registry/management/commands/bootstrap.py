import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.errors import DomainError
from dangjian.registry import services
from dangjian.registry.models import Organization, Role, RoleGrant, User


class Command(BaseCommand):
    help = (
        "Create the root organization (the city) and its first admin. Running it again "
        "changes nothing but the admin's password, so it also resets a lost root password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--city", required=True, help="Name of the root organization.")
        parser.add_argument("--phone", required=True, help="The admin's phone (the login).")
        parser.add_argument(
            "--password",
            help="The admin's password; asked for when omitted (keeps it out of shell history).",
        )
        parser.add_argument("--admin-name", default="", help="The admin's display name.")

    def handle(self, *args, city: str, phone: str, password: str | None, admin_name: str, **_):
        city, phone = city.strip(), phone.strip()
        if not city:
            raise CommandError("--city must not be empty")
        if password is None:
            password = self._ask_password()
        root_existed = Organization.objects.get_root_nodes().filter(name=city).exists()
        user_existed = User.objects.filter(phone=phone).exists()
        grant_existed = RoleGrant.objects.filter(
            org__depth=1, org__name=city, user__phone=phone, role=Role.ADMIN
        ).exists()
        try:
            grant = services.bootstrap_city(
                name=city, phone=phone, password=password, admin_name=admin_name.strip()
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc

        def said(existed: bool) -> str:
            return "already existed" if existed else "created"

        self.stdout.write(
            f"Root organization {grant.org.name} (id {grant.org.pk}): {said(root_existed)}"
        )
        self.stdout.write(f"Account {grant.user}: {said(user_existed)}, password set")
        self.stdout.write(f"Admin role on {grant.org.name}: {said(grant_existed)}")
        self.stdout.write(self.style.SUCCESS(f"Log in with phone {phone} and that password."))

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("--password is required when not running interactively")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the passwords do not match")
        return first
