"""Files of mail over plain HTTP, as notices' files (subgraphs/notices/views.py): upload
(``POST /files/mail``, one ``file`` field) answers ``{"attachment": {...}}`` whose ID goes
into ``sendMail``/``saveMailDraft(input: {attachmentIds})``; download
(``GET /files/mail/<id>``, with ``?t=`` a signed link or else the request's session or
token) re-checks access now. A held attachment (メール無害化) is a 404 for everyone, by
any of these ways, until an administrator releases it.
"""

from __future__ import annotations

import logging
import uuid

from asgiref.sync import async_to_sync
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from subgraphs.core import storage
from subgraphs.mail import attachments, directory

# The file endpoints' shared work (authentication, password gate, CSRF for cookies, the
# upload's checks and answer, signed links) lives with notices, the first to keep files.
from subgraphs.notices.views import _error as error_response
from subgraphs.notices.views import download_principal, store_upload

log = logging.getLogger(__name__)

FILE_PATH = "/files/mail"


def download_path(attachment_id: uuid.UUID, token: str) -> str:
    return f"{FILE_PATH}/{attachment_id}?t={token}"


@csrf_exempt  # checked by store_upload, for cookie-authenticated requests only
@require_http_methods(["POST"])
def upload(request: HttpRequest) -> HttpResponse:
    return store_upload(request, attachments.do_store_upload)


@require_safe
def download(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponse | FileResponse:
    principal = download_principal(request, attachment_id)
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
