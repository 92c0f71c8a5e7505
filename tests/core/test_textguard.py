"""core.textguard over HTTP: a request holding NUL or another control character that no
field may hold answers 422 `invalid_text` under /api/ and a 400 page elsewhere, before
anything reads or writes it. On PostgreSQL each of these answered 500 (NUL in a text or
JSON column); with the other controls they stored text that broke the exports."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from dangjian.registry.models import Member, Organization

pytestmark = pytest.mark.django_db


def assert_invalid_text(response):
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_text"
    assert "控制字符" in response.json()["message"]


def test_a_nul_in_the_token_request_answers_422_without_authenticating(world, api):
    response = api(None).post("/auth/token", {"phone": "13900000001\x00", "password": "x"})

    assert_invalid_text(response)


def test_a_nul_in_a_search_answers_422(world, api):
    client = api(world.a.admin)

    assert_invalid_text(client.get("/orgs", {"q": "汉台\x00"}))
    assert_invalid_text(client.get(f"/orgs/{world.a.org.pk}/members", {"q": "\x00"}))
    assert client.get("/orgs", {"q": "汉台"}).status_code == 200


def test_names_with_control_characters_are_refused_and_nothing_is_written(world, api):
    client = api(world.a.admin)
    member = world.a.member

    assert_invalid_text(client.patch(f"/members/{member.pk}", {"name": "张\x00三"}))
    assert_invalid_text(client.patch(f"/members/{member.pk}", {"flowing_location": "深圳\x0b"}))
    assert_invalid_text(client.patch(f"/orgs/{world.a.branch.pk}", {"category": "\x1b五星"}))

    member.refresh_from_db()
    assert member.name == "汉台区党员"
    assert Organization.objects.get(pk=world.a.branch.pk).category == world.a.branch.category


def test_a_one_line_field_takes_a_tab_as_a_space(world, api):
    response = api(world.a.admin).patch(
        f"/members/{world.a.flowing.pk}", {"flowing_location": "广东省\t深圳市"}
    )

    assert response.status_code == 200, response.content
    assert Member.objects.get(pk=world.a.flowing.pk).flowing_location == "广东省 深圳市"


def test_a_form_field_of_an_upload_is_checked_too(world, api):
    upload = SimpleUploadedFile("members.csv", "姓名\n".encode())

    response = api(world.a.admin).post(
        "/imports/members",
        {"file": upload, "org_id": f"{world.a.org.pk}\x00"},
        content_type=MULTIPART_CONTENT,
    )

    assert_invalid_text(response)


def test_a_page_with_a_control_character_answers_a_400_page_in_chinese(world, page):
    client = page(world.a.admin)

    search = client.get("/console/orgs/search/", {"q": "汉台\x00"})
    edit = client.post(
        f"/console/orgs/{world.a.branch.pk}/edit/", {"name": "支部\x1b", "category": "五星"}
    )

    for response in (search, edit):
        assert response.status_code == 400
        assert "控制字符" in response.content.decode()
    assert Organization.objects.get(pk=world.a.branch.pk).name == world.a.branch.name
