"""Every environment variable that settings.py reads is documented, in `.env.example` (a line
`NAME=value` or `# NAME=value`, under a one-line comment) and in the "Settings reference"
table of docs/operations.md (a row of its own), so that a new setting cannot go undocumented
and a removed one cannot stay documented.

The variables are found by parsing settings.py rather than importing it, so that a setting
read on one branch only (PostgreSQL, Redis, S3) is found too. A reader is a module-level
function of settings.py that touches os.environ (env_str, env_int, ... or one added later); a
variable is the literal name given to a reader, or to os.environ / os.getenv outside the
readers. A name that is not a literal cannot be checked, and fails the test."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "src" / "dangjian" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"
OPERATIONS = ROOT / "docs" / "operations.md"

ENV_ACCESS = {"environ", "environb", "getenv"}
ASSIGNMENT = re.compile(r"^(#\s?)?([A-Z][A-Z0-9_]*)=(.*)$")
TABLE_ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|")
TABLE_HEAD = ["| Variable | Default | What it does / when to change it |", "|---|---|---|"]


class Read:
    """One variable read by settings.py, with the literal default given to its reader."""

    NO_DEFAULT = object()

    def __init__(self, name: str, default=NO_DEFAULT):
        self.name = name
        self.default = default

    def shown(self) -> str | None:
        """The default as written in the environment, or None when it is not a literal
        (a path built from BASE_DIR) or empty (documented in words)."""
        value = self.default
        if value is Read.NO_DEFAULT or value in ("", []):
            return None
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, list):
            return ",".join(value)
        return str(value)


def _is_env_access(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return _is_name(node.value, {"os"}) and node.attr in ENV_ACCESS
    return _is_name(node, ENV_ACCESS)


def _is_name(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names


def _calls(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Call) and _is_name(node.func, names)


def _constant(node: ast.AST):
    """The value of a literal, also `20 * 1024 * 1024`; Read.NO_DEFAULT for anything else."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        items = [_constant(item) for item in node.elts]
        return Read.NO_DEFAULT if Read.NO_DEFAULT in items else items
    operators = {ast.Add: int.__add__, ast.Sub: int.__sub__, ast.Mult: int.__mul__}
    if isinstance(node, ast.BinOp) and type(node.op) in operators:
        left, right = _constant(node.left), _constant(node.right)
        if isinstance(left, int) and isinstance(right, int):
            return operators[type(node.op)](left, right)
    return Read.NO_DEFAULT


def _argument(call: ast.Call, index: int, keyword: str) -> ast.AST | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def environment_reads(source: str) -> tuple[dict[str, Read], list[str]]:
    """The variables a settings module reads, and the reads whose name is not a literal."""
    tree = ast.parse(source)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    readers: set[str] = set()
    while True:  # a helper that calls a reader is a reader too
        found = {
            f.name
            for f in functions
            if any(_is_env_access(n) or _calls(n, readers) for n in ast.walk(f))
        }
        if found == readers:
            break
        readers = found
    inside_readers = {id(n) for f in functions if f.name in readers for n in ast.walk(f)}
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    reads: dict[str, Read] = {}
    unreadable: list[str] = []
    for node in ast.walk(tree):
        if id(node) in inside_readers:
            continue
        default = None
        if _calls(node, readers):
            where, name, default = node, _argument(node, 0, "name"), _argument(node, 1, "default")
        elif _is_env_access(node):
            parent = parents.get(node)
            grandparent = parents.get(parent)
            if isinstance(parent, ast.Call) and parent.func is node:  # os.getenv("X")
                where, name = parent, _argument(parent, 0, "key")
            elif isinstance(parent, ast.Attribute) and isinstance(grandparent, ast.Call):
                where, name = grandparent, _argument(grandparent, 0, "key")  # os.environ.get
            elif isinstance(parent, ast.Subscript):
                where, name = parent, parent.slice  # os.environ["X"]
            elif isinstance(parent, ast.Compare) and len(parent.comparators) == 1:
                where, name = parent, parent.left  # "X" in os.environ
            else:
                where, name = node, None
        else:
            continue
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            value = Read.NO_DEFAULT if default is None else _constant(default)
            if name.value not in reads or reads[name.value].default is Read.NO_DEFAULT:
                reads[name.value] = Read(name.value, value)
        else:
            unreadable.append(f"line {where.lineno}: {ast.unparse(where)}")
    return reads, unreadable


def _settings_reads() -> dict[str, Read]:
    reads, unreadable = environment_reads(SETTINGS.read_text(encoding="utf-8"))
    assert unreadable == [], "settings.py reads a variable whose name is not a literal"
    return reads


def _env_example_lines() -> list[str]:
    return ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()


