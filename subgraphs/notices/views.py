"""Files of notices and circulations over plain HTTP: upload, then download.

Upload (``POST /files/notices``, multipart with one ``file`` field) rather than GraphQL
multipart through the gateway: a file never passes through the federation planner, the
gateway and every subgraph stay JSON-only, and the same endpoint shape serves mail later.
It answers ``{"attachment": {"id", "name", "size", "contentType"}}`` (201) or
``{"errors": [{"code", "message", "field"}]}``; the ID is then named in
``postNotice(input: {attachmentIds})`` or ``saveCirculation(input: {attachmentIds})``.
Authentication as for /graphql: a session cookie (with the CSRF header) or a bearer token.

Download (``GET /files/notices/<id>``): with ``?t=`` a signed token minted for a principal
(``NoticeAttachment.url``), or else the session or bearer token of the request. Either
way the principal's access to the notice or circulation is checked again now; anything
not visible is a 404, the same as nothing.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from subgraphs.core import storage
from subgraphs.core.principal import AuthenticationFailed, Principal
from subgraphs.notices import actions
from subgraphs.notices.access import access_attachment_by_id
from subgraphs.people.auth import authenticate_request

log = logging.getLogger(__name__)
_csrf = CsrfViewMiddleware(lambda request: HttpResponse())

FILE_PATH = "/files/notices"


def download_path(attachment_id: uuid.UUID, token: str | None = None) -> str:
    return f"{FILE_PATH}/{attachment_id}" + (f"?t={token}" if token else "")


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    body: dict[str, Any] = {"errors": [{"code": code, "message": message, "field": field}]}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _principal(request: HttpRequest) -> Principal | JsonResponse:
    try:
        principal = authenticate_request(request)
    except AuthenticationFailed as failed:
        return _error(401, "UNAUTHENTICATED", str(failed))
    if not principal.is_authenticated:
        return _error(401, "UNAUTHENTICATED", "Sign in first.")
    if principal.must_change_password:
        # The same gate as GraphQL's (subgraphs/core/graphql/password_gate.py): an account
        # whose password an administrator issued does nothing until it chooses its own.
        return _error(403, "PASSWORD_CHANGE_REQUIRED", "Choose your own password first.")
    if principal.via == "session":
        # A cookie rides along on any site's form post; a bearer token does not.
        refusal = _csrf.process_view(request, None, (), {})  # type: ignore[arg-type]
        if refusal is not None:
            return _error(403, "CSRF_FAILED", "CSRF check failed: send the X-CSRFToken header.")
    return principal


def store_upload(
    request: HttpRequest, store: Callable[[Principal, str, int, Any], Any]
) -> HttpResponse:
    """The upload endpoint's work for any subgraph that keeps files (notices, mail):
    authenticate, check the size, hand the one ``file`` to ``store`` (a do_store_upload:
    an outcome with ``ok``, ``errors`` and the row as ``obj``) and answer as described above."""
    principal = _principal(request)
    if isinstance(principal, JsonResponse):
        return principal
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    limit = storage.max_bytes()
    if declared > limit + 64 * 1024:  # the file plus multipart framing
        return _error(413, "FILE_TOO_LARGE", f"A file may be at most {limit >> 20} MB.", "file")
    given = request.FILES.get("file")
    if given is None or len(request.FILES) != 1:
        return _error(400, "FILE_REQUIRED", "Send one file, in the field named file.", "file")
    outcome = store(principal, given.name or "", given.size or 0, given)
    if not outcome.ok:
        error = outcome.errors[0]
        status = 413 if error.code == "FILE_TOO_LARGE" else 400
        return _error(status, error.code, error.message, error.field)
    kept = outcome.obj
    body = {
        "attachment": {
            "id": str(kept.id),
            "name": kept.name,
            "size": kept.size,
            "contentType": kept.content_type,
        }
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=201,
        content_type="application/json; charset=utf-8",
    )


def download_principal(request: HttpRequest, file_id: uuid.UUID) -> Principal | JsonResponse:
    """Who asks for a file: the principal a valid ``?t=`` token for it was minted for (an
    expired one falls back to the session), or else the request's session or token."""
    token = request.GET.get("t")
    if not token:
        return _principal(request)
    try:
        return storage.verify_file_token(token, file_id)
    except storage.InvalidFileToken as invalid:
        # An expired link still works for someone signed in who may see the item.
        session = _principal(request) if invalid.expired else None
        if session is None or isinstance(session, JsonResponse):
            code = "LINK_EXPIRED" if invalid.expired else "FORBIDDEN"
            return _error(403, code, str(invalid))
        return session


@csrf_exempt  # checked in _principal, for cookie-authenticated requests only
@require_http_methods(["POST"])
def upload(request: HttpRequest) -> HttpResponse:
    return store_upload(request, actions.do_store_upload)


@require_safe
def download(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponse | FileResponse:
    principal = download_principal(request, attachment_id)
    if isinstance(principal, JsonResponse):
        return principal
    attachment = access_attachment_by_id(principal, attachment_id)
    if attachment is None:
        return _error(404, "NOT_FOUND", "No such file.")
    try:
        return storage.download_response(attachment.storage_key, attachment.name, attachment.size)
    except FileNotFoundError:
        log.error("attachment %s: its file %s is missing", attachment.id, attachment.storage_key)
        return _error(404, "NOT_FOUND", "The file is missing from the store.")
