"""Tests of the presence subgraph (在席状況). Helpers shared by its test modules live here."""

from __future__ import annotations

from subgraphs.core.principal import ROLE_STAFF, Principal
from subgraphs.people import actions as people_actions
from subgraphs.people.models import Person
from tests.conftest import GraphQLClient, Municipality

PRESENCE_URL = "/subgraphs/presence/graphql"

PRESENCE_FIELDS = "status label message backAt updatedAt version person { id }"
MY_PRESENCE = f"{{ myPresence {{ {PRESENCE_FIELDS} }} }}"
PRESENCES = f"query($ids: [ID!]!) {{ presences(personIds: $ids) {{ {PRESENCE_FIELDS} }} }}"
SET_MY_PRESENCE = f"""
mutation($input: SetPresenceInput!) {{
  setMyPresence(input: $input) {{ presence {{ {PRESENCE_FIELDS} }} errors {{ code field message }} }}
}}
"""
ENTITIES = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) { __typename ... on Person { id presence { status message version } } }
}
"""


def presence_api(m: Municipality, person: Person | str) -> GraphQLClient:
    """A client of the presence endpoint signed in as ``person`` with a bearer token."""
    if isinstance(person, str):
        person = m.people[person]
    token = people_actions.do_create_access_token(person, "presence tests", None).extra["token"]
    return GraphQLClient(token, url=PRESENCE_URL)


def principal_of(person: Person) -> Principal:
    """The principal the edge builds for an ordinary staff member (no DB access: async-safe)."""
    return Principal(
        tenant_id=person.tenant_id, person_id=person.id, roles=frozenset({ROLE_STAFF}), via="test"
    )


def unset(person: Person) -> dict[str, object]:
    """What everyone sees of a person who never set a status (or of a person they may not see)."""
    return {
        "status": "UNSET",
        "label": "未設定",
        "message": "",
        "backAt": None,
        "updatedAt": None,
        "version": 0,
        "person": {"id": str(person.id)},
    }
