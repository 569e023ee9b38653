"""Where uploaded files live, what is accepted, and how they are handed back.

One storage for every subgraph that keeps files (notices' attachments now, mail later):

- **Embedded (default):** a directory under ``YUI_DATA_DIR`` (``files/``), nothing to set up.
- **At scale:** any S3-compatible store through django-storages (the ``s3`` extra), chosen
  by ``YUI_STORAGE_S3_BUCKET`` with ``YUI_STORAGE_S3_ENDPOINT_URL``,
  ``YUI_STORAGE_S3_ACCESS_KEY_ID``, ``YUI_STORAGE_S3_SECRET_ACCESS_KEY`` and
  ``YUI_STORAGE_S3_REGION`` (``yui.config.file_storage``). Objects stay private: the store
  is never reached by browsers, every download goes through Yui's own view, which checks
  who asks.

What is accepted: at most ``YUI_FILE_MAX_BYTES`` (20 MB by default), and no file whose name
says it runs (programs, scripts) or renders as a page (HTML, SVG, XML): those are refused
outright, since even as a download a municipal PC would run an ``.exe`` or ``.hta`` with one
click. Everything else is served as a download, never inline, with ``nosniff`` and a
sandboxing CSP, under a content type taken from a short list of known document types
(anything else is ``application/octet-stream``): what the uploader claimed is not trusted.

Names are kept as given (Japanese included, NFC), minus path separators and control
characters, and sent back with RFC 6266 / RFC 5987 ``filename*=UTF-8''...`` plus an ASCII
fallback for the few clients that ignore it.

A download link is a signed, expiring token naming the file and the principal it was minted
for (``sign_file_token``); the view re-checks that principal's access on every request, so a
link outlives neither the person's right to the item nor its expiry.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import mimetypes
import time
import unicodedata
import uuid
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage
from django.http import FileResponse

from subgraphs.core.principal import Principal

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
NAME_MAX_LENGTH = 200
TOKEN_TTL_SECONDS = 60 * 60  # a page of links stays usable for an hour of reading

# Names that run when opened (Windows executables and scripts, installers, shortcuts) or
# render as a document with scripts in a browser. Checked on the last extension and, for
# "report.pdf.exe" style names, it is the last one that Windows acts on.
DENIED_EXTENSIONS = frozenset(
    {
        # programs and installers
        "exe", "com", "scr", "pif", "msi", "msp", "msix", "appx", "cpl", "dll", "sys",
        "jar", "apk", "app", "dmg", "deb", "rpm",
        # scripts and shortcuts
        "bat", "cmd", "ps1", "psm1", "vbs", "vbe", "js", "jse", "mjs", "wsf", "wsh", "hta",
        "lnk", "url", "reg", "inf", "scf", "sh", "py", "pl", "php", "asp", "aspx", "jsp",
        "iso", "img", "vhd", "vhdx",
        # documents a browser renders with scripts
        "html", "htm", "xhtml", "shtml", "mht", "mhtml", "svg", "svgz", "xml", "xsl", "xslt",
    }
)  # fmt: skip

# Types served as what they are (so the browser's download names and icons are right);
# anything else goes out as application/octet-stream.
SERVED_TYPES = {
    "pdf": "application/pdf",
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "zip": "application/zip",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "jtd": "application/x-js-taro",  # 一太郎, still common in municipal offices
}
FALLBACK_TYPE = "application/octet-stream"


class FileRefused(Exception):
    """An upload that is not accepted; ``code`` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidFileToken(Exception):
    """A download token that is malformed, forged, for another file, or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


# --- the store ----------------------------------------------------------------------------


@functools.cache
def file_storage() -> Storage:
    """The deployment's file store (settings.FILE_STORAGE, built from YUI_STORAGE_*)."""
    options: dict[str, Any] = dict(getattr(settings, "FILE_STORAGE", None) or {})
    if options.get("backend") == "s3":
        # Imported only when configured: django-storages and boto3 are an optional extra.
        from storages.backends.s3 import S3Storage

        return S3Storage(
            bucket_name=options["bucket"],
            endpoint_url=options.get("endpoint_url") or None,
            access_key=options.get("access_key_id") or None,
            secret_key=options.get("secret_access_key") or None,
            region_name=options.get("region") or None,
            default_acl=None,
            querystring_auth=True,
            file_overwrite=False,
        )
    location = options.get("location") or settings.DATA_DIR / "files"
    return FileSystemStorage(location=str(location), directory_permissions_mode=0o700)


def max_bytes() -> int:
    return int(getattr(settings, "FILE_MAX_BYTES", DEFAULT_MAX_BYTES))


def save(key_prefix: str, content: IO[bytes]) -> str:
    """Store ``content`` under a fresh name below ``key_prefix``; the key to keep."""
    return file_storage().save(f"{key_prefix}/{uuid.uuid4().hex}", File(content))


