"""The branch secretary asks for and downloads the branch's ledger on the phone; a member,
the outsider and the other county get nothing."""

import io
import zipfile
from datetime import datetime

import pytest
import time_machine

from dangjian.themedays.models import Ledger
from tests.interaction.conftest import use_tmp_media

LATER = datetime.fromisoformat("2026-12-11T10:00:00+08:00")


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    use_tmp_media(settings, tmp_path)
    with time_machine.travel(LATER, tick=False):
        yield


def test_the_secretary_downloads_the_years_ledger_on_the_phone(
    world, page, django_capture_on_commit_callbacks
):
    client = page(world.a.branch_admin)
    assert f"/m/branches/{world.a.branch.pk}/ledgers/" in client.get("/m/plans/").content.decode()
    url = f"/m/branches/{world.a.branch.pk}/ledgers/"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"year": 2026}).status_code == 302
    ledger = Ledger.objects.get()
    body = client.get(url).content.decode()
    assert f"/m/ledgers/{ledger.pk}/download/" in body
    r = client.get(f"/m/ledgers/{ledger.pk}/download/")
    assert r.status_code == 200
    assert "目录.xlsx" in zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content))).namelist()


@pytest.mark.parametrize(
    ("who", "status"), [("member", 403), ("outsider", 404), ("other_county", 404)]
)
def test_others_get_no_ledger_on_the_phone(world, page, who, status):
    users = {
        "member": world.a.member.user,
        "outsider": world.outsider,
        "other_county": world.b.branch_admin,
    }
    ledger = Ledger.objects.create(branch=world.a.branch, year=2026, requested_at=LATER)
    client = page(users[who])
    url = f"/m/branches/{world.a.branch.pk}/ledgers/"
    assert client.get(url).status_code == status
    assert client.post(url, {"year": 2026}).status_code == status
    assert client.get(f"/m/ledgers/{ledger.pk}/download/").status_code == 404
    assert Ledger.objects.count() == 1