def _env_example_assignments() -> dict[str, tuple[int, bool, str]]:
    """NAME -> (line index, commented out, value)."""
    found = {}
    for index, line in enumerate(_env_example_lines()):
        match = ASSIGNMENT.match(line)
        if match:
            assert match[2] not in found, f".env.example names {match[2]} twice"
            found[match[2]] = (index, bool(match[1]), match[3])
    return found


def _settings_reference() -> dict[str, str]:
    """NAME -> the Default cell of its row in the "Settings reference" table."""
    text = OPERATIONS.read_text(encoding="utf-8")
    section = re.search(r"^## Settings reference\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, 'docs/operations.md has no "## Settings reference" section'
    lines = section[1].splitlines()
    first = next((i for i, line in enumerate(lines) if TABLE_ROW.match(line)), 0)
    assert lines[first - 2 : first] == TABLE_HEAD, "the settings reference table has no header"
    rows = {}
    for line in lines:
        match = TABLE_ROW.match(line)
        if match:
            assert match[1] not in rows, f"the settings reference has two rows for {match[1]}"
            rows[match[1]] = match[2]
    return rows


def test_the_parser_finds_variables_however_settings_reads_them():
    source = """
import os
from os import environ

def env_str(name, default=""):
    return os.environ.get(name, default)

def env_path(name, default):
    return Path(env_str(name, default))

A = env_str("A_STR", "dj")
B = env_path("B_PATH", BASE_DIR / "var")
C = os.environ.get("C_GET")
D = os.getenv("D_GETENV", "x")
E = os.environ["E_ITEM"]
F = "F_IN" in os.environ
G = environ.get("G_BARE")
H = env_str(name="H_KEYWORD", default=5 * 1024)
I = env_str(PREFIX + "I")
J = dict(os.environ)
"""
    reads, unreadable = environment_reads(source)

    assert sorted(reads) == [
        "A_STR", "B_PATH", "C_GET", "D_GETENV", "E_ITEM", "F_IN", "G_BARE", "H_KEYWORD"
    ]  # fmt: skip
    assert reads["A_STR"].shown() == "dj"
    assert reads["B_PATH"].shown() is None
    assert reads["H_KEYWORD"].shown() == "5120"
    assert unreadable == ["line 19: env_str(PREFIX + 'I')", "line 20: os.environ"]


def test_settings_reads_variables_the_parser_recognises():
    reads = _settings_reads()

    # Read on one branch only, so importing settings would not show them.
    assert {"DATABASE_URL", "DB_PREPARE_THRESHOLD", "SQLITE_PATH", "CACHE_PREFIX"} <= set(reads)
    assert {"S3_BUCKET", "COMMENT_FORBIDDEN_WORDS_FILE", "AXES_IP_HEADERS"} <= set(reads)
    assert reads["PHOTO_MAX_BYTES"].shown() == str(20 * 1024 * 1024)
    assert reads["CONN_HEALTH_CHECKS"].shown() == "1"


def test_every_variable_is_in_env_example_and_nothing_else_is():
    documented = set(_env_example_assignments())
    read = set(_settings_reads())

    assert sorted(read - documented) == [], "read by settings.py, missing from .env.example"
    assert sorted(documented - read) == [], "in .env.example, not read by settings.py"


def test_every_variable_in_env_example_has_a_comment_line_above_it():
    lines = ["", *_env_example_lines()]  # the line above the first is blank

    def describes(line: str) -> bool:
        return line.startswith("# ") and not line.startswith("# ---") and not ASSIGNMENT.match(line)

    uncommented = [
        name
        for name, (index, _, _) in _env_example_assignments().items()
        if not describes(lines[index])  # lines[index] is the line above, after the shift
    ]

    assert uncommented == []


def test_a_variable_commented_out_in_env_example_shows_its_default():
    reads = _settings_reads()
    wrong = {
        name: (value, reads[name].shown())
        for name, (_, commented_out, value) in _env_example_assignments().items()
        if commented_out and name in reads and reads[name].shown() not in (None, value)
    }

    assert wrong == {}, "NAME: (shown in .env.example, default in settings.py)"


def test_every_variable_has_a_row_in_the_settings_reference_and_nothing_else_does():
    documented = set(_settings_reference())
    read = set(_settings_reads())

    assert sorted(read - documented) == [], "read by settings.py, missing from the reference"
    assert sorted(documented - read) == [], "in the reference, not read by settings.py"


def test_the_settings_reference_gives_each_literal_default():
    rows = _settings_reference()
    wrong = {
        name: (rows[name].strip(), read.shown())
        for name, read in _settings_reads().items()
        if name in rows and read.shown() is not None and f"`{read.shown()}`" not in rows[name]
    }

    assert wrong == {}, "NAME: (Default cell in docs/operations.md, default in settings.py)"
