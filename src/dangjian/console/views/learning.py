"""Learning in the back office (docs/product.md, "Learning"): the articles of the
organizations an admin runs, per status; the editor (title, column, body, source, video
link, cover, attachments); the article page where editors submit and reviewers — admins of
the publishing organization or above, never the author — publish or withdraw."""

from collections.abc import Callable
from functools import partial

from django import forms
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import form_page, paginate, posted, render_page
from dangjian.core.files import attachment_response
from dangjian.core.pages import attempt
from dangjian.learning import selectors, services
from dangjian.learning.models import Article, ArticleStatus
from dangjian.permissions import Action


class ArticleForm(forms.Form):
    column = forms.ModelChoiceField(
        label=gettext_lazy("栏目"), queryset=selectors.columns(), empty_label=None
    )
    title = forms.CharField(label=gettext_lazy("标题"), max_length=services.TITLE_MAX_CHARS)
    body = forms.CharField(
        label=gettext_lazy("正文"),
        max_length=services.BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy(
            "可使用段落、标题、加粗、列表、表格和链接；脚本、样式和图片会被去除。"
        ),
    )
    source = forms.CharField(
        label=gettext_lazy("来源"), max_length=services.SOURCE_MAX_CHARS, required=False
    )
    video_url = forms.CharField(
        label=gettext_lazy("视频链接（可选）"),
        max_length=services.VIDEO_URL_MAX_CHARS,
        required=False,
        help_text=gettext_lazy("以 http:// 或 https:// 开头"),
    )
    cover = forms.FileField(label=gettext_lazy("封面图片（可选）"), required=False)
    attachment = forms.FileField(label=gettext_lazy("附件（图片或 PDF，可选）"), required=False)


def _fields(form: ArticleForm) -> dict:
    data = form.cleaned_data
    return {
        "column": data["column"],
        "title": data["title"],
        "body": data["body"],
        "source": data["source"],
        "video_url": data["video_url"],
    }


def _save(request, form: ArticleForm, write: Callable[..., Article]):
    """One form, one outcome: the article written (`write(**fields)`, a create or an edit)
    with its cover and attachment in one transaction, so that a refused file leaves no
    article or edit behind; then its page."""
    with transaction.atomic():
        article = write(**_fields(form))
        if form.cleaned_data.get("cover"):
            services.set_article_cover(
                actor=request.user, article=article, file=form.cleaned_data["cover"]
            )
        upload = form.cleaned_data.get("attachment")
        if upload:
            services.add_article_attachment(
                actor=request.user, article=article, file=upload, name=upload.name
            )
    return redirect("console:article_detail", article.pk)


@require_GET
@admin_view
def article_list(request):
    status = request.GET.get("status") or ""
    if status not in ArticleStatus.values:
        status = ""
    q = request.GET.get("q", "").strip()[: selectors.SEARCH_MAX_CHARS]
    counts = selectors.status_counts(request.user)
    page = paginate(request, selectors.managed_articles(request.user, status=status or None, q=q))
    return render_page(
        request,
        "console/learning/article_list.html",
        {
            "page": page,
            "status": status,
            "q": q,
            "statuses": [(value, label, counts[value]) for value, label in ArticleStatus.choices],
        },
    )


@require_http_methods(["GET", "POST"])
@admin_view
def article_create(request, org_id: int):
    org = permissions.access_org(request.user, org_id, Action.CHANGE)
    form = ArticleForm(posted(request), request.FILES or None)

    def save():
        return _save(request, form, partial(services.create_article, actor=request.user, org=org))

    return form_page(
        request, form, "console/learning/article_form.html", {"org": org, "article": None}, save
    )


@require_http_methods(["GET", "POST"])
@admin_view
def article_edit(request, article_id: int):
    article = permissions.access_article(request.user, article_id, Action.CHANGE)
    initial = {
        "column": article.column_id,
        "title": article.title,
        "body": article.body,
        "source": article.source,
        "video_url": article.video_url,
    }
    form = ArticleForm(posted(request), request.FILES or None, initial=initial)

    def save():
        write = partial(services.edit_article, actor=request.user, article=article)
        return _save(request, form, write)

    return form_page(
        request,
        form,
        "console/learning/article_form.html",
        {"org": article.org, "article": article},
        save,
    )


@require_GET
@admin_view
def article_detail(request, article_id: int):
    article = permissions.access_article(request.user, article_id)
    user = request.user
    return render_page(
        request,
        "console/learning/article_detail.html",
        {
            "article": article,
            "attachments": selectors.attachments_of(article),
            "can_change": permissions.can(user, Action.CHANGE, article),
            "can_review": permissions.can(user, Action.REVIEW, article),
            "is_author": article.author_id == user.pk,
            "editable": article.status in services.EDITABLE_STATUSES,
        },
    )


TRANSITIONS = {
    "submit": (Action.CHANGE, services.submit_article, gettext_lazy("已提交审核。")),
    "publish": (Action.REVIEW, services.publish_article, gettext_lazy("已发布。")),
    "withdraw": (Action.REVIEW, services.withdraw_article, gettext_lazy("已撤回。")),
}


@require_POST
@admin_view
def article_transition(request, article_id: int, step: str):
    if step not in TRANSITIONS:
        raise Http404
    action, service, success = TRANSITIONS[step]
    article = permissions.access_article(request.user, article_id, action)
    attempt(request, str(success), service, article=article)
    return redirect("console:article_detail", article.pk)


@require_GET
@admin_view
def article_attachment(request, attachment_id: int):
    return attachment_response(permissions.access_article_attachment(request.user, attachment_id))