def open_file(key: str) -> IO[bytes]:
    return file_storage().open(key, "rb")  # type: ignore[no-any-return]


def delete(key: str) -> None:
    file_storage().delete(key)


# --- what is accepted ---------------------------------------------------------------------


def clean_name(name: str) -> str:
    """The name to keep: NFC, no directories, control characters or leading dots."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = text.strip().lstrip(".").strip()
    if len(text) > NAME_MAX_LENGTH:
        stem, dot, extension = text.rpartition(".")
        if dot and len(extension) <= 10:
            text = stem[: NAME_MAX_LENGTH - len(extension) - 1] + "." + extension
        else:
            text = text[:NAME_MAX_LENGTH]
    return text


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower().rstrip(" .") if dot and stem else ""


def served_type(name: str) -> str:
    """The content type a file is served as, from its name (never from the uploader)."""
    return SERVED_TYPES.get(extension_of(name), FALLBACK_TYPE)


@dataclass(frozen=True)
class Accepted:
    name: str
    content_type: str
    size: int


def check_upload(name: str, size: int) -> Accepted:
    """The file as it will be kept, or FileRefused saying why not."""
    kept = clean_name(name)
    if not kept:
        raise FileRefused("FILE_NAME_REQUIRED", "The file has no usable name.")
    if size <= 0:
        raise FileRefused("FILE_EMPTY", "The file is empty.")
    limit = max_bytes()
    if size > limit:
        megabytes = limit / (1024 * 1024)
        raise FileRefused("FILE_TOO_LARGE", f"A file may be at most {megabytes:g} MB.")
    extension = extension_of(kept)
    guessed, _ = mimetypes.guess_type(f"x.{extension}") if extension else (None, None)
    if extension in DENIED_EXTENSIONS or (guessed or "").startswith(("text/html", "image/svg")):
        raise FileRefused(
            "FILE_TYPE_NOT_ALLOWED",
            f"Files of type .{extension} are not accepted (programs, scripts and web pages).",
        )
    return Accepted(name=kept, content_type=served_type(kept), size=size)


# --- handing it back ----------------------------------------------------------------------


def content_disposition(name: str) -> str:
    """``attachment`` with the UTF-8 name (RFC 6266 / 5987) and an ASCII fallback."""
    ascii_name = (
        "".join(
            c if 0x20 <= ord(c) < 0x7F and c not in '"\\;' else "_"
            for c in unicodedata.normalize("NFKD", name)
            if not unicodedata.combining(c)
        ).strip()
        or "download"
    )
    if extension_of(name) and not extension_of(ascii_name):
        ascii_name += "." + extension_of(name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_response(key: str, name: str, size: int | None = None) -> FileResponse:
    """The file as a download: never inline, never sniffed, never run as a page."""
    response = FileResponse(open_file(key), content_type=served_type(name))
    if size is not None:
        response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into rendering it, nothing in it may run or load.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- signed, expiring download tokens -----------------------------------------------------


def _key() -> bytes:
    return hashlib.sha256(b"yui.file.v1:" + settings.SECRET_KEY.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_file_token(
    principal: Principal, file_id: uuid.UUID, ttl: int = TOKEN_TTL_SECONDS, now: float | None = None
) -> str:
    """A token for ``file_id`` on behalf of ``principal``, valid for ``ttl`` seconds."""
    expiry = int((now if now is not None else time.time()) + ttl)
    claims = {"f": file_id.hex, "p": principal.to_claims()}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    message = f"v1.{expiry}.{body}"
    mac = hmac.new(_key(), message.encode(), hashlib.sha256).digest()
    return f"{message}.{_b64(mac)}"


def verify_file_token(token: str, file_id: uuid.UUID, now: float | None = None) -> Principal:
    """The principal a valid token for ``file_id`` was minted for."""
    try:
        version, expiry_text, body, mac_text = token.split(".")
        expiry = int(expiry_text)
        given = _unb64(mac_text)
    except ValueError as exc:
        raise InvalidFileToken("malformed download token") from exc
    expected = hmac.new(_key(), f"{version}.{expiry_text}.{body}".encode(), hashlib.sha256)
    if version != "v1" or not hmac.compare_digest(expected.digest(), given):
        raise InvalidFileToken("bad download token")
    try:
        claims = json.loads(_unb64(body))
        principal = Principal.from_claims(claims["p"])
        signed_file = uuid.UUID(claims["f"])
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidFileToken("malformed download token") from exc
    if signed_file != file_id:
        raise InvalidFileToken("the token is for another file")
    if (now if now is not None else time.time()) > expiry:
        raise InvalidFileToken("the download link has expired", expired=True)
    return principal
