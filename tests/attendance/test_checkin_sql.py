"""The check-in's literal SQL against the models: every table and column it names exists,
and its INSERTs write every column a row needs. A renamed field or a new required column
fails here, not in production."""

import re

import pytest
from django.apps import apps

from dangjian.attendance import checkin
from dangjian.registry import services as registry

TABLES = {model._meta.db_table: model for model in apps.get_models()}
STATEMENTS = {
    "facts on postgresql": checkin.FACTS_SQL["postgresql"],
    "facts on sqlite": checkin.FACTS_SQL["sqlite"],
    "record": checkin.RECORD_SQL,
    "attempt": checkin.ATTEMPT_SQL,
    "pair": checkin.PAIR_SQL,
    "token holder": registry._TOKEN_HOLDER_SQL,
}


def columns(model) -> set[str]:
    return {f.column for f in model._meta.get_fields() if f.concrete}


def aliases(sql: str) -> dict[str, str]:
    """alias -> table, from `FROM table alias` and `JOIN table alias`."""
    found = re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)\s+(?:AS\s+)?([a-z_]+)\b", sql)
    return {alias: table for table, alias in found if table in TABLES}


@pytest.mark.parametrize("name", STATEMENTS)
def test_every_column_the_sql_names_exists_on_its_model(name):
    sql = STATEMENTS[name]
    known = aliases(sql)
    referenced = re.findall(r"\b([a-z_]+)\.([a-z_]+)\b", sql)
    assert referenced or "INSERT" in sql
    for alias, column in referenced:
        assert alias in known, f"{name}: alias {alias!r} names no table"
        assert column in columns(TABLES[known[alias]]), f"{name}: {alias}.{column}"


@pytest.mark.parametrize("name", ["record", "attempt"])
def test_the_inserts_write_every_column_of_the_row_and_no_other(name):
    sql = STATEMENTS[name]
    table, listed = re.search(r"INSERT INTO ([a-z_]+) \(([^)]*)\)", sql).groups()
    model = TABLES[table]
    written = {c.strip() for c in listed.split(",")}
    assert written == columns(model) - {model._meta.pk.column}


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_facts_read_the_columns_their_dataclasses_take(vendor):
    # The SELECT list's width is what read_facts() and _facts() unpack: the account, the
    # activity's month, then the rest.
    select = checkin.FACTS_SQL[vendor].split("FROM (SELECT 1")[0]
    depth, items = 0, 1
    for char in select:
        depth += char == "("
        depth -= char == ")"
        items += char == "," and depth == 0
    assert items == 2 + 28
