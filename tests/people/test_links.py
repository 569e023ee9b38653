"""The link collection (リンク集): administrators keep it, every signed-in colleague reads it
on the portal, another municipality never sees or touches it, and only http(s) is linked."""

from __future__ import annotations

import pytest

from subgraphs.people.models import Link

LINKS = "{ links { id title url description category sortOrder opensInNewTab } }"
SAVE = """
mutation($input: SaveLinkInput!) {
  saveLink(input: $input) { link { id title url category sortOrder opensInNewTab } errors { code field } }
}
"""
DELETE = "mutation($id: ID!) { deleteLink(id: $id) { deletedId errors { code field } } }"
REORDER = """
mutation($ids: [ID!]!) { reorderLinks(ids: $ids) { links { title sortOrder } errors { code field } } }
"""


def add(api, title: str, url: str, **more) -> dict:
    out = api.data(SAVE, {"input": {"title": title, "url": url, **more}})["saveLink"]
    assert out["errors"] == [], out
    return out["link"]


@pytest.mark.django_db
def test_admin_adds_links_that_colleagues_read_in_order(okawa):
    admin = okawa.api(okawa.admin)
    first = add(admin, "財務会計システム", "http://zaimu.okawa.local/", category="業務システム")
    second = add(
        admin,
        "例規集",
        "https://reiki.example.lg.jp/okawa/",
        description="条例・規則",
        opensInNewTab=False,
    )
    assert (first["sortOrder"], second["sortOrder"]) == (0, 1)
    links = okawa.api("shuji").data(LINKS)["links"]
    assert [(link["title"], link["url"], link["category"]) for link in links] == [
        ("財務会計システム", "http://zaimu.okawa.local/", "業務システム"),
        ("例規集", "https://reiki.example.lg.jp/okawa/", ""),
    ]
    assert [link["opensInNewTab"] for link in links] == [True, False]
    assert links[1]["description"] == "条例・規則"


@pytest.mark.django_db
def test_signed_out_reader_gets_an_error_not_the_links(okawa, anonymous):
    add(okawa.api(okawa.admin), "例規集", "https://reiki.example.lg.jp/")
    result = anonymous(LINKS)
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert result.get("data") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/",
        "http://",
        "zaimu.okawa.local",
        "http://exa mple.jp/",
        "http://example.jp:99999/",
    ],
)
def test_only_http_and_https_addresses_are_linked(okawa, url):
    out = okawa.api(okawa.admin).data(SAVE, {"input": {"title": "危険", "url": url}})["saveLink"]
    assert out == {"link": None, "errors": [{"code": "INVALID_URL", "field": "url"}]}
    assert not Link.objects.exists()


@pytest.mark.django_db
def test_missing_and_too_long_fields_are_typed_errors(okawa):
    admin = okawa.api(okawa.admin)
    out = admin.data(SAVE, {"input": {"title": "  ", "url": ""}})["saveLink"]
    assert out["errors"] == [
        {"code": "REQUIRED", "field": "title"},
        {"code": "REQUIRED", "field": "url"},
    ]
    long = admin.data(
        SAVE, {"input": {"title": "あ" * 101, "url": "https://x.example/", "category": "い" * 51}}
    )["saveLink"]
    assert long["errors"] == [
        {"code": "TOO_LONG", "field": "title"},
        {"code": "TOO_LONG", "field": "category"},
    ]
    assert not Link.objects.exists()


