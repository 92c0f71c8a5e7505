"""The site's URLs and error handlers (dangjian.urls) with two test-only pages, for the
real-browser tests of the error pages and of busy buttons (`@pytest.mark.urls`): one that
raises, one whose POST is slow. Production code has neither."""

import time

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from dangjian.urls import handler400, handler403, handler404, handler500
from dangjian.urls import urlpatterns as site

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

SLOW_SECONDS = 2.5

SLOW_PAGE = """{% extends "base.html" %}{% block body %}<main class="narrow card">
<h1>慢请求</h1>{% if saved %}<p data-testid="saved">已保存：{{ saved }}</p>{% endif %}
<form method="post">{% csrf_token %}<input name="note" value="会议记录">
<button type="submit" name="action" value="save" class="primary">保存</button>
<button type="submit" name="action" value="submit">提交</button></form>
<form hx-post="{{ request.path }}" hx-target="#answer" data-testid="htmx-form">
<button type="submit" name="action" value="like">点赞</button></form><div id="answer"></div>
</main>{% endblock %}"""


def boom(request):
    raise RuntimeError("a test-only failure")


def slow(request):
    saved = ""
    if request.method == "POST":
        time.sleep(SLOW_SECONDS)
        saved = request.POST.get("action", "")
        if request.htmx:
            return HttpResponse(f'<p data-testid="htmx-saved">已保存：{saved}</p>')
    template = engines["django"].from_string(SLOW_PAGE)
    return HttpResponse(template.render({"saved": saved}, request))


urlpatterns = [path("test-only/boom/", boom), path("test-only/slow/", slow), *site]
