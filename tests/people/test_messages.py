"""The server's own messages — sign-in failures and CSV import errors — in Japanese by
default and in English for ``Accept-Language: en``, codes unchanged; every English message
said in the code has its Japanese with the same placeholders."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from subgraphs.core.i18n import current_language, language_from_accept, use_language
from subgraphs.people import auth
from subgraphs.people.csv_io import do_import_csv
from subgraphs.people.messages import JA, t
from tests.conftest import PASSWORD

PEOPLE = Path(__file__).resolve().parents[2] / "subgraphs" / "people"


def _said_in_code() -> dict[str, str]:
    """Every ``t("...")`` of the people subgraph: English text -> where."""
    found: dict[str, str] = {}
    for path in PEOPLE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
            ):
                first = node.args[0] if node.args else None
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                    f"{path.name}:{node.lineno}: t() takes the English text as a literal"
                )
                found[first.value] = f"{path.name}:{node.lineno}"
    return found


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_said_in_the_code_has_its_japanese() -> None:
    said = _said_in_code()
    assert len(said) >= 35, sorted(said)  # sign-in (10) and CSV import (26) at least
    missing = {english: where for english, where in said.items() if english not in JA}
    assert missing == {}
    for english, japanese in JA.items():
        assert _placeholders(english) == _placeholders(japanese), english
        assert japanese != english


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "ja"),
        ("", "ja"),
        ("ja", "ja"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        ("en;q=0.5, ja;q=0.8", "ja"),
        ("fr-FR, en;q=0.7", "en"),
        ("fr, de", "ja"),
        ("en;q=0, ja;q=0.1", "ja"),
        ("EN-gb", "en"),
    ],
)
def test_the_language_of_a_request(header: str | None, language: str) -> None:
    assert language_from_accept(header) == language


def test_outside_a_request_messages_stay_english() -> None:
    assert current_language() == "en"
    assert t("Unknown department code {code}.", code="9") == "Unknown department code 9."
    with use_language("ja"):
        assert (
            t("Unknown department code {code}.", code="9") == "組織コード 9 は登録されていません。"
        )
    assert current_language() == "en"


def _login(client: Client, language: str | None, password: str | None = None) -> Any:
    headers = {"Accept-Language": language} if language else {}
    return client.post(
        "/auth/login",
        data=json.dumps(
            {"tenant": "402125", "loginId": "0003", "password": password or "not-the-password"}
        ),
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1_800_000_000.0]
    monkeypatch.setattr(auth, "_now", lambda: now[0])
    return now


@pytest.mark.django_db
def test_sign_in_failures_in_japanese_unless_english_is_asked_for(
    okawa: Any, clock: list[float]
) -> None:
    wrong = _login(Client(), None)
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_credentials"
    assert wrong.json()["message"] == "自治体、ログインID、またはパスワードが正しくありません。"
    english = _login(Client(), "en-US,en;q=0.9")
    assert english.json() == {
        "ok": False,
        "error": "invalid_credentials",
        "message": "The municipality, login ID or password is wrong.",
    }
    _login(Client(), "ja")  # the third failure: the next attempt is throttled
    throttled = _login(Client(), "ja-JP", password=PASSWORD)
    assert throttled.status_code == 429
    assert throttled.json()["error"] == "too_many_attempts"
    assert throttled.json()["message"].endswith("秒後にもう一度お試しください。")
    throttled_en = _login(Client(), "en", password=PASSWORD)
    assert throttled_en.json()["error"] == "too_many_attempts"
    assert throttled_en.json()["message"].startswith("Too many failed sign-ins.")

    missing = Client().post(
        "/auth/login", data="{}", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert missing.json()["message"] == "Enter the municipality, login ID and password."
    assert Client().post("/auth/login", data="{}", content_type="application/json").json()[
        "message"
    ] == ("自治体、ログインID、パスワードを入力してください。")


STAFF_HEADER = "ログインID,氏名,氏名カナ,メールアドレス,所属組織コード,兼務組織コード,役職,役職コード,内線番号,表示順"
BAD_STAFF = "\r\n".join([STAFF_HEADER, "9000010,山田 太郎,,not-a-mail,999999,,,,,x", ""])
IMPORT_CSV = """
mutation($input: ImportCsvInput!) {
  importCsv(input: $input) { applied errors { line column code message } }
}
"""


def _errors(body: dict[str, Any]) -> list[tuple[str, str]]:
    assert "errors" not in body, body
    return [(e["code"], e["message"]) for e in body["data"]["importCsv"]["errors"]]


@pytest.mark.django_db
def test_csv_import_errors_through_the_subgraph_in_either_language(okawa: Any) -> None:
    api = okawa.api(okawa.admin)
    variables = {"input": {"kind": "STAFF", "text": BAD_STAFF}}
    japanese = _errors(api(IMPORT_CSV, variables))
    english = _errors(
        api.post(IMPORT_CSV, variables, HTTP_ACCEPT_LANGUAGE="en").json()  # type: ignore[arg-type]
    )
    codes = ["NOT_INTEGER", "INVALID_EMAIL", "UNKNOWN_DEPARTMENT"]
    assert sorted(code for code, _ in japanese) == sorted(codes)
    assert [code for code, _ in english] == [code for code, _ in japanese]
    by_code_ja, by_code_en = dict(japanese), dict(english)
    assert by_code_ja["UNKNOWN_DEPARTMENT"] == "組織コード 999999 は登録されていません。"
    assert by_code_en["UNKNOWN_DEPARTMENT"] == "Unknown department code 999999."
    assert by_code_ja["INVALID_EMAIL"] == "メールアドレスではありません: not-a-mail。"
    assert by_code_ja["NOT_INTEGER"] == "整数ではありません: 'x'。"


@pytest.mark.django_db(transaction=True)
def test_csv_import_errors_through_the_gateway_follow_accept_language(okawa: Any) -> None:
    from yui.federation import embedded_app

    token = okawa.api(okawa.admin).token
    variables = {"input": {"kind": "STAFF", "text": BAD_STAFF}}

    async def post(language: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if language:
            headers["Accept-Language"] = language
        transport = httpx.ASGITransport(app=embedded_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:
            return await client.post(
                "/graphql", json={"query": IMPORT_CSV, "variables": variables}, headers=headers
            )

    japanese = dict(_errors(async_to_sync(post)(None).json()))
    english = dict(_errors(async_to_sync(post)("en").json()))
    assert set(japanese) == set(english) == {"NOT_INTEGER", "INVALID_EMAIL", "UNKNOWN_DEPARTMENT"}
    assert japanese["UNKNOWN_DEPARTMENT"] == "組織コード 999999 は登録されていません。"
    assert english["UNKNOWN_DEPARTMENT"] == "Unknown department code 999999."


def test_the_cli_and_direct_calls_keep_english(db: Any, okawa: Any) -> None:
    report = do_import_csv(okawa.tenant, "staff", BAD_STAFF.encode())
    assert "Unknown department code 999999." in [e.message for e in report.errors]
