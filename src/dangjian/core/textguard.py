"""Refuses, before any view reads it, a request whose text holds a character that no field
may hold (core.text: the C0 controls but tab and line breaks, NUL among them), and in a
JSON body a lone UTF-16 surrogate (`"\\ud800"`), which no database can store either.

One check at the edge instead of one in every field: the path, the query string, the form
fields of an urlencoded or multipart body, the keys and strings of a JSON body. The API
answers 422 `{"code": "invalid_text", "message"}`, a page 400 with the same Chinese
message. The bytes are searched first; a JSON body is decoded only when it holds an escape
that could stand for such a character, so the check-in's bodies cost a search."""

import json
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from dangjian.core.text import FORBIDDEN_CONTROLS, has_forbidden_controls

# A forbidden control percent-encoded (a query string, an urlencoded body).
_PERCENT = r"%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])"
_PERCENT_RE = re.compile(_PERCENT)
_PERCENT_BYTES_RE = re.compile(_PERCENT.encode())
_RAW_BYTES_RE = re.compile(f"[{FORBIDDEN_CONTROLS}]".encode())
# A JSON escape that may stand for a forbidden control or a surrogate: decode to be sure
# ("\u0009", a tab, is allowed; "\ud83d\ude00" is one emoji).
_JSON_ESCAPE_RE = re.compile(rb"\\u(?:00[01]|[dD][89a-fA-F])")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_FORM = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def invalid_text_message() -> str:
    return _("提交的内容含有不允许的控制字符（如 NUL），请删除后重试。")


class TextGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.api_prefix = settings.API_PATH_PREFIX

    def __call__(self, request):
        if request_holds_forbidden_text(request):
            message = invalid_text_message()
            if request.path_info.startswith(self.api_prefix):
                return JsonResponse({"code": "invalid_text", "message": message}, status=422)
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)


def request_holds_forbidden_text(request) -> bool:
    if has_forbidden_controls(request.path_info):
        return True
    query = request.META.get("QUERY_STRING", "")
    if query and (_PERCENT_RE.search(query) or has_forbidden_controls(query)):
        return True
    if request.method not in _BODY_METHODS:
        return False
    if request.content_type == "multipart/form-data":
        # Parsed as the CSRF check and the views would parse it (only a POST's).
        return request.method == "POST" and _form_holds_forbidden_text(request)
    try:
        body = request.body
    except RequestDataTooBig:
        return False  # the view meets the same refusal when it reads the body
    if not body:
        return False
    if _RAW_BYTES_RE.search(body):
        return True
    if request.content_type in _FORM:
        return _PERCENT_BYTES_RE.search(body) is not None
    return _JSON_ESCAPE_RE.search(body) is not None and _json_holds_forbidden_text(body)


def _form_holds_forbidden_text(request) -> bool:
    for key, values in request.POST.lists():
        if has_forbidden_controls(key) or any(has_forbidden_controls(v) for v in values):
            return True
    # Django drops what is not printable from the names of uploaded files itself.
    return any(has_forbidden_controls(key) for key in request.FILES)


def _json_holds_forbidden_text(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON: the view refuses it as such
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if has_forbidden_controls(value) or _SURROGATE_RE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False
