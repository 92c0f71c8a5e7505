"""The member's 学习 pages (docs/product.md, "Learning"): the articles that reach their
branch, per column and by search, newest first; the article page, whose opening starts the
reading on the server's clock and whose 读完 button (or reaching the end of a short article)
finishes it. The server decides whether it counts; the page's countdown only shows it."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dangjian import permissions
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import attachment_response
from dangjian.core.pages import domain_errors
from dangjian.learning import packages, selectors, services
from dangjian.mobile.decorators import member_view

PAGE_SIZE = 15


@require_GET
@member_view
@domain_errors
def article_list(request, member):
    columns = list(selectors.columns())
    column = next((c for c in columns if str(c.pk) == request.GET.get("column")), None)
    q = request.GET.get("q", "").strip()[: selectors.SEARCH_MAX_CHARS]
    page = Paginator(selectors.articles_for_member(member, column=column, q=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    articles = list(page.object_list)
    read = selectors.counted_article_ids(member, [a.pk for a in articles])
    for article in articles:
        article.is_read = article.pk in read
    study = selectors.study_month(member, clock.today())
    return render(
        request,
        "mobile/learning/list.html",
        {
            "member": member,
            "columns": columns,
            "column": column,
            "q": q,
            "page": page,
            "articles": articles,
            "study": study,
            "packages": packages.member_progress(member),
        },
    )


def _reached(request, member, article_id):
    """An article that reaches the member's branch; 404 for anything else (a draft, another
    county's, a missing one), as the API answers."""
    article = permissions.access_article(request.user, article_id)
    if not permissions.article_reaches(article, member):
        raise permissions.not_found()
    return article


@require_http_methods(["GET", "POST"])
@member_view
@domain_errors
def article_detail(request, member, article_id: int):
    article = _reached(request, member, article_id)
    error = None
    if request.method == "POST":
        try:
            services.finish_reading(
                member=member, article=article, reached_end=request.POST.get("reached_end") == "1"
            )
        except DomainError as exc:
            # Shown on the page as it is: going back to the GET would open it again and
            # start the clock anew.
            error = exc.message
        else:
            messages.success(request, _("本篇阅读已计入学习记录。"))
            return redirect("mobile:learning_article", article.pk)
    reading = selectors.reading_of(member, article)
    if request.method == "GET" and (reading is None or reading.counted_at is None):
        reading = services.start_reading(member=member, article=article)
    return render(
        request,
        "mobile/learning/article.html",
        {
            "member": member,
            "article": article,
            "attachments": selectors.attachments_of(article),
            "reading": reading,
            "seconds_left": services.seconds_left(reading, article),
            "is_short": services.is_short(article),
            "error": error,
        },
    )


@require_GET
@member_view
@domain_errors
def attachment(request, member, attachment_id: int):
    found = permissions.access_article_attachment(request.user, attachment_id)
    if not permissions.article_reaches(found.article, member):
        raise permissions.not_found()
    return attachment_response(found)
