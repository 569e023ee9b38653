"""Random valid operations against every supergraph of the test bed (and Yui's own): the
planner never lets an exception escape, and every error a client gets carries a code.

Operations are generated from each API schema, seeded (the same operations every run) and
bounded in number: random field selections a few levels deep, aliases, inline fragments on
interface and union members, named fragments, and arguments passed through variables.
Suites whose subgraphs run in-process are executed too, so the executor is covered as well.
"""

from __future__ import annotations

import importlib
import logging
import random
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    parse,
    validate,
)

from gateway.engine import Gateway
from gateway.transports import InProcessTransport
from tests.gateway.fixtures.suites import SUITES, supergraph_path

OPERATIONS_PER_SUPERGRAPH = 80
MAX_DEPTH = 3
YUI_SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"


def _named(gtype: Any) -> Any:
    while isinstance(gtype, GraphQLNonNull | GraphQLList):
        gtype = gtype.of_type
    return gtype


class _Generator:
    """One random operation at a time from an API schema (fields, aliases, arguments from
    variables, inline and named fragments, @include/@skip on fields and fragments)."""

    def __init__(self, schema: GraphQLSchema, rng: random.Random):
        self.schema = schema
        self.rng = rng

    def operation(self) -> tuple[str, dict[str, Any]]:
        self.variables: dict[str, tuple[str, Any]] = {}
        self.fragments: list[str] = []
        query = self.schema.query_type
        assert query is not None
        body = self.selection_set(query, MAX_DEPTH, top=True)
        definitions = ", ".join(f"${name}: {text}" for name, (text, _) in self.variables.items())
        head = f"query Fuzz({definitions})" if definitions else "query Fuzz"
        document = "\n".join([f"{head} {body}", *self.fragments])
        return document, {name: value for name, (_, value) in self.variables.items()}

    def value(self, gtype: Any, depth: int = 0) -> Any:
        if isinstance(gtype, GraphQLNonNull):
            return self.value(gtype.of_type, depth)
        if isinstance(gtype, GraphQLList):
            return [self.value(gtype.of_type, depth)]
        if isinstance(gtype, GraphQLEnumType):
            return self.rng.choice(list(gtype.values))
        if isinstance(gtype, GraphQLInputObjectType):
            return {
                name: self.value(f.type, depth + 1)
                for name, f in gtype.fields.items()
                if isinstance(f.type, GraphQLNonNull) or (depth < 2 and self.rng.random() < 0.3)
            }
        assert isinstance(gtype, GraphQLScalarType)
        return {
            "Int": self.rng.randint(0, 3),
            "Float": 1.5,
            "Boolean": self.rng.random() < 0.5,
            "ID": self.rng.choice(["1", "b1", "m1", "p1", "u1"]),
        }.get(gtype.name, "x")

    def arguments(self, fdef: Any) -> str:
        parts = []
        for name, arg in fdef.args.items():
            required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
            if not required and self.rng.random() < 0.6:
                continue
            variable = f"v{len(self.variables)}"
            self.variables[variable] = (str(arg.type), self.value(arg.type))
            parts.append(f"{name}: ${variable}")
        return f"({', '.join(parts)})" if parts else ""

    def field(self, name: str, fdef: Any, depth: int) -> str | None:
        child = _named(fdef.type)
        composite = isinstance(child, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        if composite and depth <= 0:
            return None
        alias = f"a{self.rng.randint(0, 999)}: " if self.rng.random() < 0.15 else ""
        text = f"{alias}{name}{self.arguments(fdef)}"
        if composite:
            return f"{text} {self.selection_set(child, depth - 1)}"
        return text

    def selection_set(self, gtype: Any, depth: int, top: bool = False) -> str:
        parts: list[str] = []
        if isinstance(gtype, GraphQLObjectType | GraphQLInterfaceType):
            names = [n for n in gtype.fields if not n.startswith("__")]
            self.rng.shuffle(names)
            for name in names[: self.rng.randint(1, 4)]:
                text = self.field(name, gtype.fields[name], depth)
                if text is not None:
                    parts.append(text)
        if isinstance(gtype, GraphQLInterfaceType | GraphQLUnionType):
            for member in self.schema.get_possible_types(gtype):
                if self.rng.random() < 0.6:
                    inner = self.selection_set(member, depth)
                    if self.rng.random() < 0.3:
                        fragment = f"F{len(self.fragments)}"
                        self.fragments.append(f"fragment {fragment} on {member.name} {inner}")
                        parts.append(f"...{fragment}")
                    else:
                        parts.append(f"... on {member.name} {inner}")
        if parts and self.rng.random() < 0.2:
            # A conditional part: @include/@skip on a fragment (at the root too) or a field.
            variable = f"v{len(self.variables)}"
            self.variables[variable] = ("Boolean!", self.rng.random() < 0.5)
            directive = self.rng.choice(["include", "skip"])
            index = self.rng.randrange(len(parts))
            part = parts[index]
            if part.startswith("...") or self.rng.random() < 0.5:
                parts[index] = f"... @{directive}(if: ${variable}) {{ {part} }}"
            else:  # on the field: before its selection set, after its arguments
                head, brace, body = part.partition(" {")
                parts[index] = f"{head} @{directive}(if: ${variable}){brace}{body}"
        if not top and (not parts or self.rng.random() < 0.3):
            parts.append("__typename")
        if not parts:
            parts.append("__typename")
        return "{ " + " ".join(parts) + " }"


def _supergraphs() -> list[Any]:
    params = [pytest.param(suite, id=suite) for suite in SUITES]
    params.append(pytest.param("yui", id="yui"))
    return params


def _sdl(name: str) -> str:
    path = YUI_SUPERGRAPH if name == "yui" else supergraph_path(name)
    return path.read_text(encoding="utf-8")


def _in_process_transports(name: str) -> dict[str, Any] | None:
    if name == "yui" or not all(s.module for s in SUITES[name]):
        return None
    return {
        s.name: InProcessTransport(importlib.import_module(s.module).schema)  # type: ignore[arg-type]
        for s in SUITES[name]
    }


def _assert_coded(payload: dict[str, Any], document: str) -> None:
    for error in payload.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert code, f"an error without a code: {error}\n{document}"
        assert code != "INTERNAL", f"the gateway failed on a valid operation:\n{document}"


@pytest.mark.parametrize("name", _supergraphs())
async def test_random_valid_operations_plan_and_run_without_escaping_exceptions(name, caplog):
    # Subgraph resolvers' errors (random ids, required values) are expected: not logged.
    caplog.set_level(logging.CRITICAL, logger="strawberry.execution")
    transports = _in_process_transports(name)
    gateway = Gateway(_sdl(name), transports or {})
    generator = _Generator(gateway.schema, random.Random(f"fuzz:{name}"))  # noqa: S311 (seeded test data)
    tried = planned = 0
    for _ in range(OPERATIONS_PER_SUPERGRAPH * 3):
        if tried == OPERATIONS_PER_SUPERGRAPH:
            break
        document, variables = generator.operation()
        if validate(gateway.schema, parse(document)):
            continue  # e.g. two aliases that happen to collide: not a valid operation
        tried += 1
        if transports is None:
            # No subgraphs to call: planning alone, through the engine's public entry.
            try:
                prepared = gateway.prepare(document, None)
            except Exception as exc:
                errors = getattr(exc, "errors", None)
                assert errors is not None, f"{exc!r} escaped planning:\n{document}"
                _assert_coded({"errors": errors}, document)
                continue
            assert prepared.plan.fetches or prepared.plan.local_root_fields
            planned += 1
            continue
        result = await gateway.execute(document, variables)
        _assert_coded(result.payload, document)
        if not result.request_error:
            planned += 1
    assert tried == OPERATIONS_PER_SUPERGRAPH
    # Every generated operation is valid: the planner serves (almost) all of them.
    assert planned >= tried * 0.9, f"only {planned} of {tried} planned"
