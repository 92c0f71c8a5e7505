"""The page helpers that console and phone views share (core.pages): how a photo upload
is reported, and which year a page's `?year=` shows."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from dangjian.core import pages
from dangjian.core.errors import DomainError

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Outcome:
    added: int = 0
    refused: list = field(default_factory=list)

    def summary(self) -> str:
        return f"added {self.added}"


def posted(files=()):
    request = RequestFactory().post("/", {"photos": list(files)})
    request.user = AnonymousUser()
    request._messages = CookieStorage(request)
    return request


def said(request) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(request)]


def photo(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\xff\xd8\xff", content_type="image/jpeg")


def test_an_upload_without_photos_asks_for_them_and_calls_no_service():
    request = posted()

    def service(**kwargs):
        raise AssertionError("not to be called")

    pages.attempt_photos(request, service, activity="a")

    assert said(request) == [(constants.ERROR, "请选择要上传的照片。")]


def test_an_upload_reports_each_refused_file_then_what_was_added():
    request = posted([photo("a.jpg"), photo("b.jpg"), photo("c.jpg")])
    calls = []

    def service(**kwargs):
        calls.append(kwargs)
        return Outcome(added=2, refused=[("b.jpg", "too big")])

    pages.attempt_photos(request, service, activity="the activity")

    (call,) = calls
    assert call["actor"] is request.user and call["activity"] == "the activity"
    assert [f.name for f in call["files"]] == ["a.jpg", "b.jpg", "c.jpg"]
    assert said(request) == [(constants.ERROR, "b.jpg：too big"), (constants.SUCCESS, "added 2")]


def test_an_upload_that_added_nothing_says_only_why():
    request = posted([photo("a.jpg")])

    pages.attempt_photos(request, lambda **kw: Outcome(refused=[("a.jpg", "no")]))

    assert said(request) == [(constants.ERROR, "a.jpg：no")]


def test_an_upload_out_of_scope_is_refused_whole():
    request = posted([photo("a.jpg")])

    def service(**kwargs):
        raise DomainError("not_found", "missing")

    with pytest.raises(DomainError):
        pages.attempt_photos(request, service)
    assert said(request) == []


@pytest.mark.parametrize(
    ("asked", "shown"),
    [
        ("2024", 2024),
        ("2000", 2000),
        ("2027", 2027),
        ("1999", 2026),
        ("2028", 2026),
        ("", 2026),
        ("-1", 2026),
        ("20x4", 2026),
        ("²⁰²⁴", 2026),
    ],
)
def test_the_year_asked_for_or_this_one(asked, shown):
    request = RequestFactory().get("/", {"year": asked})

    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=SHANGHAI), tick=False):
        assert pages.asked_year(request) == shown


def test_the_year_is_this_years_in_shanghai():
    # 2026-12-31 16:30 UTC is already 2027 in Shanghai.
    with time_machine.travel(datetime(2026, 12, 31, 16, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        assert pages.asked_year(RequestFactory().get("/")) == 2027
