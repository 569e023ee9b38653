"""What the mail subgraph asks the people subgraph, always as the caller (so people applies
its own tenancy: a person or department of another municipality comes back as null).

Asked before a transaction opens, by the GraphQL layer: a transaction cannot be held
across async calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from subgraphs.core import peers
from subgraphs.core.principal import Principal
from subgraphs.mail.access import as_uuid

MAX_DIRECTORY_IDS = 50


@dataclass(frozen=True)
class Staff:
    id: uuid.UUID
    login_id: str
    name: str
    is_active: bool = True


@dataclass(frozen=True)
class Me:
    staff: Staff
    tenant_slug: str
    departments: frozenset[uuid.UUID]


ME = """{ me { id loginId name isActive department { id } additionalDepartments { id } }
  tenant { slug } }"""


async def me(principal: Principal) -> Me | None:
    """The signed-in person (login ID, name, departments) and their tenant's slug."""
    found = await peers.ask("people", principal, ME)
    person, tenant = found.get("me"), found.get("tenant")
    if not person or not tenant:
        return None
    departments = [person.get("department"), *(person.get("additionalDepartments") or [])]
    return Me(
        staff=Staff(uuid.UUID(person["id"]), person["loginId"], person["name"], person["isActive"]),
        tenant_slug=tenant["slug"],
        departments=frozenset(uuid.UUID(d["id"]) for d in departments if d),
    )


MY_DEPARTMENTS = "{ me { department { id } additionalDepartments { id } } }"


async def department_ids_of(principal: Principal) -> frozenset[uuid.UUID]:
    """The principal's main and additional (兼務) departments; empty if none."""
    if not principal.is_authenticated:
        return frozenset()
    person = (await peers.ask("people", principal, MY_DEPARTMENTS)).get("me") or {}
    found = [person.get("department"), *(person.get("additionalDepartments") or [])]
    return frozenset(uuid.UUID(d["id"]) for d in found if d)


async def staff_by_login(principal: Principal, logins: Sequence[str]) -> dict[str, Staff]:
    """Active staff of the principal's municipality whose login ID is one of ``logins``
    (compared without case), by lower-cased login ID."""
    wanted = list(dict.fromkeys(login.lower() for login in logins if login))[:MAX_DIRECTORY_IDS]
    if not wanted:
        return {}
    declared = ", ".join(f"$l{i}: String!" for i in range(len(wanted)))
    fields = " ".join(
        f"l{i}: people(search: $l{i}, first: 20) {{ nodes {{ id loginId name isActive }} }}"
        for i in range(len(wanted))
    )
    variables = {f"l{i}": login for i, login in enumerate(wanted)}
    found = await peers.ask("people", principal, f"query({declared}) {{ {fields} }}", variables)
    staff: dict[str, Staff] = {}
    for i, login in enumerate(wanted):
        for node in (found.get(f"l{i}") or {}).get("nodes") or []:
            if node["loginId"].lower() == login and node["isActive"]:
                staff[login] = Staff(uuid.UUID(node["id"]), node["loginId"], node["name"])
    return staff


async def active_persons(principal: Principal, ids: Sequence[object]) -> dict[uuid.UUID, Staff]:
    """Those of ``ids`` that are active staff of the principal's municipality."""
    wanted = [pk for pk in dict.fromkeys(as_uuid(i) for i in ids) if pk is not None]
    wanted = wanted[: MAX_DIRECTORY_IDS + 1]
    if not wanted:
        return {}
    declared = ", ".join(f"$p{i}: ID!" for i in range(len(wanted)))
    fields = " ".join(
        f"p{i}: person(id: $p{i}) {{ id loginId name isActive }}" for i in range(len(wanted))
    )
    variables = {f"p{i}": str(pk) for i, pk in enumerate(wanted)}
    found = await peers.ask("people", principal, f"query({declared}) {{ {fields} }}", variables)
    staff: dict[uuid.UUID, Staff] = {}
    for i, pk in enumerate(wanted):
        node = found.get(f"p{i}")
        if node and node["isActive"]:
            staff[pk] = Staff(pk, node["loginId"], node["name"])
    return staff


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


async def search_staff(principal: Principal, text: str, first: int) -> list[Staff]:
    """Active staff matching ``text`` (name, reading, login ID, e-mail), directory order."""
    query = """query($s: String!, $n: Int!) { people(search: $s, first: $n) {
      nodes { id loginId name isActive } } }"""
    found = await peers.ask_field("people", principal, query, {"s": text, "n": first})
    return [
        Staff(uuid.UUID(n["id"]), n["loginId"], n["name"]) for n in found["nodes"] if n["isActive"]
    ]
