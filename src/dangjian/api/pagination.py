from ninja.pagination import PageNumberPagination


class Page(PageNumberPagination):
    """`?page=&page_size=` → `{"items": [...], "count": N}`; at most 500 a page."""

    def __init__(self, **kwargs):
        super().__init__(page_size=50, max_page_size=500, **kwargs)


class Mapped:
    """A queryset the paginator can slice and count, whose page goes through `per_page`
    (which resolves extra data for the whole page in one query). A page that needs nothing
    more is the queryset itself: the response schema reads each row."""

    def __init__(self, qs, per_page):
        self.qs, self.per_page = qs, per_page

    def __getitem__(self, item):
        return self.per_page(list(self.qs[item]))

    def count(self):
        return self.qs.count()

    def __len__(self):
        return self.count()
