"""Read side of the people subgraph."""

from __future__ import annotations

import base64
from typing import Annotated

import strawberry
from asgiref.sync import sync_to_async
from django.db.models import F, Q
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.core.graphql.context import principal_of
from subgraphs.core.graphql.errors import require_authenticated, require_tenant_admin
from subgraphs.core.principal import Principal
from subgraphs.people import access
from subgraphs.people.csv_io import KINDS, export_csv
from subgraphs.people.graphql.inputs import CsvKind
from subgraphs.people.graphql.types import (
    AccessTokenType,
    GroupType,
    LinkType,
    OrganizationType,
    PageInfo,
    PersonConnection,
    PersonEdge,
    PersonType,
    TenantType,
    decode_cursor,
    encode_cursor,
)
from subgraphs.people.kana import search_key
from subgraphs.people.models import (
    AccessToken,
    Group,
    Link,
    Organization,
    Person,
    PersonAdditionalDepartment,
)

MAX_PAGE_SIZE = 500


def directory_order() -> list[object]:
    """Department display order, then rank (title code), then display order (DESIGN)."""
    return [
        F("department__tree_rank").asc(nulls_last=True),
        "title_rank",
        "sort_order",
        "login_id",
    ]


def search_people(
    principal: Principal,
    *,
    department_id: str | None,
    include_sub_departments: bool,
    search: str | None,
    include_inactive: bool,
    first: int,
    after: str | None,
) -> PersonConnection:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(
            f"first must be between 0 and {MAX_PAGE_SIZE}.", extensions={"code": "BAD_USER_INPUT"}
        )
    try:
        offset = decode_cursor(after) + 1 if after else 0
    except ValueError as exc:
        raise GraphQLError(str(exc), extensions={"code": "BAD_USER_INPUT"}) from exc
    people = Person.objects.for_principal(principal)
    if not include_inactive:
        people = people.filter(is_active=True)
    if department_id is not None:
        org = access.access_organization_by_id(principal, department_id)
        if org is None:
            people = people.none()
        else:
            departments = Organization.objects.for_principal(principal)
            departments = (
                departments.filter(tree_path__startswith=org.tree_path)
                if include_sub_departments
                else departments.filter(id=org.id)
            )
            # Staff with an additional post (兼務) there are listed too.
            concurrent = PersonAdditionalDepartment.objects.for_principal(principal).filter(
                organization__in=departments
            )
            people = people.filter(
                Q(department__in=departments) | Q(id__in=concurrent.values("person_id"))
            )
    for term in (search or "").split():
        people = people.filter(search_text__contains=search_key(term))
    total = people.count()
    page = list(people.order_by(*directory_order())[offset : offset + first])
    edges = [PersonEdge(cursor=encode_cursor(offset + i), node=p) for i, p in enumerate(page)]  # type: ignore[arg-type]
    return PersonConnection(
        total_count=total,
        edges=edges,
        page_info=PageInfo(
            has_next_page=offset + len(page) < total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


@strawberry.type(name="CsvExport")
class CsvExport:
    filename: str
    encoding: str
    content_base64: str = strawberry.field(description="The file's bytes, base64-encoded.")


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in staff member; null when signed out.")
    async def me(self, info: Info) -> PersonType | None:
        principal = principal_of(info)
        if not principal.is_authenticated:
            return None
        return await sync_to_async(access.access_person_by_id)(principal, principal.person_id)  # type: ignore[return-value]

    @strawberry.field(description="The signed-in staff member's municipality.")
    async def tenant(self, info: Info) -> TenantType | None:
        def fetch() -> object:
            tenant = access.access_tenant(principal_of(info))
            if tenant is not None:
                tenant.council  # noqa: B018 - load it here, not in the async field
            return tenant

        return await sync_to_async(fetch)()  # type: ignore[return-value]

    @strawberry.field
    async def person(self, info: Info, id: strawberry.ID) -> PersonType | None:
        return await sync_to_async(access.access_person_by_id)(principal_of(info), id)  # type: ignore[return-value]

    @strawberry.field(description="The staff directory in directory order, a page at a time.")
    async def people(
        self,
        info: Info,
        department_id: strawberry.ID | None = None,
        include_sub_departments: bool = False,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Words matched against name, reading (any kana/width), login ID, "
                "e-mail; every word must match."
            ),
        ] = None,
        include_inactive: bool = False,
        first: int = 50,
        after: str | None = None,
    ) -> PersonConnection:
        return await sync_to_async(search_people)(
            principal_of(info),
            department_id=department_id,
            include_sub_departments=include_sub_departments,
            search=search,
            include_inactive=include_inactive,
            first=first,
            after=after,
        )

    @strawberry.field
    async def organization(self, info: Info, id: strawberry.ID) -> OrganizationType | None:
        return await sync_to_async(access.access_organization_by_id)(principal_of(info), id)  # type: ignore[return-value]

    @strawberry.field(
        description="Departments in tree order (pre-order, by display order). "
        "rootsOnly gives the top level, to walk down through children."
    )
    async def organizations(
        self, info: Info, roots_only: bool = False, include_inactive: bool = False
    ) -> list[OrganizationType]:
        def fetch() -> list[Organization]:
            orgs = Organization.objects.for_principal(principal_of(info))
            if roots_only:
                orgs = orgs.filter(parent__isnull=True)
            if not include_inactive:
                orgs = orgs.filter(is_active=True)
            return list(orgs.order_by("tree_rank"))

        return await sync_to_async(fetch)()  # type: ignore[return-value]

    @strawberry.field
    async def groups(self, info: Info) -> list[GroupType]:
        def fetch() -> list[Group]:
            return list(Group.objects.for_principal(principal_of(info)).order_by("name"))

        return await sync_to_async(fetch)()  # type: ignore[return-value]

    @strawberry.field
    async def group(self, info: Info, id: strawberry.ID) -> GroupType | None:
        return await sync_to_async(access.access_group_by_id)(principal_of(info), id)  # type: ignore[return-value]

    @strawberry.field(
        description="Your personal access tokens (the tokens themselves are never shown again)."
    )
    async def access_tokens(self, info: Info) -> list[AccessTokenType]:
        def fetch() -> list[AccessTokenType]:
            principal = principal_of(info)
            tokens = (
                AccessToken.objects.for_principal(principal)
                .filter(person_id=principal.person_id)
                .prefetch_related("trusted_documents")
            )
            return [AccessTokenType.from_model(t) for t in tokens]

        return await sync_to_async(fetch)()

    @strawberry.field(
        description="Every access token of the municipality in use (administrators: scopes, "
        "trusted documents, rate limits)."
    )
    async def tenant_access_tokens(self, info: Info) -> list[AccessTokenType]:
        principal = require_tenant_admin(principal_of(info))

        def fetch() -> list[AccessTokenType]:
            tokens = (
                AccessToken.objects.for_principal(principal)
                .filter(revoked_at__isnull=True)
                .prefetch_related("trusted_documents")
            )
            return [AccessTokenType.from_model(t) for t in tokens]

        return await sync_to_async(fetch)()

    @strawberry.field(
        description="Organisations or staff as CSV in the import format (administrators)."
    )
    async def export_csv(self, info: Info, kind: CsvKind, encoding: str = "cp932") -> CsvExport:
        principal = require_tenant_admin(principal_of(info))

        def build() -> CsvExport:
            tenant = access.access_tenant(principal)
            assert tenant is not None and kind.value in KINDS
            try:
                data = export_csv(tenant, kind.value, encoding=encoding)
            except (LookupError, ValueError) as exc:
                raise GraphQLError(str(exc), extensions={"code": "BAD_USER_INPUT"}) from exc
            return CsvExport(
                filename=f"{tenant.code}-{kind.value}.csv",
                encoding=encoding,
                content_base64=base64.b64encode(data).decode(),
            )

        return await sync_to_async(build)()

    @strawberry.field(
        description="The municipality's link collection (リンク集) in display order: every "
        "signed-in staff member reads it, administrators keep it (saveLink)."
    )
    async def links(self, info: Info) -> list[LinkType]:
        principal = require_authenticated(principal_of(info))

        def fetch() -> list[Link]:
            return list(Link.objects.for_principal(principal).order_by("sort_order", "title"))

        return await sync_to_async(fetch)()  # type: ignore[return-value]
