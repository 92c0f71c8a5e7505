from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# Far beyond the last page of any list (the audit log of years, a page of one), and small
# enough that the row offset it makes fits a 64-bit integer in every database: a larger
# number is refused (422 validation_error) instead of failing in the database.
MAX_PAGE = 1_000_000


class Page(PageNumberPagination):
    """`?page=&page_size=` → `{"items": [...], "count": N}`; at most 500 a page, pages up to
    MAX_PAGE; a number out of those bounds answers 422 `validation_error`."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, **kwargs):
        super().__init__(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE, **kwargs)


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
