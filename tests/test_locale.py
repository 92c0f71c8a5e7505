"""The platform speaks Simplified Chinese; English is opt-in through the language cookie.

DefaultLanguageMiddleware (dangjian.core.middleware) ignores the browser's Accept-Language:
only a supported language in the cookie named settings.LANGUAGE_COOKIE_NAME (what Django's
set_language view sets) switches the page to English. The English catalogue must translate
every msgid, and the compiled .mo that is served must agree with the .po.
"""

import ast
from pathlib import Path

from django.utils.translation import trans_real

import dangjian

PO_PATH = Path(dangjian.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")


def _html(response) -> str:
    return response.content.decode(response.charset or "utf-8")


def test_login_page_is_chinese_by_default_even_for_an_english_browser(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response.status_code == 200
    html = _html(response)
    assert "登录" in html
    assert "智慧党建云平台" in html
    assert '<html lang="zh-hans">' in html
    assert "Log in" not in html
    assert response.headers["Content-Language"] == "zh-hans"


def test_login_page_is_english_with_the_language_cookie(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/login/")

    assert response.status_code == 200
    html = _html(response)
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Smart Party-Building Cloud Platform" in html
    assert "Phone number" in html
    assert "Password" in html
    assert "登录" not in html
    assert "智慧党建云平台" not in html
    assert response.headers["Content-Language"] == "en"


def test_an_unsupported_language_cookie_falls_back_to_chinese(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    response = client.get("/login/")

    assert "登录" in _html(response)
    assert response.headers["Content-Language"] == settings.LANGUAGE_CODE


def _po_entries(path: Path) -> list[dict]:
    """A small .po reader: msgctxt/msgid/msgid_plural/msgstr[n] with continuation lines,
    the flags of each entry; obsolete (#~) entries are skipped."""
    entries: list[dict] = []
    entry: dict = {}
    key = None

    def finish():
        nonlocal entry, key
        if "msgid" in entry:
            entries.append(entry)
        entry, key = {}, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if "msgid" in entry:
                finish()
            flags = {flag.strip() for flag in line[2:].split(",")}
            entry.setdefault("flags", set()).update(flags)
        elif line.startswith("#"):
            if "msgid" in entry:
                finish()
        elif line.startswith('"'):
            assert key is not None, f"continuation line without a keyword: {raw!r}"
            entry[key] += ast.literal_eval(line)
        else:
            keyword, _, value = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and "msgid" in entry:
                finish()
            key = keyword
            entry[key] = ast.literal_eval(value)
    finish()
    return entries


def _translatable(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e["msgid"]]  # the header has the empty msgid


def test_the_po_reader_reads_the_catalogue():
    entries = _po_entries(PO_PATH)
    header = next(e for e in entries if e["msgid"] == "")
    assert "Language: en\n" in header["msgstr"]
    assert len(_translatable(entries)) > 400
    assert any(e["msgid"] == "登录" and e["msgstr"] == "Log in" for e in entries)


def test_every_english_entry_is_translated_and_none_is_fuzzy():
    entries = _po_entries(PO_PATH)
    assert all("fuzzy" not in e.get("flags", ()) for e in entries)

    untranslated = []
    for e in _translatable(entries):
        strings = [v for k, v in e.items() if k.startswith("msgstr")]
        if not strings or not all(s.strip() for s in strings):
            untranslated.append(e["msgid"])
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_po():
    assert MO_PATH.exists(), "run `make messages` (compilemessages -l en)"
    english_catalogue = trans_real.translation("en")  # what Django serves for "en"
    stale = []
    for e in _translatable(_po_entries(PO_PATH)):
        if "msgid_plural" in e:
            got = english_catalogue.ngettext(e["msgid"], e["msgid_plural"], 1)
            want = e["msgstr[0]"]
        elif "msgctxt" in e:
            got = english_catalogue.pgettext(e["msgctxt"], e["msgid"])
            want = e["msgstr"]
        else:
            got = english_catalogue.gettext(e["msgid"])
            want = e["msgstr"]
        if got != want:
            stale.append(e["msgid"])
    assert stale == []


def test_every_page_offers_the_language_switch_which_sets_the_cookie(client, settings):
    html = _html(client.get("/login/"))
    assert 'action="/i18n/setlang/"' in html
    assert '<button type="submit" name="language" value="en" lang="en">English</button>' in html
    assert 'aria-current="true">简体中文</span>' in html

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})

    assert response.status_code == 302 and response.url == "/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = _html(client.get("/login/"))
    assert "Log in" in html
    assert (
        '<button type="submit" name="language" value="zh-hans" lang="zh-hans">简体中文</button>'
        in html
    )
