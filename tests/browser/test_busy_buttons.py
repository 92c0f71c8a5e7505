"""Buttons while a request runs (core/static/dj/busy.js), in a real browser: a slow POST
keeps the form's submit buttons disabled, the one pressed with a spinner, so that tapping
again sends nothing more, and the pressed button's value still reaches the server; the back
button brings the form back usable; an htmx form's button likewise until its answer is
swapped in. The slow page exists only in the tests' URLs
(tests/browser/rough_edges_urls.py).

While the form's navigation is pending Playwright cannot query the page, so the page itself
records its buttons' states (a MutationObserver writing to sessionStorage, which outlives the
navigation), and the second tap is a raw mouse click at the button's place."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.rough_edges_urls import SLOW_SECONDS
from tests.conftest import COMMITTED

pytestmark = [pytest.mark.browser, COMMITTED, pytest.mark.urls("tests.browser.rough_edges_urls")]

RECORD_STATES = """() => {
  const save = document.querySelector('button[value="save"]');
  const send = document.querySelector('button[value="submit"]');
  const states = [];
  new MutationObserver(() => {
    states.push({
      save: save.disabled,
      busy: save.getAttribute("aria-busy"),
      spinner: getComputedStyle(save, "::before").animationName,
      send: send.disabled,
      sendBusy: send.getAttribute("aria-busy"),
    });
    sessionStorage.setItem("states", JSON.stringify(states));
  }).observe(document.body, { attributes: true, subtree: true });
}"""


def test_a_slow_post_keeps_the_buttons_disabled_with_a_spinner_until_it_answers(desktop):
    desktop.goto(desktop.base + "/test-only/slow/", timeout=30_000)
    desktop.evaluate(RECORD_STATES)
    posts = []
    desktop.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    save = desktop.get_by_role("button", name="保存")
    box = save.bounding_box()

    save.click()
    # Tapping again while the request runs (the server takes SLOW_SECONDS).
    for _ in range(3):
        desktop.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        desktop.wait_for_timeout(SLOW_SECONDS * 1000 / 5)

    # The pressed button's value reached the server, once.
    expect(desktop.get_by_test_id("saved")).to_have_text("已保存：save", timeout=15_000)
    assert len(posts) == 1
    states = json.loads(desktop.evaluate("sessionStorage.getItem('states')"))
    assert states, "the buttons changed while the request ran"
    assert states[-1] == {
        "save": True,
        "busy": "true",
        "spinner": "dj-spin",
        "send": True,
        "sendBusy": None,
    }
    assert all(state["save"] and state["send"] for state in states), "never enabled meanwhile"
    expect(desktop.get_by_role("button", name="保存")).to_be_enabled()

    desktop.go_back()
    expect(desktop.get_by_role("button", name="保存")).to_be_enabled()
    expect(desktop.get_by_role("button", name="保存")).not_to_have_attribute("aria-busy", "true")


def test_an_htmx_form_keeps_its_button_disabled_until_the_answer_is_swapped_in(desktop):
    desktop.goto(desktop.base + "/test-only/slow/", timeout=30_000)
    like = desktop.get_by_role("button", name="点赞")

    like.click()

    expect(like).to_be_disabled()
    expect(like).to_have_attribute("aria-busy", "true")
    desktop.wait_for_timeout(SLOW_SECONDS * 1000 / 2)
    expect(like).to_be_disabled()
    expect(desktop.get_by_test_id("htmx-saved")).to_have_text("已保存：like", timeout=15_000)
    expect(like).to_be_enabled()
    expect(like).not_to_have_attribute("aria-busy", "true")
