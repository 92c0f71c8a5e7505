"""core.text (which characters text may hold, the free text a service takes) and
core.textguard's judgement of a request, as tables of cases without a database."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from dangjian.core.errors import DomainError
from dangjian.core.text import checked_text, has_forbidden_controls, single_line, whole_number
from dangjian.core.textguard import request_holds_forbidden_text
from dangjian.registry.validation import clean_text


@pytest.mark.parametrize(
    ("text", "forbidden", "one_line"),
    [
        ("张三", False, "张三"),
        ("  张三 ", False, "张三"),
        ("张\t三", False, "张 三"),
        ("陕西省\r\n汉中市", False, "陕西省  汉中市"),
        ("a\x00b", True, "ab"),
        ("广东省\x0b深圳市", True, "广东省深圳市"),
        ("\x1b五星", True, "五星"),
        ("\x01\x08\x0c\x0e\x1f", True, ""),
        ("\x7f", False, "\x7f"),  # DEL is not a C0 control: PostgreSQL and openpyxl take it
    ],
)
def test_control_characters_are_forbidden_but_tab_and_line_breaks_and_one_line_drops_them(
    text, forbidden, one_line
):
    assert has_forbidden_controls(text) is forbidden
    assert single_line(text) == one_line


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [(None, ""), (" 张三 ", "张三"), (1.0, "1"), ("五\x1b星", "五星"), ("a\x00\tb", "a b")],
)
def test_the_registry_field_rule_drops_control_characters(value, cleaned):
    assert clean_text(value) == cleaned


rf = RequestFactory()
FORM = "application/x-www-form-urlencoded"


def _json(data) -> dict:
    return {"data": json.dumps(data), "content_type": "application/json"}


@pytest.mark.parametrize(
    ("make_request", "forbidden"),
    [
        (lambda: rf.get("/api/v1/orgs", {"q": "汉台"}), False),
        (lambda: rf.get("/api/v1/orgs", {"q": "a\x00"}), True),
        (lambda: rf.get("/api/v1/orgs?q=%1B"), True),
        (lambda: rf.get("/api/v1/orgs?q=%0A%09%0D"), False),
        (lambda: rf.get("/api/v1/orgs/1%00"), True),
        (lambda: rf.post("/api/v1/auth/token", **_json({"phone": "1\x00", "password": "x"})), True),
        (lambda: rf.post("/api/v1/auth/token", **_json({"phone\x00": "1", "password": "x"})), True),
        (lambda: rf.post("/api/v1/members", **_json({"name": "张\x1b三"})), True),
        (lambda: rf.post("/api/v1/x", **_json({"list": [{"deep": ["\x0b"]}]})), True),
        (lambda: rf.post("/api/v1/x", **_json({"surrogate": "\ud800"})), True),
        (lambda: rf.post("/api/v1/x", **_json({"emoji": "好😀", "lines": "一\n二\t三"})), False),
        (
            lambda: rf.post("/api/v1/x", **_json({"backslash": "\\u0000"})),
            False,
        ),  # the 6 characters
        (
            lambda: rf.post("/api/v1/x", data=b'{"raw": "\x00"}', content_type="application/json"),
            True,
        ),
        (
            lambda: rf.post(
                "/api/v1/x", data=b'{"broken": "\\u0000', content_type="application/json"
            ),
            False,
        ),
        (lambda: rf.patch("/api/v1/x", **_json({"client_time": "2026\x00"})), True),
        (lambda: rf.post("/login/", "phone=138&next=%2Fm%2F", content_type=FORM), False),
        (lambda: rf.post("/login/", "phone=138%00&password=x", content_type=FORM), True),
        (lambda: rf.post("/login/", "phone=138&next%1B=x", content_type=FORM), True),
        (lambda: rf.post("/login/", "text=%E4%B8%80%0D%0A%09", content_type=FORM), False),
        (lambda: rf.post("/m/x", {"phone": "138\x00", "password": "x"}), True),
        (lambda: rf.post("/m/x", {"phone": "138", "next\x1b": "x"}), True),
        (lambda: rf.post("/m/x", {"text": "第一行\r\n第二行\t"}), False),
        (
            lambda: rf.post(
                "/m/x", {"text": "ok", "file": SimpleUploadedFile("a.jpg", b"\x00\x1b")}
            ),
            False,
        ),
        (
            lambda: rf.post("/m/x", {"text": "\x1b", "file": SimpleUploadedFile("a.jpg", b"\xff")}),
            True,
        ),
        (lambda: rf.post("/m/x", {"fi\x1ble": SimpleUploadedFile("a.jpg", b"\xff")}), True),
    ],
)
def test_the_guard_finds_forbidden_text_in_the_path_query_form_and_json(make_request, forbidden):
    assert request_holds_forbidden_text(make_request()) is forbidden


def test_checked_text_is_stripped_and_empty_text_is_refused_only_where_required():
    assert checked_text("  开会 ", field="reason", missing="须说明原因") == "开会"
    assert checked_text(None, field="remark") == ""
    with pytest.raises(DomainError) as refused:
        checked_text("   ", field="reason", missing="须说明原因", missing_code="reason_required")
    assert refused.value.as_dict() == {
        "code": "reason_required",
        "message": "须说明原因",
        "field": "reason",
    }


def test_checked_text_over_its_limit_is_refused_with_its_own_message_or_one_naming_the_limit():
    assert checked_text("一二三", field="text", limit=3) == "一二三"
    with pytest.raises(DomainError) as own:
        checked_text("一二三四", field="text", limit=3, too_long="太长了")
    assert (own.value.code, own.value.message, own.value.details) == (
        "validation_error",
        "太长了",
        {"field": "text"},
    )
    with pytest.raises(DomainError) as default:
        checked_text("一二三四", field="text", limit=3)
    assert "3" in default.value.message


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("0", 0),
        ("", None),
        (None, None),
        ("-1", None),
        ("4.5", None),
        ("²", None),  # isdigit() is true of it, int() refuses it
        ("①", None),
        ("٣", None),  # an Arabic-Indic three: int() would take it, no form sends it
        ("1" * 19, None),
    ],
)
def test_a_whole_number_is_ascii_digits_only(raw, number):
    assert whole_number(raw) == number


def test_a_whole_number_keeps_within_its_digits():
    assert whole_number("2026", digits=4) == 2026
    assert whole_number("20260", digits=4) is None
