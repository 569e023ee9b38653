"""Input types of the people subgraph's mutations."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from subgraphs.people.graphql.types import RoleEnum


def provided(input_obj: object, renames: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields the client actually sent (UNSET ones left out), as snake_case keys."""
    renames = renames or {}
    data = {}
    for name, value in vars(input_obj).items():
        if value is strawberry.UNSET:
            continue
        data[renames.get(name, name)] = value
    return data


@strawberry.input(name="CreatePersonInput")
class CreatePersonInput:
    login_id: str
    name: str
    name_kana: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    extension: str | None = strawberry.UNSET
    department_id: strawberry.ID | None = strawberry.UNSET
    additional_department_ids: list[strawberry.ID] | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    title_code: str | None = strawberry.UNSET
    sort_order: int | None = strawberry.UNSET
    password: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Leave out to create a staff member who cannot sign in yet.",
    )


@strawberry.input(name="UpdatePersonInput")
class UpdatePersonInput:
    id: strawberry.ID
    login_id: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    name_kana: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    extension: str | None = strawberry.UNSET
    department_id: strawberry.ID | None = strawberry.UNSET
    additional_department_ids: list[strawberry.ID] | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    title_code: str | None = strawberry.UNSET
    sort_order: int | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET


@strawberry.input(name="CreateOrganizationInput")
class CreateOrganizationInput:
    code: str
    name: str
    name_kana: str | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.UNSET
    sort_order: int | None = strawberry.UNSET


@strawberry.input(name="UpdateOrganizationInput")
class UpdateOrganizationInput:
    id: strawberry.ID
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    name_kana: str | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.UNSET
    sort_order: int | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET


@strawberry.input(name="SaveGroupInput")
class SaveGroupInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="Leave out to create.")
    name: str
    description: str = ""
    member_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(name="SetRolesInput")
class SetRolesInput:
    person_id: strawberry.ID
    roles: list[RoleEnum]


@strawberry.enum(name="CsvKind")
class CsvKind(Enum):
    ORGANIZATIONS = "organizations"
    STAFF = "staff"


@strawberry.input(name="ImportCsvInput")
class ImportCsvInput:
    kind: CsvKind
    file: Upload | None = strawberry.field(default=None, description="The CSV file (multipart).")
    text: str | None = strawberry.field(default=None, description="Or the CSV as text.")
    content_base64: str | None = strawberry.field(
        default=None,
        description="Or the file's bytes, base64-encoded (a browser reading a CP932 file "
        "sends it so; the encoding is then detected as for a file).",
    )
    encoding: str | None = strawberry.field(
        default=None, description="cp932, utf-8 or utf-8-sig; detected when left out."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Only report what would be added, updated and deactivated."
    )
    deactivate_missing: bool = strawberry.field(
        default=False, description="Deactivate active rows that the file does not list."
    )


@strawberry.input(name="SaveLinkInput")
class SaveLinkInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="None: a new link.")
    title: str
    url: str = strawberry.field(description="http:// or https:// only (else INVALID_URL).")
    description: str = ""
    category: str = strawberry.field(default="", description="A heading to group links under.")
    sort_order: int | None = strawberry.field(
        default=None, description="None: at the end (new) or where it is (existing)."
    )
    opens_in_new_tab: bool = True


@strawberry.input(
    name="IssueInitialPasswordsInput",
    description="Whom to issue passwords to: persons, or a department with the departments "
    "below it, or (with onlyWithoutPassword alone) everyone who cannot sign in yet.",
)
class IssueInitialPasswordsInput:
    person_ids: list[strawberry.ID] | None = None
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Its members (main post) and those of every department below."
    )
    only_without_password: bool = strawberry.field(
        default=False, description="Only accounts without a password (e.g. just imported)."
    )
