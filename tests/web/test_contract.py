"""What the web portal relies on from the Python side stays in step with it:

- schema/api.graphql (what the SPA's code generation types its operations from) is the API
  schema of the committed supergraph;
- every error code the server can answer with is listed in web/src/i18n/api-codes.json,
  whose every entry needs a Japanese message (checked by the front-end's unit tests).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from gateway.supergraph import Supergraph

ROOT = Path(__file__).resolve().parents[2]
API_CODES = ROOT / "web" / "src" / "i18n" / "api-codes.json"

# How codes are written in the server's code: the first string arguments of the error
# constructors and helpers (PeopleError("DUPLICATE", ...), error("ROOM_CONFLICT", ...),
# _failure(request, 429, "too_many_attempts", ...), GraphQLError(..., extensions={"code":
# ...})), `code=` keywords, `code = "..."` assignments, "code" keys of dicts, and the keys of a module's ERROR_CODES
# table (CSV import).
_ERROR_CALL = re.compile(r"(error|failure|located|refus|problem)", re.IGNORECASE)
_UPPER_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
_SIGN_IN_CODE = re.compile(r"^[a-z]+(?:_[a-z]+)+$")
# Composition errors are for operators running `yui schema`, management commands print to a
# terminal: neither reaches the portal.
_NOT_FOR_CLIENTS = {"migrations", "tests", "composition", "management"}


def _module_constants(tree: ast.Module) -> dict[str, str]:
    """NAME = "CODE" at module level: codes named once and used by name."""
    found: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and _UPPER_CODE.match(node.value.value)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def _codes_in(tree: ast.AST, constants: dict[str, str] | None = None) -> set[str]:
    """Codes written in this module; `constants` resolves codes passed by name (code=NAME,
    {"code": NAME})."""
    constants = constants or {}
    codes: set[str] = set()
    named: list[ast.expr] = []
    for node in ast.walk(tree):
        candidates: list[ast.expr] = []
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            candidates += [kw.value for kw in node.keywords if kw.arg == "code"]
            named += [kw.value for kw in node.keywords if kw.arg == "code"]
            if _ERROR_CALL.search(name):
                for arg in node.args:
                    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                        continue
                    if (_UPPER_CODE.match(arg.value) and len(arg.value) > 3) or (
                        name == "_failure" and _SIGN_IN_CODE.match(arg.value)
                    ):
                        candidates.append(arg)
        elif (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Dict)
            and any(
                isinstance(target, ast.Name) and target.id == "ERROR_CODES"
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
        ):
            candidates += [key for key in node.value.keys if key is not None]
        elif (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and _UPPER_CODE.match(node.value.value)
        ):
            candidates.append(node.value)
        elif isinstance(node, ast.Dict):
            values = [
                value
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and key.value == "code"
            ]
            candidates += values
            named += values
        codes |= {
            c.value for c in candidates if isinstance(c, ast.Constant) and isinstance(c.value, str)
        }
    codes |= {constants[n.id] for n in named if isinstance(n, ast.Name) and n.id in constants}
    return codes


def server_error_codes() -> dict[str, str]:
    """Every error code found in the server's code, with one file that uses it."""
    modules: dict[Path, ast.Module] = {}
    for package in ("subgraphs", "gateway", "yui"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if not _NOT_FOR_CLIENTS & set(path.relative_to(ROOT).parts):
                modules[path] = ast.parse(path.read_text(encoding="utf-8"))
    # Constants are imported across modules (errors.SERVICE_UNAVAILABLE): one table for all.
    constants: dict[str, str] = {}
    for tree in modules.values():
        constants.update(_module_constants(tree))
    found: dict[str, str] = {}
    for path, tree in modules.items():
        for code in _codes_in(tree, constants):
            found.setdefault(code, str(path.relative_to(ROOT)))
    return found


def test_every_error_code_of_the_server_is_listed_for_the_portal() -> None:
    listed = set(json.loads(API_CODES.read_text(encoding="utf-8")))
    found = server_error_codes()
    missing = {code: where for code, where in found.items() if code not in listed}
    assert not missing, (
        "error codes without a place in web/src/i18n/api-codes.json (add each there and a "
        f"message to web/src/i18n/ja.json and en.json as error.<CODE>): {missing}"
    )


def test_the_code_finder_finds_codes_as_the_server_writes_them() -> None:
    sample = ast.parse(
        "PeopleError('DUPLICATE', 'taken', 'name')\n"
        "error('ROOM_CONFLICT', '施設が', 'Room')\n"
        "_failure(request, 429, 'too_many_attempts', 'wait')\n"
        "GraphQLError('no', extensions={'code': 'FORBIDDEN'})\n"
        "Thing(code='NOT_FOUND')\n"
        "code = 'MAX_DEPTH_EXCEEDED'\n"
        "ERROR_CODES = {'NO_ROWS': 'a file without rows'}\n"
        "print('NOT_A_CODE')\n"
    )
    named = ast.parse("BUSY = 'SERVICE_UNAVAILABLE'\nfail(extensions={'code': BUSY})\n")
    assert _codes_in(named, _module_constants(named)) == {"SERVICE_UNAVAILABLE"}
    assert _codes_in(sample) == {
        "DUPLICATE",
        "ROOM_CONFLICT",
        "too_many_attempts",
        "FORBIDDEN",
        "NOT_FOUND",
        "NO_ROWS",
        "MAX_DEPTH_EXCEEDED",
    }
    found = server_error_codes()
    for code in ("ROOM_CONFLICT", "FORBIDDEN", "UNAUTHENTICATED", "invalid_credentials"):
        assert code in found, code


def test_api_schema_for_the_portal_matches_the_committed_supergraph() -> None:
    supergraph = Supergraph((ROOT / "schema" / "supergraph.graphql").read_text(encoding="utf-8"))
    committed = (ROOT / "schema" / "api.graphql").read_text(encoding="utf-8")
    assert committed == supergraph.api_sdl, "schema/api.graphql is stale: run `yui schema`"
    assert "join__" not in committed and "_entities" not in committed
