from ninja.pagination import PageNumberPagination


class Page(PageNumberPagination):
    """`?page=&page_size=` → `{"items": [...], "count": N}`; at most 500 a page."""

    def __init__(self, **kwargs):
        super().__init__(page_size=50, max_page_size=500, **kwargs)


class Mapped:
    """A queryset the paginator can slice and count, whose page is turned into schemas
    by `fn` (which may resolve extra data for the whole page in one query)."""

    def __init__(self, qs, fn, *, per_page=None):
        self.qs, self.fn, self.per_page = qs, fn, per_page

    def __getitem__(self, item):
        rows = list(self.qs[item])
        if self.per_page is not None:
            return self.per_page(rows)
        return [self.fn(x) for x in rows]

    def count(self):
        return self.qs.count()

    def __len__(self):
        return self.count()
