"""What the notices subgraph asks the people subgraph: who an audience is, and where the
poster works.

The notices subgraph owns no people (DESIGN rule 1), so it asks people through
``subgraphs.core.peers`` as the caller: people applies its own tenancy, so a department,
group or person of another municipality comes back as null, exactly like an ID of nothing.

An audience is a snapshot taken when the notice is posted (like a calendar event's
attendees by department): the whole municipality is its active staff; a department is its
active staff, main post or 兼務 (people's directory listing), optionally with its
sub-departments; a group is its active members. Someone who joins later is not a recipient.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from subgraphs.core import peers
from subgraphs.core.principal import Principal
from subgraphs.notices.access import as_uuid

MAX_DIRECTORY_IDS = 50  # departments or groups in one audience
MAX_PERSON_IDS = 500  # persons named one by one
MAX_RECIPIENTS = 10_000  # a whole municipality of the council's size, with room
PAGE = 500  # people's largest directory page


@dataclass(frozen=True)
class AudienceError:
    code: str
    message: str
    field: str


@dataclass(frozen=True)
class Audience:
    """Who a notice, circulation or survey is for, as the sender chose it."""

    everyone: bool = False
    departments: tuple[tuple[uuid.UUID, bool], ...] = ()  # (department, with sub-departments)
    groups: tuple[uuid.UUID, ...] = ()
    persons: tuple[uuid.UUID, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "everyone": self.everyone,
            "departments": [{"id": str(d), "include_sub": sub} for d, sub in self.departments],
            "groups": [str(g) for g in self.groups],
            "persons": [str(p) for p in self.persons],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            everyone=bool(data.get("everyone")),
            departments=tuple(
                (uuid.UUID(d["id"]), bool(d.get("include_sub")))
                for d in data.get("departments") or []
            ),
            groups=tuple(uuid.UUID(g) for g in data.get("groups") or []),
            persons=tuple(uuid.UUID(p) for p in data.get("persons") or []),
        )

    @property
    def is_empty(self) -> bool:
        return not (self.everyone or self.departments or self.groups or self.persons)


@dataclass
class Expansion:
    person_ids: list[uuid.UUID] = field(default_factory=list)
    errors: list[AudienceError] = field(default_factory=list)


def parse_audience(
    everyone: bool,
    departments: Sequence[tuple[object, bool]],
    groups: Sequence[object],
    persons: Sequence[object],
) -> tuple[Audience | None, list[AudienceError]]:
    """The audience with every ID a UUID, once each; errors for malformed or too many."""
    errors: list[AudienceError] = []

    def ids(values: Sequence[object], name: str) -> list[uuid.UUID]:
        found = [as_uuid(v) for v in values]
        if any(v is None for v in found):
            errors.append(AudienceError("INVALID", "Not an ID.", name))
        return list(dict.fromkeys(v for v in found if v is not None))

    department_ids = ids([d for d, _ in departments], "departments")
    with_sub = {as_uuid(d): bool(sub) for d, sub in departments}
    group_ids, person_ids = ids(groups, "groupIds"), ids(persons, "personIds")
    for name, values, limit in (
        ("departments", department_ids, MAX_DIRECTORY_IDS),
        ("groupIds", group_ids, MAX_DIRECTORY_IDS),
        ("personIds", person_ids, MAX_PERSON_IDS),
    ):
        if len(values) > limit:
            errors.append(AudienceError("TOO_MANY", f"Give at most {limit} at once.", name))
    if errors:
        return None, errors
    audience = Audience(
        everyone=everyone,
        departments=tuple((d, with_sub[d]) for d in department_ids),
        groups=tuple(group_ids),
        persons=tuple(person_ids),
    )
    if audience.is_empty:
        return None, [AudienceError("NO_RECIPIENTS", "Choose who it is for.", "audience")]
    return audience, []


_PAGE_FIELDS = "edges { node { id } } pageInfo { hasNextPage endCursor }"


def _first_query(audience: Audience) -> tuple[str, dict[str, Any]]:
    variables: dict[str, Any] = {}
    declared: list[str] = []
    fields: list[str] = []
    if audience.everyone:
        fields.append(f"all: people(first: {PAGE}) {{ {_PAGE_FIELDS} }}")
    for i, (pk, sub) in enumerate(audience.departments):
        declared += [f"$d{i}: ID!", f"$s{i}: Boolean!"]
        variables |= {f"d{i}": str(pk), f"s{i}": sub}
        fields.append(f"d{i}: organization(id: $d{i}) {{ id }}")
        fields.append(
            f"m{i}: people(departmentId: $d{i}, includeSubDepartments: $s{i}, first: {PAGE}) "
            f"{{ {_PAGE_FIELDS} }}"
        )
    for i, pk in enumerate(audience.groups):
        declared.append(f"$g{i}: ID!")
        variables[f"g{i}"] = str(pk)
        fields.append(f"g{i}: group(id: $g{i}) {{ members {{ id isActive }} }}")
    for i, pk in enumerate(audience.persons):
        declared.append(f"$p{i}: ID!")
        variables[f"p{i}"] = str(pk)
        fields.append(f"p{i}: person(id: $p{i}) {{ id isActive }}")
    head = f"query({', '.join(declared)})" if declared else "query"
    return f"{head} {{ {' '.join(fields)} }}", variables


def _rest_query() -> str:
    return (
        "query($d: ID, $s: Boolean!, $after: String) { people(departmentId: $d, "
        f"includeSubDepartments: $s, first: {PAGE}, after: $after) {{ {_PAGE_FIELDS} }} }}"
    )


async def _rest_of(
    principal: Principal, page: dict[str, Any], department: str | None, sub: bool
) -> list[str]:
    """The IDs of a directory listing, following its pages after the first."""
    ids = [e["node"]["id"] for e in page["edges"]]
    info = page["pageInfo"]
    while info["hasNextPage"] and len(ids) <= MAX_RECIPIENTS:
        found = await peers.ask_field(
            "people",
            principal,
            _rest_query(),
            {"d": department, "s": sub, "after": info["endCursor"]},
        )
        ids += [e["node"]["id"] for e in found["edges"]]
        info = found["pageInfo"]
    return ids


async def expand_audience(principal: Principal, audience: Audience) -> Expansion:
    """Everyone the audience names, once each, in the order given (people's directory
    order within a department); errors for IDs people does not know in this tenant."""
    query, variables = _first_query(audience)
    found = await peers.ask("people", principal, query, variables)
    errors = [
        AudienceError("NOT_FOUND", f"No department {pk} in your municipality.", "departments")
        for i, (pk, _) in enumerate(audience.departments)
        if found.get(f"d{i}") is None
    ]
    errors += [
        AudienceError("NOT_FOUND", f"No group {pk} in your municipality.", "groupIds")
        for i, pk in enumerate(audience.groups)
        if found.get(f"g{i}") is None
    ]
    errors += [
        AudienceError("NOT_FOUND", f"No staff member {pk} in your municipality.", "personIds")
        for i, pk in enumerate(audience.persons)
        if found.get(f"p{i}") is None
    ]
    if errors:
        return Expansion(errors=errors)
    ids: list[str] = []
    if audience.everyone:
        ids += await _rest_of(principal, found["all"], None, False)
    for i, (pk, sub) in enumerate(audience.departments):
        ids += await _rest_of(principal, found[f"m{i}"], str(pk), sub)
    for i in range(len(audience.groups)):
        ids += [m["id"] for m in found[f"g{i}"]["members"] if m["isActive"]]
    # A person named one by one who has left is not sent anything (nobody would read it).
    ids += [
        found[f"p{i}"]["id"] for i in range(len(audience.persons)) if found[f"p{i}"]["isActive"]
    ]
    unique = list(dict.fromkeys(uuid.UUID(i) for i in ids))
    if len(unique) > MAX_RECIPIENTS:
        message = f"That is {len(unique)} people: at most {MAX_RECIPIENTS}."
        return Expansion(errors=[AudienceError("TOO_MANY", message, "audience")])
    return Expansion(person_ids=unique)


MY_DEPARTMENTS = "{ me { department { id } additionalDepartments { id } } }"


async def department_ids_of(principal: Principal) -> frozenset[uuid.UUID]:
    """The principal's main and additional (兼務) departments; empty if none."""
    if not principal.is_authenticated:
        return frozenset()
    me = (await peers.ask("people", principal, MY_DEPARTMENTS)).get("me") or {}
    found = [me.get("department"), *(me.get("additionalDepartments") or [])]
    return frozenset(uuid.UUID(d["id"]) for d in found if d)


async def unknown_departments(principal: Principal, ids: Sequence[object]) -> list[str]:
    """Those of ``ids`` that are no department of the principal's municipality."""
    wanted = [str(i) for i in dict.fromkeys(ids)][: MAX_DIRECTORY_IDS + 1]
    if not wanted:
        return []
    if any(as_uuid(i) is None for i in wanted):
        return [i for i in wanted if as_uuid(i) is None]
    declared = ", ".join(f"$d{i}: ID!" for i in range(len(wanted)))
    fields = " ".join(f"d{i}: organization(id: $d{i}) {{ id }}" for i in range(len(wanted)))
    variables = {f"d{i}": pk for i, pk in enumerate(wanted)}
    found = await peers.ask("people", principal, f"query({declared}) {{ {fields} }}", variables)
    return [pk for i, pk in enumerate(wanted) if found.get(f"d{i}") is None]
