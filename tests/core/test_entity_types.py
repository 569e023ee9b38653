"""``_Entity`` told apart by the object's own type (SubgraphSchema): the same answers as
Strawberry's own resolver, which still decides for anything but a plain member object."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import strawberry

from subgraphs.core.graphql.schema import ExactEntityTypes, SubgraphSchema


@strawberry.federation.type(keys=["id"])
class Room:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Room:
        return cls(id=id, name=f"会議室{id}")


@strawberry.federation.type(keys=["id"])
class Car:
    id: strawberry.ID
    plate: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Any:
        if id == "cast":  # an alike object, cast: only Strawberry's resolver knows it
            return strawberry.cast(Car, SimpleNamespace(id=id, plate="公用車 1"))
        return cls(id=id, plate=f"福岡 300 さ {id}")


@strawberry.type
class Query:
    @strawberry.field
    def version(self) -> str:
        return "1"


QUERY = """query($r: [_Any!]!) { _entities(representations: $r) {
  __typename ... on Room { id name } ... on Car { id plate } } }"""
REPRESENTATIONS = [
    {"__typename": "Room", "id": "1"},
    {"__typename": "Car", "id": "7"},
    {"__typename": "Room", "id": "2"},
    {"__typename": "Car", "id": "cast"},
]


def _answer(schema: Any) -> Any:
    # Strawberry takes `__typename` out of each representation: a fresh copy each time.
    representations = [dict(r) for r in REPRESENTATIONS]
    result = schema.execute_sync(QUERY, variable_values={"r": representations})
    return result.data, [e.message for e in result.errors or []]


def test_same_answers_as_strawberrys_resolver(monkeypatch) -> None:
    ours = SubgraphSchema(query=Query, types=[Room, Car])
    theirs = strawberry.federation.Schema(query=Query, types=[Room, Car])
    resolver = ours._schema.type_map["_Entity"].resolve_type
    assert isinstance(resolver, ExactEntityTypes)
    asked: list[str] = []
    strawberry_resolver = resolver._strawberry

    def counted(root: Any, info: Any, abstract_type: Any) -> Any:
        asked.append(type(root).__name__)
        return strawberry_resolver(root, info, abstract_type)

    monkeypatch.setattr(resolver, "_strawberry", counted)
    answer = _answer(ours)
    assert answer == _answer(theirs)
    data, errors = answer
    assert errors == []
    assert data["_entities"] == [
        {"__typename": "Room", "id": "1", "name": "会議室1"},
        {"__typename": "Car", "id": "7", "plate": "福岡 300 さ 7"},
        {"__typename": "Room", "id": "2", "name": "会議室2"},
        {"__typename": "Car", "id": "cast", "plate": "公用車 1"},
    ]
    assert asked == ["SimpleNamespace"]  # only the cast object went Strawberry's way
