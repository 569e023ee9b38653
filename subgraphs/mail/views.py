"""Files of mail over plain HTTP, as notices' files (subgraphs/notices/views.py): upload
(``POST /files/mail``, one ``file`` field) answers ``{"attachment": {...}}`` whose ID goes
into ``sendMail``/``saveMailDraft(input: {attachmentIds})``; download
(``GET /files/mail/<id>``, with ``?t=`` a signed link or else the request's session or
token) re-checks access now. A held attachment (メール無害化) is a 404 for everyone, by
any of these ways, until an administrator releases it.
"""

from __future__ import annotations

import json
import logging
import uuid

from asgiref.sync import async_to_sync
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from subgraphs.core import storage
from subgraphs.core.principal import Principal
from subgraphs.mail import attachments, directory
from subgraphs.mail.models import MailAttachment

# The one gate for file endpoints (authentication, password gate, CSRF for cookies) and its
# error shape, shared with notices rather than written twice.
from subgraphs.notices.views import _error as error_response
from subgraphs.notices.views import _principal as file_principal

log = logging.getLogger(__name__)

FILE_PATH = "/files/mail"


def download_path(attachment_id: uuid.UUID, token: str) -> str:
    return f"{FILE_PATH}/{attachment_id}?t={token}"


@csrf_exempt  # checked in file_principal, for cookie-authenticated requests only
@require_http_methods(["POST"])
def upload(request: HttpRequest) -> HttpResponse:
    principal = file_principal(request)
    if isinstance(principal, JsonResponse):
        return principal
    limit = storage.max_bytes()
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit + 64 * 1024:
        return error_response(413, "FILE_TOO_LARGE", f"At most {limit >> 20} MB.", "file")
    given = request.FILES.get("file")
    if given is None or len(request.FILES) != 1:
        return error_response(400, "FILE_REQUIRED", "Send one file, named file.", "file")
    outcome = attachments.do_store_upload(principal, given.name or "", given.size or 0, given)
    if not outcome.ok:
        first = outcome.errors[0]
        status = 413 if first.code == "FILE_TOO_LARGE" else 400
        return error_response(status, first.code, first.message, first.field)
    kept: MailAttachment = outcome.obj
    shown = {"id": str(kept.id), "name": kept.name, "size": kept.size}
    return HttpResponse(
        json.dumps({"attachment": {**shown, "contentType": kept.content_type}}, ensure_ascii=False),
        status=201,
        content_type="application/json; charset=utf-8",
    )


@require_safe
def download(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponse | FileResponse:
    token = request.GET.get("t")
    principal: Principal | JsonResponse
    if token:
        try:
            principal = storage.verify_file_token(token, attachment_id)
        except storage.InvalidFileToken as invalid:
            session = file_principal(request) if invalid.expired else None
            if session is None or isinstance(session, JsonResponse):
                code = "LINK_EXPIRED" if invalid.expired else "FORBIDDEN"
                return error_response(403, code, str(invalid))
            principal = session
    else:
        principal = file_principal(request)
        if isinstance(principal, JsonResponse):
            return principal
    departments = async_to_sync(directory.department_ids_of)(principal)
    found = attachments.access_attachment_for_download(principal, departments, attachment_id)
    if found is None:
        return error_response(404, "NOT_FOUND", "No such file.")
    try:
        return storage.download_response(found.storage_key, found.name, found.size)
    except FileNotFoundError:
        log.error("mail attachment %s: its file %s is missing", found.id, found.storage_key)
        return error_response(404, "NOT_FOUND", "The file is missing from the store.")
