"""GraphQL types of the people subgraph. ``Person`` and ``Organization`` are federation
entities keyed by ``id``; their ``resolve_reference`` goes through the per-operation,
tenant-scoped DataLoaders, so a batch of representations costs one SQL query."""

from __future__ import annotations

import base64
from datetime import date as datetime_date
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
import strawberry_django
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.principal import (
    ROLE_COUNCIL_LIAISON,
    ROLE_FACILITY_ADMIN,
    ROLE_STAFF,
    ROLE_TENANT_ADMIN,
)
from subgraphs.core.tenancy import TenantScopedType
from subgraphs.people import models
from subgraphs.people.graphql import loaders


@strawberry.enum(name="Role", description="What a staff member may do beyond reading.")
class RoleEnum(Enum):
    TENANT_ADMIN = ROLE_TENANT_ADMIN
    FACILITY_ADMIN = strawberry.enum_value(
        ROLE_FACILITY_ADMIN,
        description="施設管理者: approves 仮予約 of the facilities its departments own.",
    )
    COUNCIL_LIAISON = strawberry.enum_value(
        ROLE_COUNCIL_LIAISON,
        description="協議会担当: sends surveys and circulations to the council's member "
        "municipalities.",
    )
    STAFF = ROLE_STAFF


@strawberry.type(name="Council", description="A council (協議会) of municipalities.")
class CouncilType:
    id: strawberry.ID
    name: str


@strawberry_django.type(models.Tenant, name="Tenant", description="A municipality.")
class TenantType:
    id: strawberry.ID
    code: str = strawberry.field(description="6-digit local government code, e.g. 402125.")
    slug: str
    name: str

    @strawberry.field
    def council(self, root: models.Tenant) -> CouncilType | None:
        # Loaded with select_related by every query returning a tenant.
        council = root.council
        return (
            CouncilType(id=strawberry.ID(str(council.id)), name=council.name) if council else None
        )


@strawberry_django.federation.type(
    models.Organization, name="Organization", keys=["id"], description="A department (部/課/係)."
)
class OrganizationType(TenantScopedType):
    id: strawberry.ID
    code: str = strawberry.field(description="Department code, a string: 001 stays 001.")
    name: str
    name_kana: str = strawberry.field(description="Reading in full-width katakana.")
    sort_order: int
    is_active: bool
    depth: int = strawberry.field(description="0 for a top-level department.")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Any:
        return await context_of(info).loader(loaders.make_organization_by_id_loader).load(id)

    @strawberry.field
    async def parent(self, root: models.Organization, info: Info) -> OrganizationType | None:
        if root.parent_id is None:
            return None
        loader = context_of(info).loader(loaders.make_organization_by_id_loader)
        return await loader.load(root.parent_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Departments directly below, in display order.")
    async def children(
        self, root: models.Organization, info: Info, include_inactive: bool = False
    ) -> list[OrganizationType]:
        loader = context_of(info).loader(loaders.make_children_by_organization_loader)
        children = await loader.load(root.id)
        return [c for c in children if include_inactive or c.is_active]

    @strawberry.field(description="Active staff whose primary department this is.")
    async def members(self, root: models.Organization, info: Info) -> list[PersonType]:
        loader = context_of(info).loader(loaders.make_members_by_organization_loader)
        return await loader.load(root.id)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Staff whose primary department this was on a day (人事異動 history): "
        "for a past week, who was there then, including staff who have left since."
    )
    async def members_on(
        self, root: models.Organization, info: Info, date: datetime_date
    ) -> list[PersonType]:
        from subgraphs.people import reorg  # reorg imports the CSV import, which needs types

        found = await sync_to_async(reorg.members_on)(principal_of(info), root.id, date)
        return found  # type: ignore[return-value]

    @strawberry.field(
        description="Staff whose primary department this was at any time of [start, end) "
        "(Japanese days): a department week's rows, last year's as they were then."
    )
    async def members_during(
        self, root: models.Organization, info: Info, start: datetime, end: datetime
    ) -> list[PersonType]:
        from subgraphs.people import reorg

        first, last = reorg.japan_days(start, end)
        found = await sync_to_async(reorg.members_during)(principal_of(info), root.id, first, last)
        return found  # type: ignore[return-value]


@strawberry_django.type(models.Group, name="Group", description="Staff across departments.")
class GroupType(TenantScopedType):
    id: strawberry.ID
    name: str
    description: str

    @strawberry.field
    async def members(self, root: models.Group, info: Info) -> list[PersonType]:
        loader = context_of(info).loader(loaders.make_members_by_group_loader)
        return await loader.load(root.id)  # type: ignore[no-any-return]


