"""Would a statement stay on one city's shard? The analysis behind docs/scaling.md's path
past a province (Citus), used by bench/shard_report.py and tests/test_shard_report.py.

A city is the organization tree's first level under the root: the province's cities once
a province is the root, the counties in the demo city. A row's city is the first
`CITY_DEPTH` levels of its organization's treebeard path. Every table falls in one class:

- `distributed`: would be distributed by city (a `city_id` column, the city organization's
  id): it reaches an organization through foreign keys other than an account's;
- `reference`: small, read everywhere, copied to every node;
- `local`: global tables kept on the coordinator, found by an account, a key or a session.

A statement is single-shard when every distributed table it names is pinned to a city — by
a literal id (resolved to its row's city in the database), a path prefix at least a city
deep, or an equality along a foreign key with a table that is — and all those pins name
the same city. What is not pinned or spans cities is multi-shard, with the reason. Only
AND-ed conditions count, so the answer errs towards multi-shard.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal

import sqlglot
from django.apps import apps
from django.db import DatabaseError, connections
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

CITY_DEPTH = 2
STEPLEN = 4  # treebeard MP_Node's characters a level (registry.models.Organization)
ORG = "registry_organization"
USER = "registry_user"
EVERY_CITY = "*"

# Small tables read everywhere: the tree itself (90,000 rows for a province, rarely
# written), what a city or province publishes to all below it, and the rule tables.
REFERENCE = {
    ORG,
    "themedays_campaign",
    "themedays_campaignattachment",
    "scoring_scoringpolicy",
    "supervision_appraisalrule",
    "supervision_appraisal",
    "supervision_appraisalcounty",
    "supervision_awardround",
    "supervision_bulletin",
    "supervision_bulletinfile",
    "supervision_spotcheck",
    "learning_column",
    "learning_article",
    "learning_articleattachment",
    "learning_questioncategory",
    "learning_question",
    "learning_questionversion",
    "learning_quiz",
    "learning_quizquestion",
    "learning_quizdrawrule",
    "learning_studypackage",
    "learning_packagearticle",
    "volunteering_servicecategory",
    # A transfer names two branches, often of two cities; a few a day.
    "registry_transfer",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
}

# Found by an account, a key, a session or a phone number, never by an organization's
# subtree: kept whole (on the coordinator, or distributed by user on their own).
LOCAL = {
    USER,
    "registry_apitoken",
    "registry_wechatbinding",
    "registry_rolegrant",
    "django_session",
    "axes_accessattempt",
    "axes_accessattemptexpiration",
    "axes_accessfailurelog",
    "axes_accesslog",
    "notifications_notification",
    "notifications_dedupemonth",
    "notifications_smscode",
    "notifications_smsmessage",
    "notifications_wechatmessage",
    "notifications_outboundbatch",
    "notifications_job",
    "audit_auditentry",
    "volunteering_citizen",
    "django_migrations",
}

# Keys naming an organization other than the row's own: a transfer's destination, and the
# organization above the branch that rated, reviewed or opened something (the province's
# own admins among them). The row's city is its branch's.
NOT_CITY_KEYS = {
    ("registry_transfer", "to_branch_id"),
    ("interaction_rating", "rater_org_id"),
    ("supervision_recordreview", "reviewer_org_id"),
    ("supervision_rectification", "opened_by_org_id"),
}


def models_by_table():
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


def _fks(model):
    return [f for f in model._meta.concrete_fields if f.is_relation]


def city_route(model) -> str | None:
    """The ORM lookup from a model to its organization's path ("activity__branch__path"),
    shortest first, never through an account; None when there is none."""
    seen = {model}
    queue = [(model, "")]
    while queue:
        current, prefix = queue.pop(0)
        if current._meta.db_table == ORG:
            return f"{prefix}path"
        for f in _fks(current):
            target = f.related_model
            if (current._meta.db_table, f.column) in NOT_CITY_KEYS:
                continue
            # A row's city is its own organization's, never the account's that made it
            # nor that of a shared row it names (a quiz, a campaign: the province's).
            table = target._meta.db_table
            if table == USER or (table in REFERENCE and table != ORG) or target in seen:
                continue
            seen.add(target)
            queue.append((target, f"{prefix}{f.name}__"))
    return None


@dataclass
class TableClass:
    table: str
    kind: str  # distributed, reference, local
    route: str | None  # the lookup to the organization's path
    direct: str | None  # the column naming an organization today, if any
    rows: int | None = None


def classify_tables(count_rows: bool = False) -> dict[str, TableClass]:
    out = {}
    for table, model in models_by_table().items():
        route = city_route(model)
        if table in REFERENCE:
            kind = "reference"
        elif table in LOCAL or route is None:
            kind = "local"
        else:
            kind = "distributed"
        direct = next(
            (
                f.column
                for f in _fks(model)
                if f.related_model._meta.db_table == ORG and (table, f.column) not in NOT_CITY_KEYS
            ),
            None,
        )
        rows = _count(model) if count_rows else None
        out[table] = TableClass(table, kind, route, direct, rows)
    return out


def _count(model) -> int | None:
    try:
        return model._base_manager.count()
    except DatabaseError:  # a model whose migration this database has not had yet
        return None


def city_of_path(path: str) -> str:
    return path[: CITY_DEPTH * STEPLEN] if len(path) >= CITY_DEPTH * STEPLEN else EVERY_CITY


class Cities:
    """The city of a table's rows by id: their organization's path, read from the
    database and kept, cut at `CITY_DEPTH` when asked."""

    def __init__(self, tables: dict[str, TableClass]):
        self.tables = tables
        self.models = models_by_table()
        self.cache: dict[tuple[str, str], str] = {}

    def of(self, table: str, ids) -> set[str]:
        route = self.tables[table].route if table in self.tables else None
        if route is None:
            return {EVERY_CITY}
        missing = [i for i in ids if (table, str(i)) not in self.cache]
        if missing:
            model = self.models[table]
            rows = model._base_manager.filter(pk__in=missing).values_list("pk", route)
            for pk, path in rows:
                self.cache[(table, str(pk))] = path or ""
        # An id with no row (deleted since, or none yet) says nothing about the city.
        keys = [(table, str(i)) for i in ids]
        return {city_of_path(self.cache[key]) for key in keys if key in self.cache}

    def of_user(self, ids) -> set[str]:
        """An account's city: its member's, else its widest admin role's (the city a
        request would read from users.city_id)."""
        out = set()
        for i in ids:
            key = (USER, str(i))
            if key not in self.cache:
                member = self.models["registry_member"]._base_manager.filter(user_id=i)
                grants = self.models["registry_rolegrant"]._base_manager.filter(user_id=i)
                paths = (
                    list(member.values_list("branch__path", flat=True))
                    or sorted(grants.values_list("org__path", flat=True), key=len)[:1]
                )
                self.cache[key] = paths[0] if paths else ""
            out.add(city_of_path(self.cache[key]))
        return out


@dataclass
class Verdict:
    sql: str
    kind: str  # single, multi, none (reference/local only), control, unparsed
    city: str | None = None
    reason: str = ""
    distributed: list[str] = field(default_factory=list)
    via_user: bool = False  # pinned by an account's city (users.city_id), not by a row key


def _literal(node) -> str | None:
    if isinstance(node, exp.Literal):
        return node.this
    if isinstance(node, exp.Cast):
        return _literal(node.this)
    if isinstance(node, exp.Paren):
        return _literal(node.this)
    return None


def _conjuncts(condition):
    if condition is None:
        return []
    if isinstance(condition, exp.And):
        return _conjuncts(condition.left) + _conjuncts(condition.right)
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    return [condition]


def _column(node):
    while isinstance(node, exp.Cast | exp.Paren | exp.Alias):
        node = node.this
    return node if isinstance(node, exp.Column) else None


class Analyzer:
    def __init__(self, tables: dict[str, TableClass], cities: Cities, dialect: str):
        self.tables = tables
        self.cities = cities
        self.dialect = dialect
        self.models = models_by_table()

    # Which table a column's values name: its own (the primary key), the foreign key's
    # target, or None.
    def _names(self, table: str, column: str) -> str | None:
        model = self.models.get(table)
        if model is None:
            return None
        for f in _fks(model):
            if f.column == column and (table, column) not in NOT_CITY_KEYS:
                return f.related_model._meta.db_table
        return table if column == model._meta.pk.column else None

    def _pins(self, table: str, column: str, values: list[str]) -> set[str] | None:
        if table == ORG and column == "path":
            return None
        target = self._names(table, column)
        if target is None:
            return None
        if target == USER:
            self.via_user = True
            return self.cities.of_user(values)
        kind = self.tables.get(target)
        if target == ORG or (kind and kind.kind == "distributed"):
            return self.cities.of(target, values)
        return None

    def verdict(self, sql: str) -> Verdict:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head in {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET", "SHOW"}:
            return Verdict(sql, "control")
        try:
            tree = sqlglot.parse_one(sql, read=self.dialect)
        except sqlglot.errors.ParseError as error:
            return Verdict(sql, "unparsed", reason=str(error).splitlines()[0])
        self.via_user = False
        verdict = self._decide(sql, tree)
        verdict.via_user = self.via_user and verdict.kind == "single"
        return verdict

    def _decide(self, sql: str, tree) -> Verdict:
        # Nodes are table references (scope, alias); edges join them along a key; pins are
        # the cities a literal or a path prefix names.
        nodes: dict[tuple[int, str], str] = {}
        parent: dict[tuple[int, str], tuple[int, str]] = {}
        pins: dict[tuple[int, str], set[str]] = defaultdict(set)
        scopes = traverse_scope(tree) if not isinstance(tree, exp.Insert | exp.Update) else []
        alias_scope: list[tuple[object, dict[str, tuple[int, str]]]] = []

        def find(n):
            while parent.setdefault(n, n) != n:
                n = parent[n]
            return n

        def union(a, b):
            parent[find(a)] = find(b)

        def register(scope_id, sources):
            names = {}
            for alias, table in sources.items():
                nodes[(scope_id, alias)] = table
                names[alias] = (scope_id, alias)
            return names

        statements = []
        if isinstance(tree, exp.Insert | exp.Update | exp.Delete):
            target = tree.this
            if isinstance(target, exp.Schema):
                target = target.this
            table = target.name
            names = register(-1, {target.alias_or_name: table})
            statements.append((tree, names))
            if isinstance(tree, exp.Insert):
                self._insert_pins(tree, table, names[target.alias_or_name], pins)
        for i, scope in enumerate(scopes):
            sources = {
                alias: src.name
                for alias, src in scope.sources.items()
                if isinstance(src, exp.Table)
            }
            names = register(i, sources)
            alias_scope.append((scope, names))
            statements.append((scope.expression, names))
        if isinstance(tree, exp.Update | exp.Delete):
            for sub in tree.find_all(exp.Select):
                for j, scope in enumerate(traverse_scope(sub)):
                    sources = {
                        a: s.name for a, s in scope.sources.items() if isinstance(s, exp.Table)
                    }
                    names = register(1000 + j, sources)
                    statements.append((scope.expression, names))

        def resolve(col, names):
            alias = col.table
            if alias in names:
                return names[alias]
            for _, other in alias_scope:
                if alias in other:
                    return other[alias]
            if not alias and len(names) == 1:
                return next(iter(names.values()))
            return None

        for expression, names in statements:
            conditions = []
            where = expression.args.get("where")
            if where is not None:
                conditions += _conjuncts(where.this)
            for join in expression.args.get("joins") or []:
                conditions += _conjuncts(join.args.get("on"))
            for cond in conditions:
                self._condition(cond, names, resolve, nodes, pins, union)

        distributed = {
            n: t
            for n, t in nodes.items()
            if self.tables.get(t) and self.tables[t].kind == "distributed"
        }
        tables = sorted(set(distributed.values()))
        if not distributed:
            return Verdict(sql, "none", distributed=tables)
        groups: dict[tuple, set[str]] = defaultdict(set)
        for n in nodes:
            groups[find(n)] |= pins.get(n, set())
        unpinned = sorted({t for n, t in distributed.items() if not groups[find(n)]})
        cities = set().union(*(groups[find(n)] for n in distributed))
        if unpinned:
            return Verdict(
                sql, "multi", reason="no city key on " + ", ".join(unpinned), distributed=tables
            )
        if EVERY_CITY in cities or len(cities) > 1:
            what = "the whole tree" if EVERY_CITY in cities else f"{len(cities)} cities"
            return Verdict(sql, "multi", reason=f"spans {what}", distributed=tables)
        return Verdict(sql, "single", city=next(iter(cities)), distributed=tables)

    def _condition(self, cond, names, resolve, nodes, pins, union):
        if isinstance(cond, exp.EQ):
            left, right = _column(cond.left), _column(cond.right)
            if left is not None and right is not None:
                a, b = resolve(left, names), resolve(right, names)
                if a and b and self._joins(nodes[a], left.name, nodes[b], right.name):
                    union(a, b)
                return
            col, value = (
                (left, _literal(cond.right)) if left is not None else (right, _literal(cond.left))
            )
            if col is not None and value is not None:
                self._pin(col, [value], names, resolve, nodes, pins)
        elif isinstance(cond, exp.In):
            col = _column(cond.this)
            if col is None:
                return
            values = [_literal(v) for v in cond.expressions]
            if values and None not in values:
                self._pin(col, values, names, resolve, nodes, pins)
                return
            query = cond.args.get("query")
            if query is None and len(cond.expressions) == 1:
                query = cond.expressions[0]
            if isinstance(query, exp.Subquery | exp.Select):
                inner = query.this if isinstance(query, exp.Subquery) else query
                selects = getattr(inner, "selects", [])
                inner_col = _column(selects[0]) if len(selects) == 1 else None
                a = resolve(col, names)
                if inner_col is None or a is None:
                    return
                for n, t in nodes.items():
                    if n[1] == inner_col.table and self._joins(
                        nodes[a], col.name, t, inner_col.name
                    ):
                        union(a, n)
                        break
        elif isinstance(cond, exp.Like):
            col, value = _column(cond.this), _literal(cond.expression)
            node = resolve(col, names) if col is not None else None
            if node and nodes[node] == ORG and col.name == "path" and value is not None:
                pins[node].add(city_of_path(value.rstrip("%")))
        elif isinstance(cond, exp.Escape):
            self._condition(cond.this, names, resolve, nodes, pins, union)

    def _pin(self, col, values, names, resolve, nodes, pins):
        node = resolve(col, names)
        if node is None:
            return
        table = nodes[node]
        if table == ORG and col.name == "path":
            pins[node] |= {city_of_path(v) for v in values}
            return
        cities = self._pins(table, col.name, values)
        if cities:
            pins[node] |= cities

    def _joins(self, t1, c1, t2, c2) -> bool:
        """Do the two columns name the same row of one table (so their rows share a
        city)? A key and the primary key it points to, or two keys to one table."""
        n1, n2 = self._names(t1, c1), self._names(t2, c2)
        if n1 is None or n1 != n2 or n1 == USER:
            return False
        kind = self.tables.get(n1)
        return n1 == ORG or bool(kind and kind.route)

    def _insert_pins(self, tree, table, node, pins):
        schema = tree.this
        columns = [c.name for c in schema.expressions] if isinstance(schema, exp.Schema) else []
        values = tree.expression
        if isinstance(values, exp.Values):
            rows = [r.expressions if isinstance(r, exp.Tuple) else [r] for r in values.expressions]
        elif isinstance(values, exp.Select) and isinstance(values.args["from_"].this, exp.Unnest):
            # core.bulk's INSERT … SELECT * FROM unnest(arrays): a column's values an array.
            arrays = [_literal(e) or "{}" for e in values.args["from_"].this.expressions]
            columns_values = [a.strip("{}").split(",") for a in arrays]
            rows = [
                [exp.Literal.string(v) for v in row] for row in zip(*columns_values, strict=False)
            ]
        else:
            return
        if not columns:
            return
        found = set()
        for items in rows:
            row_cities = set()
            for name, item in zip(columns, items, strict=False):
                value = _literal(item)
                if value is None:
                    continue
                cities = self._pins(table, name, [value])
                if cities and self._names(table, name) != USER:
                    row_cities = cities
                    break
            found |= row_cities or set()
        if found:
            pins[node] |= found


def _literal_sql(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return _literal_sql("{" + ",".join("" if v is None else str(v) for v in value) + "}")
    return "'" + str(value).replace("'", "''") + "'"


def _bind(sql: str, params) -> str:
    """The statement with its values written in, for reading only (never run): the
    analysis resolves ids to cities."""
    if not params:
        return sql.replace("%%", "%")
    if isinstance(params, dict):
        return sql % {k: _literal_sql(v) for k, v in params.items()}
    return sql % tuple(_literal_sql(v) for v in params)


class Capture:
    """Every statement run on any connection (the check-in's `hot` one as well as
    `default`) while it is open, with its values written in."""

    def __init__(self):
        self.statements: list[str] = []
        self._stack = ExitStack()

    def _record(self, execute, sql, params, many, context):
        if many:
            for one in params:
                self.statements.append(_bind(sql, one))
        else:
            self.statements.append(_bind(sql, params))
        return execute(sql, params, many, context)

    def __enter__(self):
        for alias in connections:
            self._stack.enter_context(connections[alias].execute_wrapper(self._record))
        return self

    def __exit__(self, *exc):
        return self._stack.__exit__(*exc)
