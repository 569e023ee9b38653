"""Sign-in endpoints: ``POST /auth/login`` (JSON or form), ``POST /auth/logout``.

JSON sign-in needs no CSRF token: a cross-site page cannot send ``application/json``
without a CORS preflight, which Yui never grants. A form post can be forged, so it must
carry the CSRF token that the sign-in page embeds.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from subgraphs.people.auth import (
    client_address,
    login_wait_seconds,
    record_login_failure,
    reset_login_failures,
    resolve_tenant,
    throttle_keys,
)

_csrf = CsrfViewMiddleware(lambda request: HttpResponse())


def _is_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json"


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _credentials(request: HttpRequest) -> dict[str, str]:
    if _is_json(request):
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        if not isinstance(body, dict):
            return {}
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
    if _is_json(request):
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
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _login_page(request)
    if not _is_json(request):
        refusal = _csrf.process_view(request, None, (), {})  # type: ignore[arg-type]
        if refusal is not None:
            return _failure(request, 403, "csrf_failed", "The form expired; reload the page.")
    creds = _credentials(request)
    if not (creds.get("tenant") and creds.get("loginId") and creds.get("password")):
        return _failure(
            request, 400, "missing_fields", "Enter the municipality, login ID and password."
        )
    tenant = resolve_tenant(creds["tenant"])
    keys = throttle_keys(tenant, creds["tenant"], creds["loginId"], client_address(request))
    wait = login_wait_seconds(keys)
    if wait > 0:
        seconds = math.ceil(wait)
        return _failure(
            request,
            429,
            "too_many_attempts",
            f"Too many failed sign-ins. Try again in {seconds} seconds.",
            retryAfter=seconds,
        )
    person = authenticate(
        request, tenant=tenant, login_id=creds["loginId"], password=creds["password"]
    )
    if person is None:
        record_login_failure(keys)
        return _failure(
            request, 401, "invalid_credentials", "The municipality, login ID or password is wrong."
        )
    reset_login_failures(keys)
    login(request, person)
    if not _is_json(request):
        return redirect(_safe_next(request, creds.get("next")))
    return JsonResponse(
        {
            "ok": True,
            "person": {"id": str(person.id), "name": person.name, "loginId": person.login_id},
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


@require_http_methods(["POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    # CsrfViewMiddleware has checked the token: a forged logout is refused too.
    logout(request)
    if _is_json(request) or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": True})
    return redirect("/auth/login")
