"""The application as a web worker runs it, on a primary and its streaming replica
(DATABASE_URL, DATABASE_REPLICA_URL in the environment), driven by tests/core/test_replica.py
one JSON command a line on stdin, each answered by one JSON line on stdout.

Its own process because Django connects an alias to the database its settings name when it
starts: the test process is connected to the suite's test database, this one to the pair.
Requests go through Django's test client, the whole middleware stack and the API included."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
django.setup()

from django.db import connections, router  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from dangjian.core.replica import reading_from_replica  # noqa: E402
from dangjian.registry import services  # noqa: E402
from dangjian.registry.models import Organization, OrgKind, Sector  # noqa: E402

PASSWORD = "Replica-pass-2026"
PERIOD = "2026-11"


class Probe:
    def __init__(self):
        self.client = Client()
        self.pages = Client()
        self.token = ""
        self.city_id = 0
        self.county: Organization | None = None
        self.admin = None

    def setup(self) -> dict:
        # A city of its own, whatever the copied test database may hold.
        grant = services.bootstrap_city(
            name="副本测试市", phone="13800138440", password=PASSWORD, admin_name="管理员"
        )
        self.admin, city = grant.user, grant.org
        self.city_id = city.pk
        self.county = services.create_organization(
            actor=self.admin,
            parent=city,
            name="副本测试区委",
            kind=OrgKind.COMMITTEE,
            sector=Sector.GOVERNMENT,
        )
        self.token, _ = services.issue_api_token(user=self.admin)
        # Signed in without a request: nothing marks the admin as having written.
        self.pages.force_login(self.admin)
        return {"city": city.pk, "county": self.county.pk}

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def ranking(self) -> dict:
        """The city's branch ranking over the API, as its admin reads it."""
        response = self.client.get(
            f"/api/v1/orgs/{self.city_id}/ranking",
            {"period": PERIOD, "page_size": 500},
            headers=self._headers(),
        )
        names = [row["name"] for row in response.json().get("items", [])]
        return {"status": response.status_code, "names": names}

    def ranking_page(self, name: str) -> dict:
        """The console's ranking page of the city, as its admin reads it (a session)."""
        response = self.pages.get(
            f"/console/dashboards/orgs/{self.city_id}/ranking/", {"period": PERIOD}
        )
        return {"status": response.status_code, "lists": name in response.content.decode()}

    def create_branch(self, name: str, via: str) -> dict:
        """A branch under the county: through the API or the console's form as the admin (a
        request that writes), or by the service outside any request (as a background job
        or another user would)."""
        if via == "page":
            response = self.pages.post(
                f"/console/orgs/{self.county.pk}/new/",
                {"name": name, "kind": "branch", "sector": "rural"},
            )
            return {"status": response.status_code}
        if via == "api":
            response = self.client.post(
                "/api/v1/orgs",
                {
                    "parent_id": self.county.pk,
                    "name": name,
                    "kind": "branch",
                    "sector": "rural",
                },
                content_type="application/json",
                headers=self._headers(),
            )
            return {"status": response.status_code}
        services.create_organization(
            actor=self.admin,
            parent=self.county,
            name=name,
            kind=OrgKind.BRANCH,
            sector=Sector.RURAL,
        )
        return {"status": 201}

    def where(self) -> dict:
        """Which alias a heavy read takes now, and whether the server it reaches is in
        recovery (a standby)."""
        with reading_from_replica():
            alias = router.db_for_read(Organization)
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT pg_is_in_recovery()")
                in_recovery = cursor.fetchone()[0]
        return {"alias": alias, "in_recovery": in_recovery}

    def on_primary(self, name: str) -> dict:
        """Whether a plain read (no replica asked for) finds the organization."""
        return {"found": Organization.objects.filter(name=name).exists()}

    def settings(self, **values) -> dict:
        override_settings(**values).enable()
        return {}


def main() -> None:
    probe = Probe()
    for line in sys.stdin:
        command = json.loads(line)
        action = getattr(probe, command.pop("do"))
        try:
            answer = action(**command)
        except Exception as exc:  # noqa: BLE001 - the test reads what went wrong
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
