"""A member file's accepted rows wait on disk between the check and the write
(imports.members.Spill), so that a province's file fits in memory: what comes back out is
what went in, across check batches, and the disk never sees an ID number in clear."""

import tempfile
from pathlib import Path

import pytest

from dangjian.core.errors import DomainError
from dangjian.registry import crypto, idcard
from dangjian.registry.imports import members
from dangjian.registry.models import Member, Transfer
from tests.registry.test_imports import person, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept_spills(monkeypatch, tmp_path):
    """The import's temporary files made named and kept, so the test can read them."""
    names = []

    def named(*args, **kwargs):
        f = tempfile.NamedTemporaryFile(dir=tmp_path, delete=False)  # noqa: SIM115
        names.append(f.name)
        return f

    monkeypatch.setattr(members.tempfile, "TemporaryFile", named)
    return names


def test_rows_checked_in_several_batches_are_all_written_as_they_were_read(world, monkeypatch):
    monkeypatch.setattr(members, "CHECK_BATCH", 2)
    first = [person(), person(branch="B-A2"), person()]
    run(world, first)
    again = [
        {**first[0], "branch": "B-A2", "name": "改名党员"},
        first[1],
        first[2],
        person(is_flowing="是", flowing_location="广东省深圳市"),
        person(branch="B-A2"),
    ]
    result = run(world, again)
    assert (result.created, result.updated) == (2, 3)
    for row in again:
        member = Member.objects.by_id_number(row["id_number"]).select_related("user").get()
        assert crypto.decrypt(member.id_number_encrypted) == row["id_number"]
        assert member.id_number_masked == idcard.mask(row["id_number"])
        assert (member.name, member.user.phone) == (row["name"], row["phone"])
        assert member.branch.code == row["branch"]
        assert member.is_flowing == (row["is_flowing"] == "是")
    moved = Transfer.objects.get()
    assert moved.member.name == "改名党员" and moved.to_branch == world.a.other_branch


def test_the_rows_set_aside_on_disk_hold_no_id_number_in_clear(world, kept_spills):
    first = [person(), person()]
    run(world, first)
    rows = [{**first[0], "name": "改名党员"}, person(), person()]
    assert (run(world, rows).created, len(kept_spills)) == (2, 4)
    written = b"".join(Path(name).read_bytes() for name in kept_spills)
    assert "改名党员".encode() in written, "the changed row went through the disk"
    for row in rows:
        assert row["id_number"].encode() not in written
        assert row["phone"].encode() in written


def test_a_refused_file_sets_nothing_aside_once_it_has_an_error(world, monkeypatch, kept_spills):
    monkeypatch.setattr(members, "CHECK_BATCH", 1)
    rows = [person(), person(phone="12"), person(), person()]
    with pytest.raises(DomainError) as refused:
        run(world, rows)
    assert refused.value.code == "import_invalid"
    written = b"".join(Path(name).read_bytes() for name in kept_spills)
    assert rows[0]["phone"].encode() in written
    assert all(row["phone"].encode() not in written for row in rows[2:])
    assert not Member.objects.filter(user__phone__in=[row["phone"] for row in rows]).exists()
