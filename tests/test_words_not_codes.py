"""Words for people, not codes: the demo city seeded once, then each demo role (the city
admin, a county admin, a branch secretary, a member) walks every console and phone page it
reaches by following links from its home, and no visible text holds a raw code — a choice's
stored value (`too_early`, `submitted`), a transition written `draft→submitted`, or any
`snake_case` identifier."""

import io
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings

from dangjian.demodata import seeding
from dangjian.registry.models import User

pytestmark = pytest.mark.django_db

# Each role and a page its crawl must reach (that the walk went deep, not only that it ran).
ROLES = {
    "city admin": "/console/supervision/spot-checks/",
    "county admin": "/console/audit/",
    "branch secretary": "/m/records/",
    "member": "/m/profile/",
}
PAGE_CAP = 400  # pages fetched for each role at most (the demo's walk ends near 210)
SAME_SHAPE_CAP = 2  # pages of one shape (digits and query values aside) per role
SKIP = re.compile(
    r"^/(api/|i18n/|static/|media/|logout|console/logout|m/logout)"
    r"|\.(pdf|png|jpe?g|xlsx|csv|zip|docx?)$"
    r"|/(download|export|file|files|poster|photo|photos|thumb|full|qr)(/|\.|$)"
)
WORD = re.compile(r"(?<![\w.])[A-Za-z][A-Za-z0-9_]*")
ARROW = re.compile(r"[A-Za-z_]+\s*→\s*[A-Za-z_]+")
IDENTIFIER = re.compile(r"(?<![\w./:@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-])")
HIDDEN = {"script", "style", "template", "noscript", "textarea"}


def raw_choice_values() -> set[str]:
    """The stored values of every choices field of the project's models that are ASCII
    identifiers: what a page shows when it forgets the label."""
    values = set()
    for model in apps.get_models():
        if not model.__module__.startswith("dangjian."):
            continue
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z0-9_]+", value):
                    values.add(value)
    return values


class Page(HTMLParser):
    """A page's visible text nodes and the links it offers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        found = dict(attrs)
        if tag == "a" and found.get("href") and "download" not in found:
            self.links.append(found["href"])
        for name in ("title", "placeholder", "aria-label"):
            if found.get(name):
                self.texts.append(found[name])

    def handle_endtag(self, tag):
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.texts.append(data.strip())


def raw_codes(text: str, codes: set[str]) -> list[str]:
    found = [w for w in WORD.findall(text) if w in codes]
    found += ARROW.findall(text)
    found += IDENTIFIER.findall(text)
    return found


def shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted(q.split("=")[0] for q in parts.query.split("&") if q)
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo city, seeded once for this module inside a transaction rolled back at its
    end; each test runs in a savepoint within it."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed", "--scale", "demo", stdout=io.StringIO())
            yield {login.role: login.phone for login in seeding.DEMO_LOGINS}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            cache.clear()


def crawl(client: Client, starts: list[str], budget: int, codes: set[str]):
    """GET every same-origin page reachable from `starts` (breadth first, at most `budget`
    pages); answers the pages fetched and, per raw code seen, where."""
    queue = list(starts)
    seen, shapes = set(queue), Counter()
    found: dict[str, str] = {}
    fetched = []
    while queue and len(fetched) < budget:
        url = queue.pop(0)
        response = client.get(url, follow=True)
        fetched.append(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = Page()
        page.feed(response.content.decode())
        for text in page.texts:
            for code in raw_codes(text, codes):
                found.setdefault(f"{code!r} in {text[:80]!r}", url)
        here = response.request["PATH_INFO"]
        for href in page.links:
            target, _ = urldefrag(urljoin(here, href))
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path.startswith(("/console/", "/m/")):
                continue
            if SKIP.search(parts.path) or target in seen:
                continue
            seen.add(target)
            if shapes[shape(target)] >= SAME_SHAPE_CAP:
                continue
            shapes[shape(target)] += 1
            queue.append(target)
    return fetched, found


def test_the_raw_codes_are_the_projects_choice_values():
    codes = raw_choice_values()
    assert {"submitted", "send_back"} <= codes
    assert raw_codes("计划 draft→submitted", codes) == ["draft", "submitted", "draft→submitted"]
    assert raw_codes("原因：too_early", codes) == ["too_early"]
    assert raw_codes("距离 850 米，已签到", codes) == []
    assert raw_codes("目录.xlsx a.b_c/x_y 13900000001 PDF", codes) == []


@pytest.mark.parametrize("role", ROLES)
def test_no_page_a_demo_role_reaches_shows_a_raw_code(demo, role):
    codes = raw_choice_values()
    client = Client()
    client.force_login(User.objects.get(phone=demo[role]))
    starts = ["/", "/console/", "/m/"] if role != "member" else ["/", "/m/"]
    fetched, found = crawl(client, starts, PAGE_CAP, codes)
    assert any(url.startswith(ROLES[role]) for url in fetched), fetched
    assert not found, "\n".join(f"{url}: {where}" for where, url in sorted(found.items()))
