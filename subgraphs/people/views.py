"""Sign-in endpoints: ``POST /auth/login`` (JSON or form), ``POST /auth/logout``.

JSON sign-in needs no CSRF token: a cross-site page cannot send ``application/json``
without a CORS preflight, which Yui never grants. A form post can be forged, so it must
carry the CSRF token that the sign-in page embeds.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie

from subgraphs.audit import actions as audit
from subgraphs.people.auth import (
    client_address,
    login_wait_seconds,
    record_login_failure,
    reset_login_failures,
    resolve_tenant,
    throttle_keys,
)
from subgraphs.people.messages import t

_csrf = CsrfViewMiddleware(lambda request: HttpResponse())


# What a browser's sign-in form sends; anything else but JSON is refused (415, in JSON).
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# A sign-in is three short strings: a body far larger is no sign-in (413), and Django
# would otherwise answer RequestDataTooBig with an HTML 400 page.
MAX_SIGN_IN_BODY_BYTES = 16 * 1024


def _is_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json"


def _wants_json(request: HttpRequest) -> bool:
    """JSON clients get JSON answers; only a browser's form post gets the HTML page."""
    return request.content_type not in _FORM_TYPES or "application/json" in request.headers.get(
        "Accept", ""
    )


class _Admission:
    """At most ``LOGIN_MAX_IN_FLIGHT`` sign-ins of this process check a password at once
    (or wait for a core to do so); more are refused with 503 and Retry-After at once.

    Each sync view runs on a thread of its own under ASGI, so without a bound a burst of
    sign-ins starts as many threads, each hashing with 19 MiB, and every one of them
    answers late; refusing the excess early keeps the admitted ones fast and tells the
    client when to come back instead of leaving its socket hanging.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0

    @contextmanager
    def slot(self) -> Iterator[bool]:
        with self._lock:
            admitted = self.in_flight < settings.LOGIN_MAX_IN_FLIGHT
            if admitted:
                self.in_flight += 1
        try:
            yield admitted
        finally:
            if admitted:
                with self._lock:
                    self.in_flight -= 1


admission = _Admission()


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _credentials(request: HttpRequest) -> dict[str, str]:
    if _is_json(request):
        body = _json_object(request) or {}
        return {k: str(body.get(k) or "") for k in ("tenant", "loginId", "password", "next")}
    return {
        "tenant": request.POST.get("tenant", ""),
        "loginId": request.POST.get("loginId", ""),
        "password": request.POST.get("password", ""),
        "next": request.POST.get("next", ""),
    }


def _failure(
    request: HttpRequest, status: int, code: str, message: str, **extra: Any
) -> HttpResponse:
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse(
            {"ok": False, "error": code, "message": message, **extra}, status=status
        )
    else:
        response = render(
            request,
            "people/login.html",
            {"error": message, "form": _credentials(request)},
            status=status,
        )
    if "retryAfter" in extra:
        response["Retry-After"] = str(extra["retryAfter"])
    return response


@csrf_exempt
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method in {"GET", "HEAD"}:
        return _login_page(request)
    if request.method != "POST":
        response = JsonResponse(
            {
                "ok": False,
                "error": "method_not_allowed",
                "message": t("Sign in with POST (JSON or the sign-in form)."),
            },
            status=405,
        )
        response["Allow"] = "GET, HEAD, POST"
        return response
    if not _is_json(request) and request.content_type not in _FORM_TYPES:
        return _failure(
            request,
            415,
            "unsupported_media_type",
            t("Send the sign-in as application/json (or as the sign-in form)."),
        )
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_SIGN_IN_BODY_BYTES:
        return _failure(
            request,
            413,
            "payload_too_large",
            t("A sign-in is at most {limit} bytes.", limit=MAX_SIGN_IN_BODY_BYTES),
        )
    try:
        unreadable = _is_json(request) and _json_object(request) is None
    except RequestDataTooBig:  # a chunked body without Content-Length
        return _failure(
            request,
            413,
            "payload_too_large",
            t("A sign-in is at most {limit} bytes.", limit=MAX_SIGN_IN_BODY_BYTES),
        )
    if unreadable:
        return _failure(request, 400, "bad_request", t("The body is not a JSON object."))
    with admission.slot() as admitted:
        if not admitted:
            return _failure(
                request,
                503,
                "overloaded",
                t("Many people are signing in right now. Try again in a few seconds."),
                retryAfter=settings.LOGIN_OVERLOAD_RETRY_SECONDS,
            )
        return _sign_in(request)


def _json_object(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _sign_in(request: HttpRequest) -> HttpResponse:
    if not _is_json(request):
        refusal = _csrf.process_view(request, None, (), {})  # type: ignore[arg-type]
        if refusal is not None:
            return _failure(request, 403, "csrf_failed", t("The form expired; reload the page."))
    creds = _credentials(request)
    if not (creds.get("tenant") and creds.get("loginId") and creds.get("password")):
        return _failure(
            request, 400, "missing_fields", t("Enter the municipality, login ID and password.")
        )
    tenant = resolve_tenant(creds["tenant"])
    keys = throttle_keys(tenant, creds["tenant"], creds["loginId"], client_address(request))
    wait = login_wait_seconds(keys)
    if wait > 0:
        audit.record_sign_in("locked", tenant, creds["loginId"], client_address(request))
        seconds = math.ceil(wait)
        return _failure(
            request,
            429,
            "too_many_attempts",
            t("Too many failed sign-ins. Try again in {seconds} seconds.", seconds=seconds),
            retryAfter=seconds,
        )
    person = authenticate(
        request, tenant=tenant, login_id=creds["loginId"], password=creds["password"]
    )
    if person is None:
        record_login_failure(keys)
        audit.record_sign_in("failed", tenant, creds["loginId"], client_address(request))
        return _failure(
            request,
            401,
            "invalid_credentials",
            t("The municipality, login ID or password is wrong."),
        )
    reset_login_failures(keys)
    login(request, person)
    audit.record_sign_in("succeeded", tenant, creds["loginId"], client_address(request), person)
    if not _is_json(request):
        return redirect(_safe_next(request, creds.get("next")))
    return JsonResponse(
        {
            "ok": True,
            "person": {
                "id": str(person.id),
                "name": person.name,
                "loginId": person.login_id,
                # The SPA shows only the "choose your password" page until it is changed.
                "mustChangePassword": person.must_change_password,
            },
            "tenant": {"code": tenant.code, "slug": tenant.slug, "name": tenant.name},  # type: ignore[union-attr]
            "csrfToken": get_token(request),
        }
    )


@ensure_csrf_cookie
def _login_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "people/login.html",
        {"form": {"next": request.GET.get("next", "")}, "error": None},
    )


def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        if not _is_json(request) and "application/json" not in request.headers.get("Accept", ""):
            return HttpResponseNotAllowed(["POST"])
        response = JsonResponse(
            {"ok": False, "error": "method_not_allowed", "message": t("Sign out with POST.")},
            status=405,
        )
        response["Allow"] = "POST"
        return response
    # CsrfViewMiddleware has checked the token: a forged logout is refused too.
    logout(request)
    if _is_json(request) or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": True})
    return redirect("/auth/login")
