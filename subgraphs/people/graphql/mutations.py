"""Write side of the people subgraph: parse input, check permission, call one do_*."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from typing import Annotated

import strawberry
from asgiref.sync import sync_to_async
from django.contrib.auth import HASH_SESSION_KEY, update_session_auth_hash
from strawberry.types import Info

from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated, require_tenant_admin
from subgraphs.people import access, actions, auth
from subgraphs.people.csv_io import ERROR_CODES, ImportReport, do_import_csv
from subgraphs.people.graphql.inputs import (
    CreateOrganizationInput,
    CreatePersonInput,
    ImportCsvInput,
    IssueInitialPasswordsInput,
    SaveGroupInput,
    SaveLinkInput,
    SetRolesInput,
    UpdateOrganizationInput,
    UpdatePersonInput,
    provided,
)
from subgraphs.people.graphql.types import (
    AccessTokenType,
    GroupType,
    LinkType,
    OrganizationType,
    PeopleErrorType,
    PersonType,
)
from subgraphs.people.messages import t
from subgraphs.people.models import AccessToken
from subgraphs.people.password_list import ENCODING as PASSWORD_LIST_ENCODING
from subgraphs.people.password_list import issued_passwords_csv

NOT_FOUND = actions.PeopleError("NOT_FOUND", "No such record in your municipality.", "id")


def _errors(outcome: actions.Outcome) -> list[PeopleErrorType]:
    return [PeopleErrorType(code=e.code, message=e.message, field=e.field) for e in outcome.errors]


@strawberry.type(name="PersonPayload")
class PersonPayload:
    person: PersonType | None
    errors: list[PeopleErrorType]


@strawberry.type(name="OrganizationPayload")
class OrganizationPayload:
    organization: OrganizationType | None
    errors: list[PeopleErrorType]


@strawberry.type(name="GroupPayload")
class GroupPayload:
    group: GroupType | None
    errors: list[PeopleErrorType]


@strawberry.type(name="AccessTokenPayload")
class AccessTokenPayload:
    access_token: AccessTokenType | None
    token: str | None = strawberry.field(
        description="The secret token: shown in this response only, store it now."
    )
    errors: list[PeopleErrorType]


@strawberry.type(name="PasswordPayload")
class PasswordPayload:
    ok: bool
    generated_password: str | None = strawberry.field(
        description="The generated password when none was given: shown once."
    )
    errors: list[PeopleErrorType]


@strawberry.type(name="CsvRowError", description="A problem in an imported CSV file.")
class CsvRowErrorType:
    line: int | None = strawberry.field(description="Line in the file (the header is line 1).")
    column: str | None = strawberry.field(description="The column's header as the file has it.")
    code: str = strawberry.field(
        description="Stable, for the UI's messages: " + ", ".join(ERROR_CODES) + "."
    )
    message: str = strawberry.field(description="The problem in English, with its details.")


@strawberry.type(name="CsvFieldChange", description="One column of a row an import changes.")
class CsvFieldChangeType:
    field: str = strawberry.field(
        description="The column's English alias (name, department_code, parent_code ...), "
        "or is_active / source (csv: from the HR file, manual: made in the UI or API, "
        "admin: yui admin add); departments by code."
    )
    before: str
    after: str


@strawberry.type(name="CsvRow", description="A row an import adds, changes or deactivates.")
class CsvRowType:
    key: str = strawberry.field(description="The department code or the login ID.")
    name: str
    changes: list[CsvFieldChangeType] = strawberry.field(
        description="For a changed row, each column before and after; empty otherwise."
    )


def _csv_rows(report: ImportReport, keys: list[str]) -> list[CsvRowType]:
    return [
        CsvRowType(
            key=key,
            name=report.names.get(key, ""),
            changes=[
                CsvFieldChangeType(field=c.field, before=c.before, after=c.after)
                for c in report.changes.get(key, [])
            ],
        )
        for key in keys
    ]


@strawberry.type(name="ImportCsvPayload")
class ImportCsvPayload:
    applied: bool = strawberry.field(description="True when the database was changed.")
    encoding: str | None
    added: list[str] = strawberry.field(description="Codes / login IDs to add or added.")
    updated: list[str]
    deactivated: list[str]
    not_from_import: list[str] = strawberry.field(
        description="Active rows the file does not list that no import made (the account of "
        "`yui admin add`, accounts and departments made by hand): never deactivated by one.",
    )
    unchanged_count: int
    errors: list[CsvRowErrorType] = strawberry.field(
        description="Every problem found; any error means nothing was written."
    )
    added_rows: list[CsvRowType] = strawberry.field(
        default_factory=list, description="The rows of `added` with their names."
    )
    updated_rows: list[CsvRowType] = strawberry.field(
        default_factory=list, description="The rows of `updated`: names, before -> after."
    )
    deactivated_rows: list[CsvRowType] = strawberry.field(
        default_factory=list, description="The rows of `deactivated` with their names."
    )
    not_from_import_rows: list[CsvRowType] = strawberry.field(
        default_factory=list, description="The rows of `notFromImport` with their names."
    )

    @classmethod
    def from_report(cls, report: ImportReport) -> ImportCsvPayload:
        return cls(
            applied=report.applied,
            encoding=report.encoding,
            added=report.added,
            updated=report.updated,
            deactivated=report.deactivated,
            not_from_import=report.unmanaged,
            unchanged_count=report.unchanged,
            errors=[
                CsvRowErrorType(line=e.line, column=e.column, code=e.code, message=e.message)
                for e in report.errors
            ],
            added_rows=_csv_rows(report, report.added),
            updated_rows=_csv_rows(report, report.updated),
            deactivated_rows=_csv_rows(report, report.deactivated),
            not_from_import_rows=_csv_rows(report, report.unmanaged),
        )


@strawberry.type(name="IssuedPassword", description="A password issued to a staff member.")
class IssuedPasswordType:
    person: PersonType
    password: str = strawberry.field(description="Shown in this response only.")


@strawberry.type(name="IssuedPasswordList", description="The issued passwords as a CSV file.")
class IssuedPasswordListType:
    filename: str
    encoding: str
    content_base64: str = strawberry.field(description="The file's bytes, base64-encoded.")
    lossy: bool = strawberry.field(
        description="A name held a character the encoding lacks (written as ?)."
    )


@strawberry.type(name="IssueInitialPasswordsPayload")
class IssueInitialPasswordsPayload:
    issued: list[IssuedPasswordType] = strawberry.field(
        description="Each person with their new password, in directory order: shown in "
        "this response only (only hashes are stored)."
    )
    csv: IssuedPasswordListType | None = strawberry.field(
        description="The same list as CSV for Excel (CP932), also only in this response."
    )
    errors: list[PeopleErrorType]


@strawberry.type(name="LinkPayload")
class LinkPayload:
    link: LinkType | None
    errors: list[PeopleErrorType]


@strawberry.type(name="DeleteLinkPayload")
class DeleteLinkPayload:
    deleted_id: strawberry.ID | None
    errors: list[PeopleErrorType]


@strawberry.type(name="ReorderLinksPayload")
class ReorderLinksPayload:
    links: list[LinkType] = strawberry.field(description="The whole collection, in its new order.")
    errors: list[PeopleErrorType]


def _person_payload(outcome: actions.Outcome) -> PersonPayload:
    return PersonPayload(person=outcome.obj if outcome.ok else None, errors=_errors(outcome))


def _org_payload(outcome: actions.Outcome) -> OrganizationPayload:
    return OrganizationPayload(
        organization=outcome.obj if outcome.ok else None, errors=_errors(outcome)
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add a staff member (administrators).")
    async def create_person(self, info: Info, input: CreatePersonInput) -> PersonPayload:
        principal = require_tenant_admin(principal_of(info))
        data = provided(input)
        outcome = await sync_to_async(actions.do_create_person)(principal, data, must_change=True)
        return _person_payload(outcome)

    @strawberry.mutation(description="Change a staff member (administrators).")
    async def update_person(self, info: Info, input: UpdatePersonInput) -> PersonPayload:
        principal = require_tenant_admin(principal_of(info))
        data = provided(input)

        def run() -> actions.Outcome:
            person = access.access_person_by_id(principal, data.pop("id"))
            if person is None:
                return actions.Outcome(errors=[NOT_FOUND])
            return actions.do_update_person(principal, person, data)

        return _person_payload(await sync_to_async(run)())

    @strawberry.mutation(description="Deactivate a staff member: they can no longer sign in.")
    async def deactivate_person(self, info: Info, id: strawberry.ID) -> PersonPayload:
        principal = require_tenant_admin(principal_of(info))

        def run() -> actions.Outcome:
            person = access.access_person_by_id(principal, id)
            if person is None:
                return actions.Outcome(errors=[NOT_FOUND])
            return actions.do_deactivate_person(principal, person)

        return _person_payload(await sync_to_async(run)())

    @strawberry.mutation(description="Grant or take roles (administrators).")
    async def set_roles(self, info: Info, input: SetRolesInput) -> PersonPayload:
        principal = require_tenant_admin(principal_of(info))

        def run() -> actions.Outcome:
            person = access.access_person_by_id(principal, input.person_id)
            if person is None:
                return actions.Outcome(errors=[NOT_FOUND])
            return actions.do_set_roles(principal, person, [r.value for r in input.roles])

        return _person_payload(await sync_to_async(run)())

    @strawberry.mutation(description="Add a department (administrators).")
    async def create_organization(
        self, info: Info, input: CreateOrganizationInput
    ) -> OrganizationPayload:
        principal = require_tenant_admin(principal_of(info))
        outcome = await sync_to_async(actions.do_create_organization)(principal, provided(input))
        return _org_payload(outcome)

    @strawberry.mutation(description="Change a department (administrators).")
    async def update_organization(
        self, info: Info, input: UpdateOrganizationInput
    ) -> OrganizationPayload:
        principal = require_tenant_admin(principal_of(info))
        data = provided(input)

        def run() -> actions.Outcome:
            org = access.access_organization_by_id(principal, data.pop("id"))
            if org is None:
                return actions.Outcome(errors=[NOT_FOUND])
            return actions.do_update_organization(principal, org, data)

        return _org_payload(await sync_to_async(run)())

    @strawberry.mutation(description="Deactivate an empty department (administrators).")
    async def deactivate_organization(self, info: Info, id: strawberry.ID) -> OrganizationPayload:
        principal = require_tenant_admin(principal_of(info))

        def run() -> actions.Outcome:
            org = access.access_organization_by_id(principal, id)
            if org is None:
                return actions.Outcome(errors=[NOT_FOUND])
            return actions.do_deactivate_organization(principal, org)

        return _org_payload(await sync_to_async(run)())

    @strawberry.mutation(description="Create or change a group and its members (administrators).")
    async def save_group(self, info: Info, input: SaveGroupInput) -> GroupPayload:
        principal = require_tenant_admin(principal_of(info))

        def run() -> actions.Outcome:
            group = None
            if input.id is not None:
                group = access.access_group_by_id(principal, input.id)
                if group is None:
                    return actions.Outcome(errors=[NOT_FOUND])
            return actions.do_save_group(
                principal, group, input.name, input.description, [str(i) for i in input.member_ids]
            )

        outcome = await sync_to_async(run)()
        return GroupPayload(group=outcome.obj if outcome.ok else None, errors=_errors(outcome))

    @strawberry.mutation(
        description="Import organisations or staff from CSV (administrators); all or nothing."
    )
    async def import_csv(self, info: Info, input: ImportCsvInput) -> ImportCsvPayload:
        principal = require_tenant_admin(principal_of(info))
        sources = [input.file, input.text, input.content_base64]
        if sum(source is not None for source in sources) != 1:
            return ImportCsvPayload(
                applied=False,
                encoding=None,
                added=[],
                updated=[],
                deactivated=[],
                not_from_import=[],
                unchanged_count=0,
                errors=[
                    CsvRowErrorType(
                        line=None,
                        column=None,
                        code="NO_INPUT",
                        message=t("Send one of a file, text or contentBase64."),
                    )
                ],
            )
        encoding = input.encoding
        if input.text is not None:
            data, encoding = input.text.encode("utf-8"), "utf-8"
        elif input.content_base64 is not None:
            try:
                data = base64.b64decode(input.content_base64, validate=True)
            except (binascii.Error, ValueError):
                return ImportCsvPayload(
                    applied=False,
                    encoding=None,
                    added=[],
                    updated=[],
                    deactivated=[],
                    not_from_import=[],
                    unchanged_count=0,
                    errors=[
                        CsvRowErrorType(
                            line=None,
                            column=None,
                            code="BAD_ENCODING",
                            message="contentBase64 is not base64.",
                        )
                    ],
                )
        else:
            data = await sync_to_async(input.file.read)()  # type: ignore[union-attr]

        def run() -> ImportReport:
            tenant = access.access_tenant(principal)
            me = access.access_person_by_id(principal, principal.person_id)
            assert tenant is not None
            return do_import_csv(
                tenant,
                input.kind.value,
                data,
                encoding=encoding,
                dry_run=input.dry_run,
                deactivate_missing=input.deactivate_missing,
                protected_login_ids=[me.login_id] if me else [],
            )

        return ImportCsvPayload.from_report(await sync_to_async(run)())

    @strawberry.mutation(description="Change your own password.")
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> PasswordPayload:
        principal = require_authenticated(principal_of(info))
        context = context_of(info)
        request = context.request

        def run() -> actions.Outcome:
            person = access.access_person_by_id(principal, principal.person_id)
            assert person is not None
            # A stolen session or token must not become a way to guess the password at
            # full speed: the current password is throttled like a sign-in.
            keys = auth.account_throttle_keys(person)
            wait = auth.login_wait_seconds(keys)
            if wait > 0:
                seconds = math.ceil(wait)
                return actions.Outcome(
                    errors=[
                        actions.PeopleError(
                            "TOO_MANY_ATTEMPTS",
                            f"Too many wrong passwords. Try again in {seconds} seconds.",
                            "currentPassword",
                        )
                    ]
                )
            outcome = actions.do_change_password(person, current_password, new_password)
            wrong = any(e.code == "WRONG_PASSWORD" for e in outcome.errors)
            if wrong:
                auth.record_login_failure(keys)
            elif outcome.ok:
                auth.reset_login_failures(keys)
            if outcome.ok and principal.via == "session":
                # Keep this session signed in; every other session of the account ends.
                # (No AuthenticationMiddleware here: the principal is the source of truth.)
                if request is not None:
                    request.user = person
                    update_session_auth_hash(request, person)
                elif context.session is not None:
                    # Through the gateway there is no response to carry a new session key,
                    # so the session keeps its key and takes the new password's hash.
                    context.session[HASH_SESSION_KEY] = person.get_session_auth_hash()
                    context.session.save()
            return outcome

        outcome = await sync_to_async(run)()
        return PasswordPayload(ok=outcome.ok, generated_password=None, errors=_errors(outcome))

    @strawberry.mutation(
        description="Set a staff member's password (administrators); generated when left out."
    )
    async def reset_password(
        self,
        info: Info,
        person_id: strawberry.ID,
        new_password: str | None = None,
        require_password_change: Annotated[
            bool,
            strawberry.argument(
                description="The person must choose their own password at the next sign-in "
                "(the default: the administrator knows this one)."
            ),
        ] = True,
    ) -> PasswordPayload:
        principal = require_tenant_admin(principal_of(info))

        def run() -> actions.Outcome:
            person = access.access_person_by_id(principal, person_id)
            if person is None:
                return actions.Outcome(errors=[NOT_FOUND])
            return actions.do_reset_password(
                person, new_password, must_change=require_password_change
            )

        outcome = await sync_to_async(run)()
        return PasswordPayload(
            ok=outcome.ok, generated_password=outcome.extra.get("password"), errors=_errors(outcome)
        )

    @strawberry.mutation(
        description="Issue new random passwords (12 unambiguous characters) to staff "
        "(administrators): each must choose their own at the first sign-in. The passwords "
        "are in this response only; at most 500 at once; never your own account."
    )
    async def issue_initial_passwords(
        self, info: Info, input: IssueInitialPasswordsInput
    ) -> IssueInitialPasswordsPayload:
        principal = require_tenant_admin(principal_of(info))

        def run() -> tuple[actions.Outcome, IssuedPasswordListType | None]:
            outcome = actions.do_issue_initial_passwords(
                principal,
                person_ids=[str(i) for i in input.person_ids]
                if input.person_ids is not None
                else None,
                organization_id=str(input.organization_id)
                if input.organization_id is not None
                else None,
                only_without_password=input.only_without_password,
            )
            if not outcome.ok:
                return outcome, None
            tenant = access.access_tenant(principal)
            data, lossy = issued_passwords_csv(outcome.extra["issued"])
            listing = IssuedPasswordListType(
                filename=f"{tenant.code if tenant else 'yui'}-initial-passwords.csv",
                encoding=PASSWORD_LIST_ENCODING,
                content_base64=base64.b64encode(data).decode(),
                lossy=lossy,
            )
            return outcome, listing

        outcome, listing = await sync_to_async(run)()
        issued = outcome.extra.get("issued", [])
        return IssueInitialPasswordsPayload(
            issued=[
                IssuedPasswordType(person=item.person, password=item.password)  # type: ignore[arg-type]
                for item in issued
            ],
            csv=listing,
            errors=_errors(outcome),
        )

    @strawberry.mutation(
        description="Create a personal access token for an app or dashboard. Scopes: read, "
        "read:<subgraph> (e.g. read:calendar), write; none given: read and write."
    )
    async def create_access_token(
        self,
        info: Info,
        name: str,
        expires_in_days: int | None = None,
        scopes: list[str] | None = None,
    ) -> AccessTokenPayload:
        principal = require_authenticated(principal_of(info))

        def run() -> actions.Outcome:
            person = access.access_person_by_id(principal, principal.person_id)
            assert person is not None
            return actions.do_create_access_token(person, name, expires_in_days, scopes)

        return await _token_payload(run)

    @strawberry.mutation(
        description="Limit an access token's requests a minute at /graphql (administrators; "
        "null: no limit). Over it the gateway answers 429 with Retry-After."
    )
    async def set_access_token_rate_limit(
        self, info: Info, id: strawberry.ID, per_minute: int | None
    ) -> AccessTokenPayload:
        return await _administer_token(
            info, id, lambda token: actions.do_set_access_token_rate_limit(token, per_minute)
        )

    @strawberry.mutation(
        description="Allow an operation for an access token (administrators). A token with "
        "trusted documents runs only those, sent whole or by SHA-256 (persisted-query shape)."
    )
    async def add_trusted_document(
        self, info: Info, token_id: strawberry.ID, name: str, document: str
    ) -> AccessTokenPayload:
        return await _administer_token(
            info, token_id, lambda token: actions.do_add_trusted_document(token, name, document)
        )

    @strawberry.mutation(description="Take an operation off a token's trusted documents.")
    async def remove_trusted_document(
        self, info: Info, token_id: strawberry.ID, sha256: str
    ) -> AccessTokenPayload:
        return await _administer_token(
            info, token_id, lambda token: actions.do_remove_trusted_document(token, sha256)
        )

    @strawberry.mutation(description="Revoke one of your access tokens; it stops working at once.")
    async def revoke_access_token(self, info: Info, id: strawberry.ID) -> AccessTokenPayload:
        principal = require_authenticated(principal_of(info))

        def run() -> actions.Outcome:
            token = access.access_token_by_id(principal, id)
            if token is None:
                return actions.Outcome(errors=[NOT_FOUND])
            return actions.do_revoke_access_token(token)

        return await _token_payload(run)

    @strawberry.mutation(
        description="Add a link to the link collection or change one (administrators). "
        "Only http(s) addresses are taken (else INVALID_URL)."
    )
    async def save_link(self, info: Info, input: SaveLinkInput) -> LinkPayload:
        principal = require_tenant_admin(principal_of(info))
        data = provided(input)

        def run() -> actions.Outcome:
            link = None
            if input.id is not None:
                link = access.access_link_by_id(principal, input.id)
                if link is None:
                    return actions.Outcome(errors=[NOT_FOUND])
            return actions.do_save_link(principal, link, data)

        outcome = await sync_to_async(run)()
        return LinkPayload(link=outcome.obj if outcome.ok else None, errors=_errors(outcome))

    @strawberry.mutation(description="Remove a link from the link collection (administrators).")
    async def delete_link(self, info: Info, id: strawberry.ID) -> DeleteLinkPayload:
        principal = require_tenant_admin(principal_of(info))

        def run() -> actions.Outcome:
            link = access.access_link_by_id(principal, id)
            if link is None:
                return actions.Outcome(errors=[NOT_FOUND])
            return actions.do_delete_link(link)

        outcome = await sync_to_async(run)()
        return DeleteLinkPayload(
            deleted_id=strawberry.ID(str(outcome.obj)) if outcome.ok else None,
            errors=_errors(outcome),
        )

    @strawberry.mutation(
        description="Put the link collection in this order (administrators): every link's ID "
        "once (else CONFLICT, nothing changed)."
    )
    async def reorder_links(self, info: Info, ids: list[strawberry.ID]) -> ReorderLinksPayload:
        principal = require_tenant_admin(principal_of(info))
        outcome = await sync_to_async(actions.do_reorder_links)(principal, [str(i) for i in ids])
        return ReorderLinksPayload(links=outcome.obj if outcome.ok else [], errors=_errors(outcome))


async def _administer_token(
    info: Info, token_id: strawberry.ID, change: Callable[[AccessToken], actions.Outcome]
) -> AccessTokenPayload:
    """An administrator's change to a token of the municipality (audited by the action)."""
    principal = require_tenant_admin(principal_of(info))

    def run() -> actions.Outcome:
        token = access.access_token_by_id(principal, token_id)
        if token is None:
            return actions.Outcome(errors=[NOT_FOUND])
        return change(token)

    return await _token_payload(run)


async def _token_payload(run: Callable[[], actions.Outcome]) -> AccessTokenPayload:
    """A token action's answer, read in the action's thread (its trusted documents are a
    query), with the secret only when one was just made."""

    def answer() -> AccessTokenPayload:
        outcome = run()
        return AccessTokenPayload(
            access_token=AccessTokenType.from_model(outcome.obj) if outcome.ok else None,
            token=outcome.extra.get("token"),
            errors=_errors(outcome),
        )

    return await sync_to_async(answer)()
