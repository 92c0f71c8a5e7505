"""The learning app's data (docs/product.md, "Learning"): columns, articles and their
reading records (`articles`); one module per part, re-exported here."""

from dangjian.learning.models.articles import (
    Article,
    ArticleAttachment,
    ArticleStatus,
    Column,
    Reading,
)

__all__ = ["Article", "ArticleAttachment", "ArticleStatus", "Column", "Reading"]
