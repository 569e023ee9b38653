"""Attachments of notices and circulations: upload, attach, download, and who may.

Through the real HTTP stack (upload and download views, the notices endpoint) with the
embedded storage in a temporary directory. The S3 path runs against a local moto server
when one can be started (else it is skipped, saying why).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from subgraphs.core import storage
from subgraphs.notices import actions
from subgraphs.notices.models import Attachment
from subgraphs.people import actions as people_actions
from subgraphs.people.models import Person
from tests.conftest import PASSWORD, Municipality
from tests.notices import create_category, notices_api

pytestmark = pytest.mark.django_db

ERRORS = "errors { code field message }"
POST = f"""mutation($input: PostNoticeInput!) {{ postNotice(input: $input) {{
  notice {{ id attachments {{ id name size contentType url }} }} {ERRORS} }} }}"""
NOTICE = """query($id: ID!) { notice(id: $id) { id attachments { id name url } } }"""
SAVE = f"""mutation($input: SaveCirculationInput!) {{ saveCirculation(input: $input) {{
  circulation {{ id status attachments {{ id name url }} }} {ERRORS} }} }}"""
CIRCULATION = """query($id: ID!) { circulation(id: $id) { id attachments { id name url } } }"""
BOARD = """{ notices { id attachments { id name url } } }"""

JAPANESE_NAME = "令和7年度 予算要求（案）.pdf"
PDF = b"%PDF-1.4\n% a tiny pdf\n"


@pytest.fixture(autouse=True)
def _local_storage(settings, tmp_path):
    settings.FILE_STORAGE = {"backend": "local", "location": tmp_path / "files"}
    storage.file_storage.cache_clear()
    yield
    storage.file_storage.cache_clear()


def token_of(person: Person) -> str:
    return people_actions.do_create_access_token(person, "files", None).extra["token"]  # type: ignore[no-any-return]


def upload(person: Person, name: str, content: bytes, content_type: str = "application/pdf"):
    return Client().post(
        "/files/notices",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        headers={"Authorization": f"Bearer {token_of(person)}"},
    )


def uploaded(person: Person, name: str = JAPANESE_NAME, content: bytes = PDF) -> str:
    response = upload(person, name, content)
    assert response.status_code == 201, response.content
    return response.json()["attachment"]["id"]  # type: ignore[no-any-return]


def post_with(m: Municipality, author: str, ids: list[str], to: list[str]) -> dict[str, Any]:
    category = create_category(m, f"連絡{uuid.uuid4().hex[:6]}")
    audience = {"personIds": [str(m.people[p].id) for p in to]}
    data = {"categoryId": category, "title": "添付あり", "audience": audience, "attachmentIds": ids}
    return notices_api(m, author).data(POST, {"input": data})["postNotice"]  # type: ignore[no-any-return]


def test_a_japanese_named_file_is_uploaded_attached_and_downloaded_as_an_attachment(okawa):
    p = okawa.people
    attachment_id = uploaded(p["kacho"])
    payload = post_with(okawa, "kacho", [attachment_id], ["shuji"])
    assert payload["errors"] == []
    [attachment] = payload["notice"]["attachments"]
    assert attachment["name"] == JAPANESE_NAME
    assert attachment["size"] == len(PDF)
    assert attachment["contentType"] == "application/pdf"

    # The recipient downloads it through the link the API gave them, with no session.
    url = notices_api(okawa, "shuji").data(NOTICE, {"id": payload["notice"]["id"]})["notice"][
        "attachments"
    ][0]["url"]
    response = Client().get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # RFC 5987: the UTF-8 name, percent-encoded, and an ASCII fallback for old clients.
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == JAPANESE_NAME
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".pdf")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "sandbox" in response["Content-Security-Policy"]


def test_names_that_run_or_render_are_refused_and_nothing_is_served_inline_as_html(okawa):
    kacho = okawa.people["kacho"]
    for name in ("setup.exe", "請求書.pdf.exe", "page.html", "page.HTM", "logo.svg", "run.hta"):
        response = upload(kacho, name, b"MZ or <script>alert(1)</script>", "application/pdf")
        assert response.status_code == 400, name
        assert response.json()["errors"][0]["code"] == "FILE_TYPE_NOT_ALLOWED", name
    assert not Attachment.objects.exists()

    # A file that claims to be HTML but is named .txt is served as text, as a download.
    attachment_id = uploaded(kacho, "memo.txt", b"<html><script>alert(1)</script></html>")
    with_unknown = uploaded(kacho, "data.bin", b"<html><body onload=alert(1)>")
    for pk in (attachment_id, with_unknown):
        response = Client().get(
            f"/files/notices/{pk}", headers={"Authorization": f"Bearer {token_of(kacho)}"}
        )
        assert response.status_code == 200
        assert "html" not in response["Content-Type"]
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_the_size_limit_is_enforced_and_says_so(okawa, settings):
    settings.FILE_MAX_BYTES = 1024
    kacho = okawa.people["kacho"]
    response = upload(kacho, "大きい.pdf", b"x" * 1025)
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "FILE_TOO_LARGE"
    assert upload(kacho, "ちょうど.pdf", b"x" * 1024).status_code == 201
    empty = upload(kacho, "空.pdf", b"")
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["code"] == "FILE_EMPTY"
    assert Attachment.objects.count() == 1


def test_upload_needs_a_signed_in_person_and_the_csrf_header_with_a_session(okawa):
    response = Client().post("/files/notices", {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 401
    browser = Client(enforce_csrf_checks=True)
    assert browser.login(
        tenant=okawa.tenant, login_id=okawa.people["kacho"].login_id, password=PASSWORD
    )
    refused = browser.post("/files/notices", {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "CSRF_FAILED"
    assert not Attachment.objects.exists()


def test_an_account_that_must_change_its_password_neither_uploads_nor_downloads(okawa):
    attachment = uploaded(okawa.people["kacho"])
    post_with(okawa, "kacho", [attachment], ["shuji"])
    staff = okawa.people["shuji"]
    browser = Client()
    assert browser.login(tenant=okawa.tenant, login_id=staff.login_id, password=PASSWORD)
    assert browser.get(f"/files/notices/{attachment}").status_code == 200
    Person.objects.filter(pk=staff.pk).update(must_change_password=True)
    refused = browser.get(f"/files/notices/{attachment}")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "PASSWORD_CHANGE_REQUIRED"
    count = Attachment.objects.count()
    upload_refused = browser.post("/files/notices", {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert upload_refused.status_code == 403
    assert upload_refused.json()["errors"][0]["code"] == "PASSWORD_CHANGE_REQUIRED"
    assert Attachment.objects.count() == count


def test_another_towns_attachment_is_refused_by_link_by_session_and_by_mutation(okawa, kanda):
    attachment_id = uploaded(okawa.people["kacho"])
    payload = post_with(okawa, "kacho", [attachment_id], ["shuji"])
    url = payload["notice"]["attachments"][0]["url"]

    # A kanda staff member with a valid token of their own, by bare ID: nothing.
    kanda_token = token_of(kanda.people["kacho"])
    bare = Client().get(
        f"/files/notices/{attachment_id}", headers={"Authorization": f"Bearer {kanda_token}"}
    )
    assert bare.status_code == 404
    # ... nor by re-signing okawa's ID for themselves (the token names its principal).
    kanda_link = storage.sign_file_token(
        kanda.principal(kanda.people["kacho"]), uuid.UUID(attachment_id)
    )
    assert Client().get(f"/files/notices/{attachment_id}?t={kanda_link}").status_code == 404
    # ... nor by using the link minted for okawa's author against another file ID.
    other_id = uploaded(okawa.people["kakari"])
    forged = url.replace(attachment_id, other_id)
    assert Client().get(forged).status_code == 403
    # ... nor by attaching okawa's upload to a kanda notice.
    stolen = post_with(kanda, "kacho", [attachment_id], ["shuji"])
    assert [e["code"] for e in stolen["errors"]] == ["NOT_FOUND"]
    assert stolen["errors"][0]["field"] == "attachmentIds"


def test_a_link_expires_and_access_is_checked_again_on_download(okawa):
    p = okawa.people
    attachment_id = uploaded(p["kacho"])
    payload = post_with(okawa, "kacho", [attachment_id], ["shuji"])
    pk = uuid.UUID(attachment_id)
    shuji = okawa.principal(p["shuji"])

    expired = storage.sign_file_token(shuji, pk, now=time.time() - 7200)
    response = Client().get(f"/files/notices/{pk}?t={expired}")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "LINK_EXPIRED"
    fresh = storage.sign_file_token(shuji, pk)
    assert Client().get(f"/files/notices/{pk}?t={fresh}").status_code == 200

    # Not a recipient: a link signed for them is of no use, nor is their session.
    shimin = okawa.principal(p["shimin"])
    assert (
        Client().get(f"/files/notices/{pk}?t={storage.sign_file_token(shimin, pk)}").status_code
        == 404
    )
    assert (
        Client()
        .get(f"/files/notices/{pk}", headers={"Authorization": f"Bearer {token_of(p['shimin'])}"})
        .status_code
        == 404
    )
    # A tampered signature is refused.
    assert Client().get(f"/files/notices/{pk}?t={fresh[:-2]}xx").status_code == 403
    assert payload["notice"]["id"]


def test_an_unattached_upload_is_only_its_uploaders_and_orphans_are_cleaned(okawa, tmp_path):
    p = okawa.people
    attachment_id = uploaded(p["kacho"])
    mine = Client().get(
        f"/files/notices/{attachment_id}",
        headers={"Authorization": f"Bearer {token_of(p['kacho'])}"},
    )
    assert mine.status_code == 200
    theirs = Client().get(
        f"/files/notices/{attachment_id}",
        headers={"Authorization": f"Bearer {token_of(p['kakari'])}"},
    )
    assert theirs.status_code == 404
    # Someone else cannot attach it either.
    assert post_with(okawa, "kakari", [attachment_id], ["shuji"])["errors"][0]["code"] == (
        "NOT_FOUND"
    )

    row = Attachment.objects.get(id=attachment_id)
    stored = tmp_path / "files" / row.storage_key
    assert stored.exists()
    Attachment.objects.filter(id=attachment_id).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    kept = post_with(okawa, "kacho", [uploaded(p["kacho"])], ["shuji"])  # attached: stays
    assert kept["errors"] == []
    assert actions.delete_orphan_uploads(timezone.now() + timedelta(days=2)) == 0
    assert not Attachment.objects.filter(id=attachment_id).exists()
    assert not stored.exists()
    assert Attachment.objects.count() == 1


def test_circulation_attachments_follow_the_draft_and_reach_its_recipients(okawa):
    p = okawa.people
    first, second = uploaded(p["kacho"], "資料1.xlsx"), uploaded(p["kacho"], "資料2.docx")
    sender = notices_api(okawa, "kacho")
    audience = {"personIds": [str(p["shuji"].id)]}
    draft = sender.data(
        SAVE, {"input": {"title": "回覧", "audience": audience, "attachmentIds": [first, second]}}
    )["saveCirculation"]
    assert draft["errors"] == []
    assert [a["name"] for a in draft["circulation"]["attachments"]] == ["資料1.xlsx", "資料2.docx"]
    pk = draft["circulation"]["id"]
    # Saved again with one: the other is no longer the draft's.
    again = sender.data(
        SAVE,
        {"input": {"id": pk, "title": "回覧", "audience": audience, "attachmentIds": [second]}},
    )["saveCirculation"]
    assert [a["name"] for a in again["circulation"]["attachments"]] == ["資料2.docx"]
    # Saved without attachmentIds: kept; then sent.
    sent = sender.data(
        SAVE, {"input": {"id": pk, "title": "回覧", "audience": audience, "send": True}}
    )["saveCirculation"]
    assert sent["circulation"]["status"] == "SENT"
    assert [a["name"] for a in sent["circulation"]["attachments"]] == ["資料2.docx"]

    got = notices_api(okawa, "shuji").data(CIRCULATION, {"id": pk})["circulation"]
    response = Client().get(got["attachments"][0]["url"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    # A staff member it was not sent to gets nothing, by the circulation or the file.
    assert notices_api(okawa, "shimin").data(CIRCULATION, {"id": pk})["circulation"] is None
    outsider = Client().get(
        f"/files/notices/{second}", headers={"Authorization": f"Bearer {token_of(p['shimin'])}"}
    )
    assert outsider.status_code == 404


def test_attachments_of_a_board_page_cost_the_same_queries_for_one_and_for_many(okawa):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    p = okawa.people
    reader = notices_api(okawa, "shuji")

    def board_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            reader.data(BOARD)
        return len(captured.captured_queries)

    post_with(okawa, "kacho", [uploaded(p["kacho"])], ["shuji"])
    reader.data(BOARD)  # the token's first use records itself: not part of the page
    one = board_queries()
    category = create_category(okawa, "人事")
    for n in range(5):
        ids = [uploaded(p["kacho"], f"添付{n}-{k}.pdf") for k in range(2)]
        data = {
            "categoryId": category,
            "title": f"お知らせ{n}",
            "audience": {"personIds": [str(p["shuji"].id)]},
            "attachmentIds": ids,
        }
        assert notices_api(okawa, "kacho").data(POST, {"input": data})["postNotice"]["errors"] == []
    assert len(reader.data(BOARD)["notices"]) == 6
    assert board_queries() == one


def test_clean_names_and_content_disposition():
    assert storage.clean_name("..\\..\\secret/令和７年 計画.pdf") == "令和７年 計画.pdf"
    assert storage.clean_name("a\x00b\r\n.txt") == "ab.txt"
    assert storage.clean_name(".bashrc") == "bashrc"
    long = storage.clean_name("あ" * 300 + ".xlsx")
    assert len(long) == storage.NAME_MAX_LENGTH and long.endswith(".xlsx")
    header = storage.content_disposition('報告"書";.pdf')
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E5%A0%B1%E5%91%8A%22%E6%9B%B8%22%3B.pdf" in header


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_server():
    server = shutil.which("moto_server")
    if server is None:
        pytest.skip("no S3-compatible server to start here (moto_server not installed)")
    try:
        import storages.backends.s3  # noqa: F401
    except ImportError:
        pytest.skip("django-storages[s3] (the s3 extra) is not installed")
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - moto_server found on PATH, fixed arguments
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.skip("moto_server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_s3_store_keeps_and_serves_the_same(okawa, settings, s3_server):
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket="yui-files")
    settings.FILE_STORAGE = {
        "backend": "s3",
        "bucket": "yui-files",
        "endpoint_url": s3_server,
        "access_key_id": "test",
        "secret_access_key": "test",
        "region": "us-east-1",
    }
    storage.file_storage.cache_clear()
    attachment_id = uploaded(okawa.people["kacho"])
    key = Attachment.objects.get(id=attachment_id).storage_key
    stored = s3.get_object(Bucket="yui-files", Key=key)["Body"].read()
    assert stored == PDF
    payload = post_with(okawa, "kacho", [attachment_id], ["shuji"])
    url = notices_api(okawa, "shuji").data(NOTICE, {"id": payload["notice"]["id"]})["notice"][
        "attachments"
    ][0]["url"]
    response = Client().get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert unquote(response["Content-Disposition"].split("UTF-8''", 1)[1]) == JAPANESE_NAME


UPDATE = f"""mutation($input: UpdateNoticeInput!) {{ updateNotice(input: $input) {{
  notice {{ id attachments {{ id name }} }} {ERRORS} }} }}"""


def test_editing_a_notice_keeps_reorders_adds_and_deletes_its_files(
    okawa, kanda, tmp_path, django_capture_on_commit_callbacks
):
    p = okawa.people
    first = uploaded(p["kacho"], "当初.pdf")
    notice = post_with(okawa, "kacho", [first], ["shuji"])["notice"]["id"]
    second = uploaded(p["kacho"], "追加.pdf")
    audience = {"personIds": [str(p["shuji"].id)]}

    def change(who: str, ids: list[str]) -> dict[str, Any]:
        data = {"id": notice, "title": "添付あり", "audience": audience, "attachmentIds": ids}
        return notices_api(okawa, who).data(UPDATE, {"input": data})["updateNotice"]  # type: ignore[no-any-return]

    both = change("kacho", [second, first])
    assert both["errors"] == []
    assert [a["name"] for a in both["notice"]["attachments"]] == ["追加.pdf", "当初.pdf"]
    # Someone else's upload, or a file of another notice, cannot be slipped in.
    theirs = uploaded(p["kakari"], "他人.pdf")
    assert change("kacho", [second, theirs])["errors"][0]["code"] == "NOT_FOUND"
    other = post_with(okawa, "kacho", [uploaded(p["kacho"], "別件.pdf")], ["shuji"])
    foreign = other["notice"]["attachments"][0]["id"]
    assert change("kacho", [second, foreign])["errors"][0]["code"] == "NOT_FOUND"
    stored = tmp_path / "files" / Attachment.objects.get(id=first).storage_key
    with django_capture_on_commit_callbacks(execute=True):
        only = change("kacho", [second])
    assert [a["name"] for a in only["notice"]["attachments"]] == ["追加.pdf"]
    assert not Attachment.objects.filter(id=first).exists() and not stored.exists()
    # The recipient's view follows; another town's administrator changes nothing.
    seen = notices_api(okawa, "shuji").data(NOTICE, {"id": notice})["notice"]
    assert [a["name"] for a in seen["attachments"]] == ["追加.pdf"]
    refused = notices_api(kanda, "admin").data(
        UPDATE,
        {
            "input": {
                "id": notice,
                "title": "x",
                "audience": {"everyone": True},
                "attachmentIds": [],
            }
        },
    )["updateNotice"]
    assert refused["errors"][0]["code"] == "NOT_FOUND"
    assert Attachment.objects.filter(notice_id=notice).count() == 1
