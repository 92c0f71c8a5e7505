"""Bulk import of organizations and members from .xlsx or .csv.

Every row is judged by the same rules as a single create (`validation.clean_member_fields`),
problems are reported per spreadsheet row and column in Chinese, and nothing is written
unless every row is good. Re-importing updates the members found by ID number (through the
keyed hash) instead of duplicating them.

It is built for a whole province in one file (2,080,000 members, docs/performance.md):
lookups are preloaded with chunked IN queries, accepted members are set aside in a
temporary file between the check and the write (memory does not grow with the file), and
the writes go out in batches inside one transaction.
"""

from dangjian.registry.imports.members import import_member_rows, import_members
from dangjian.registry.imports.organizations import import_organizations
from dangjian.registry.imports.result import ImportResult
from dangjian.registry.imports.tables import (
    CSV_TYPE,
    MASKED_ID_HEADER,
    MEMBER_COLUMNS,
    ORG_COLUMNS,
    XLSX_TYPE,
)
from dangjian.registry.imports.templates import member_template, org_template

__all__ = [
    "CSV_TYPE",
    "MASKED_ID_HEADER",
    "MEMBER_COLUMNS",
    "ORG_COLUMNS",
    "XLSX_TYPE",
    "ImportResult",
    "import_member_rows",
    "import_members",
    "import_organizations",
    "member_template",
    "org_template",
]
