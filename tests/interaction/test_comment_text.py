"""A comment is multi-line text: a NUL (500 on PostgreSQL before) or another control
character is refused at the edge (core.textguard, 422 `invalid_text`), while tabs and line
breaks are kept as written."""

import pytest

from dangjian.interaction.models import Comment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["收获很大\x00", "收获很大\x1b[31m"])
def test_a_comment_with_a_control_character_is_refused(world, api, activity, during, text):
    response = api(world.a.member.user).post(f"/activities/{activity.pk}/comments", {"body": text})

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_text"
    assert not Comment.objects.exists()


def test_a_comment_keeps_its_tabs_and_line_breaks(world, api, activity, during):
    response = api(world.a.member.user).post(
        f"/activities/{activity.pk}/comments", {"body": "第一行\n第二行\t完"}
    )

    assert response.status_code == 201, response.content
    assert Comment.objects.get().body == "第一行\n第二行\t完"