@strawberry_django.federation.type(
    models.Person, name="Person", keys=["id"], description="A staff member."
)
class PersonType(TenantScopedType):
    id: strawberry.ID
    login_id: str
    name: str
    name_kana: str = strawberry.field(description="Reading in full-width katakana.")
    email: str
    extension: str = strawberry.field(description="Extension number (内線).")
    title: str = strawberry.field(description="Title (役職), e.g. 課長.")
    title_code: str = strawberry.field(description="Title code; lower ranks first.")
    sort_order: int
    is_active: bool

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Any:
        return await context_of(info).loader(loaders.make_person_by_id_loader).load(id)

    @strawberry_django.field(
        only=["name", "is_active"],
        description="The name to show in records: a leaver's marked, e.g. 佐藤 次郎(退職).",
    )
    def display_name(self, root: models.Person) -> str:
        from subgraphs.people.leavers import display_name

        return display_name(root)

    @strawberry.field
    async def tenant(self, root: models.Person, info: Info) -> TenantType | None:
        loader = context_of(info).loader(loaders.make_tenant_by_id_loader)
        return await loader.load(root.tenant_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Primary department (所属).")
    async def department(self, root: models.Person, info: Info) -> OrganizationType | None:
        if root.department_id is None:
            return None
        loader = context_of(info).loader(loaders.make_organization_by_id_loader)
        return await loader.load(root.department_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Additional departments (兼務).")
    async def additional_departments(
        self, root: models.Person, info: Info
    ) -> list[OrganizationType]:
        loader = context_of(info).loader(loaders.make_additional_departments_by_person_loader)
        return await loader.load(root.id)  # type: ignore[no-any-return]

    @strawberry.field
    async def groups(self, root: models.Person, info: Info) -> list[GroupType]:
        loader = context_of(info).loader(loaders.make_groups_by_person_loader)
        return await loader.load(root.id)  # type: ignore[no-any-return]

    @strawberry.field
    async def roles(self, root: models.Person, info: Info) -> list[RoleEnum]:
        loader = context_of(info).loader(loaders.make_roles_by_person_loader)
        return [RoleEnum(r) for r in await loader.load(root.id)]

    @strawberry.field(
        description="Whether you must choose your own password before anything else (an "
        "administrator issued the current one). Your own account only; null for others."
    )
    def must_change_password(self, root: models.Person, info: Info) -> bool | None:
        if principal_of(info).person_id != root.id:
            return None
        return root.must_change_password

    @strawberry.field(description="Whether the account can sign in (administrators only).")
    def has_password(self, root: models.Person, info: Info) -> bool | None:
        principal = principal_of(info)
        if not (principal.is_tenant_admin or principal.person_id == root.id):
            return None
        return root.has_usable_password()


@strawberry.type(name="PageInfo")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(name="PersonEdge")
class PersonEdge:
    cursor: str
    node: PersonType


@strawberry.type(name="PersonConnection")
class PersonConnection:
    total_count: int
    edges: list[PersonEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[PersonType]:
        return [edge.node for edge in self.edges]


# No directory has a billion entries; a larger offset is no cursor we handed out, and the
# databases refuse one beyond 64 bits (SQLite: "datatype mismatch").
MAX_CURSOR_OFFSET = 10**9


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The offset a cursor names; ValueError for anything we did not hand out."""
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        offset = int(number)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("Invalid cursor.") from exc
    if kind != "o" or not 0 <= offset <= MAX_CURSOR_OFFSET:
        raise ValueError("Invalid cursor.")
    return offset


@strawberry.type(
    name="AccessToken", description="A personal access token (the token itself is shown once)."
)
class AccessTokenType:
    id: strawberry.ID
    name: str
    hint: str = strawberry.field(description="The first characters of the token.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    scopes: list[str] = strawberry.field(
        description="read, read:<subgraph> (e.g. read:calendar), write; read and write: full."
    )
    rate_limit_per_minute: int | None = strawberry.field(
        description="Requests a minute at /graphql (429 over it); null: not limited."
    )
    trusted_documents: list[TrustedDocumentType] = strawberry.field(
        description="Once a token has any, it runs only these operations (administrators)."
    )

    @classmethod
    def from_model(cls, token: models.AccessToken) -> AccessTokenType:
        return cls(
            id=strawberry.ID(str(token.id)),
            name=token.name,
            hint=token.hint,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            scopes=list(token.scopes or ()),
            rate_limit_per_minute=token.rate_limit_per_minute,
            trusted_documents=[
                TrustedDocumentType(
                    sha256=d.sha256, name=d.name, document=d.document, created_at=d.created_at
                )
                for d in token.trusted_documents.all()
            ],
        )


@strawberry.type(name="TrustedDocument", description="An operation an access token may run.")
class TrustedDocumentType:
    sha256: str = strawberry.field(
        description="Send it as extensions.persistedQuery.sha256Hash instead of the query."
    )
    name: str
    document: str
    created_at: datetime


@strawberry.type(name="PeopleError", description="Why a people mutation changed nothing.")
class PeopleErrorType:
    code: str = strawberry.field(
        description="REQUIRED, INVALID, DUPLICATE, NOT_FOUND, CONFLICT ..."
    )
    message: str
    field: str | None = strawberry.field(description="The input field at fault, if one.")


@strawberry_django.type(
    models.Link,
    name="Link",
    description="An entry of the municipality's link collection (リンク集) on the portal.",
)
class LinkType(TenantScopedType):
    id: strawberry.ID
    title: str
    url: str = strawberry.field(description="An http:// or https:// address.")
    description: str
    category: str = strawberry.field(
        description="The heading the portal lists it under; empty: none."
    )
    sort_order: int
    opens_in_new_tab: bool