@pytest.mark.django_db
def test_admin_edits_and_deletes_a_link(okawa):
    admin = okawa.api(okawa.admin)
    link = add(admin, "様式集", "http://yoshiki.okawa.local/")
    changed = admin.data(
        SAVE,
        {
            "input": {
                "id": link["id"],
                "title": "庁内様式集",
                "url": "https://yoshiki.okawa.local/",
                "category": "規程・様式",
            }
        },
    )["saveLink"]
    assert changed["errors"] == []
    assert changed["link"]["title"] == "庁内様式集" and changed["link"]["sortOrder"] == 0
    assert okawa.api("shuji").data(LINKS)["links"][0]["url"] == "https://yoshiki.okawa.local/"
    deleted = admin.data(DELETE, {"id": link["id"]})["deleteLink"]
    assert deleted == {"deletedId": link["id"], "errors": []}
    assert okawa.api("shuji").data(LINKS)["links"] == []
    again = admin.data(DELETE, {"id": link["id"]})["deleteLink"]
    assert again["errors"] == [{"code": "NOT_FOUND", "field": "id"}]


@pytest.mark.django_db
def test_reorder_puts_every_link_in_the_given_order(okawa):
    admin = okawa.api(okawa.admin)
    a, b, c = (add(admin, t, f"https://{t}.example/") for t in ("a", "b", "c"))
    out = admin.data(REORDER, {"ids": [c["id"], a["id"], b["id"]]})["reorderLinks"]
    assert out["errors"] == []
    assert [(link["title"], link["sortOrder"]) for link in out["links"]] == [
        ("c", 0),
        ("a", 1),
        ("b", 2),
    ]
    assert [link["title"] for link in okawa.api("kacho").data(LINKS)["links"]] == ["c", "a", "b"]
    # A list that is not the whole collection (a link added in another window) changes nothing.
    partial = admin.data(REORDER, {"ids": [a["id"], c["id"]]})["reorderLinks"]
    assert partial == {"links": [], "errors": [{"code": "CONFLICT", "field": "ids"}]}
    twice = admin.data(REORDER, {"ids": [a["id"], a["id"], b["id"], c["id"]]})["reorderLinks"]
    assert twice["errors"] == [{"code": "CONFLICT", "field": "ids"}]
    assert [link["title"] for link in okawa.api("kacho").data(LINKS)["links"]] == ["c", "a", "b"]


@pytest.mark.django_db
def test_staff_cannot_change_the_collection(okawa):
    link = add(okawa.api(okawa.admin), "例規集", "https://reiki.example.lg.jp/")
    staff = okawa.api("shuji")
    for query, variables in [
        (SAVE, {"input": {"title": "x", "url": "https://x.example/"}}),
        (SAVE, {"input": {"id": link["id"], "title": "x", "url": "https://x.example/"}}),
        (DELETE, {"id": link["id"]}),
        (REORDER, {"ids": [link["id"]]}),
    ]:
        result = staff(query, variables)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert [link["title"] for link in staff.data(LINKS)["links"]] == ["例規集"]


@pytest.mark.django_db
def test_another_municipality_neither_sees_nor_changes_the_links(okawa, kanda):
    link = add(okawa.api(okawa.admin), "財務会計システム", "http://zaimu.okawa.local/")
    add(kanda.api(kanda.admin), "苅田町例規集", "https://reiki.example.lg.jp/kanda/")
    assert [x["title"] for x in kanda.api("shuji").data(LINKS)["links"]] == ["苅田町例規集"]
    other = kanda.api(kanda.admin)
    edit = other.data(
        SAVE, {"input": {"id": link["id"], "title": "乗っ取り", "url": "https://evil.example/"}}
    )["saveLink"]
    assert edit == {"link": None, "errors": [{"code": "NOT_FOUND", "field": "id"}]}
    assert other.data(DELETE, {"id": link["id"]})["deleteLink"]["errors"] == [
        {"code": "NOT_FOUND", "field": "id"}
    ]
    # Okawa's link in Kanda's reorder list is not Kanda's collection: refused whole.
    kanda_ids = [x["id"] for x in other.data(LINKS)["links"]]
    assert other.data(REORDER, {"ids": [link["id"], *kanda_ids]})["reorderLinks"]["errors"] == [
        {"code": "CONFLICT", "field": "ids"}
    ]
    assert [x["title"] for x in okawa.api("shuji").data(LINKS)["links"]] == ["財務会計システム"]
