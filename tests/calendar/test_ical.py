"""iCalendar: my calendar exported (and read back by other iCalendar software the same
way we read it), the private feed URL a calendar app polls, and importing a file."""

from __future__ import annotations

from datetime import date, datetime

import icalendar
import pytest
from django.test import Client

from subgraphs.calendar import actions, ical, recurrence
from subgraphs.calendar.models import Event
from tests.calendar import calendar_api, create_event, jst, principal_of, week

ICS = "{ myCalendarIcs }"
CREATE_FEED = "mutation { createCalendarFeed { url feed { id revokedAt } errors { code } } }"
REVOKE_FEED = """mutation($id: ID!) { revokeCalendarFeed(id: $id) { feed { id revokedAt }
  errors { code } } }"""
IMPORT = """mutation($text: String!) { importIcs(text: $text) { events { id title rrule }
  skipped errors { code message line uid } } }"""


def _weekly_with_changes(okawa) -> Event:
    """課内会議 on Mondays 10:00 from 6 April 2026: the 13th moved to Wednesday 15th 14:00,
    the 20th cancelled; and an all-day trip 8–9 April."""
    kacho = okawa.people["kacho"]
    meeting = create_event(
        kacho,
        title="課内会議",
        location="第1会議室",
        description="<p>議題は<b>予算</b>&amp;人事</p><p>資料は前日まで</p>",
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        attendee_ids=[okawa.people["shuji"].id],
    )
    boss = principal_of(kacho)
    assert actions.do_move_occurrence(
        boss, meeting.id, jst(2026, 4, 13, 10), jst(2026, 4, 15, 14), jst(2026, 4, 15, 15)
    ).ok
    assert actions.do_cancel_occurrence(boss, meeting.id, jst(2026, 4, 20, 10)).ok
    create_event(
        kacho,
        title="出張（県庁）",
        all_day=True,
        start_date=date(2026, 4, 8),
        end_date=date(2026, 4, 10),
    )
    return meeting


@pytest.mark.django_db
def test_export_has_rrule_exdate_recurrence_id_tzid_and_dates(okawa):
    meeting = _weekly_with_changes(okawa)
    text = calendar_api(okawa, "kacho").data(ICS)["myCalendarIcs"]
    calendar = icalendar.Calendar.from_ical(text)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    events = calendar.walk("VEVENT")
    series = next(e for e in events if "RRULE" in e)
    moved = next(e for e in events if "RECURRENCE-ID" in e)
    trip = next(e for e in events if e["SUMMARY"] == "出張（県庁）")
    assert str(series["UID"]) == f"{meeting.id}@yui.calendar" == str(moved["UID"])
    assert "DTSTAMP" in series and "DTSTAMP" in moved
    assert series["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    assert series["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert series.decoded("DTSTART") == jst(2026, 4, 6, 10)
    assert series.decoded("DTEND") == jst(2026, 4, 6, 11)
    assert [d.dt for d in series["EXDATE"].dts] == [jst(2026, 4, 20, 10)]
    assert series["EXDATE"].params["TZID"] == "Asia/Tokyo"
    assert moved.decoded("RECURRENCE-ID") == jst(2026, 4, 13, 10)
    assert moved.decoded("DTSTART") == jst(2026, 4, 15, 14)
    assert str(series["LOCATION"]) == "第1会議室"
    assert str(series["DESCRIPTION"]) == "議題は予算&人事\n資料は前日まで"
    assert trip["DTSTART"].params["VALUE"] == "DATE"
    assert (trip.decoded("DTSTART"), trip.decoded("DTEND")) == (date(2026, 4, 8), date(2026, 4, 10))
    assert "DTSTART;TZID=Asia/Tokyo:20260406T100000" in text
    assert "DTSTART;VALUE=DATE:20260408" in text


@pytest.mark.django_db
def test_other_software_expands_the_export_as_we_do(okawa):
    recurring_ical_events = pytest.importorskip("recurring_ical_events")
    _weekly_with_changes(okawa)
    create_event(  # a monthly series whose start is not on its rule, with an all-day UNTIL
        okawa.people["kacho"],
        title="部長会議",
        starts_at=jst(2026, 4, 1, 13, 30),
        ends_at=jst(2026, 4, 1, 15),
        rrule="FREQ=MONTHLY;BYDAY=2TU;UNTIL=20260630",
    )
    create_event(
        okawa.people["kacho"],
        title="当番",
        all_day=True,
        start_date=date(2026, 4, 3),
        end_date=date(2026, 4, 4),
        rrule="FREQ=WEEKLY;BYDAY=FR;UNTIL=20260424",
    )
    start, end = jst(2026, 4, 1), jst(2026, 7, 1)
    text = calendar_api(okawa, "kacho").data(ICS)["myCalendarIcs"]
    theirs = recurring_ical_events.of(icalendar.Calendar.from_ical(text)).between(start, end)
    ours = week(calendar_api(okawa, "kacho"), start, end)

    def moment(value: date | datetime) -> datetime:
        return value if isinstance(value, datetime) else recurrence.local_midnight(value)

    assert sorted((moment(e.decoded("DTSTART")), str(e["SUMMARY"])) for e in theirs) == sorted(
        (datetime.fromisoformat(o["start"]), o["title"]) for o in ours
    )
    assert len(ours) == 13 + 3 + 4  # weekly Mondays less one, 2nd Tuesdays, Fridays


@pytest.mark.django_db
def test_an_event_seen_only_as_busy_is_exported_without_details(okawa):
    kakari = okawa.people["kakari"]
    event = create_event(
        kakari,
        title="通院",
        location="病院",
        visibility="BUSY",
        starts_at=jst(2026, 4, 7, 9),
        ends_at=jst(2026, 4, 7, 10),
    )
    event = Event.objects.prefetch_related("attendees", "overrides").get(pk=event.pk)
    outsider = principal_of(okawa.people["shuji"])
    [vevent] = icalendar.Calendar.from_ical(ical.export_calendar(outsider, [event])).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "予定あり"
    assert "LOCATION" not in vevent and "DESCRIPTION" not in vevent
    own = ical.export_calendar(principal_of(kakari), [event])
    assert "通院" in own and "病院" in own


@pytest.mark.django_db
def test_feed_url_works_without_a_session_until_revoked(okawa, kanda):
    _weekly_with_changes(okawa)
    create_event(
        kanda.people["kacho"],
        title="神田の会議",
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
    )
    api = calendar_api(okawa, "kacho")
    made = api.data(CREATE_FEED)["createCalendarFeed"]
    assert made["errors"] == [] and made["url"].startswith("http://testserver/calendar/feed/")
    anonymous = Client()
    response = anonymous.get(made["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    text = response.content.decode()
    assert "課内会議" in text and "神田の会議" not in text
    feeds = api.data("{ calendarFeeds { id revokedAt } }")["calendarFeeds"]
    assert feeds == [{"id": made["feed"]["id"], "revokedAt": None}]
    # Someone else cannot revoke it; the owner can.
    other = calendar_api(okawa, "shuji").data(REVOKE_FEED, {"id": made["feed"]["id"]})
    assert other["revokeCalendarFeed"]["errors"] == [{"code": "NOT_FOUND"}]
    assert anonymous.get(made["url"]).status_code == 200
    revoked = api.data(REVOKE_FEED, {"id": made["feed"]["id"]})["revokeCalendarFeed"]
    assert revoked["feed"]["revokedAt"] is not None
    assert anonymous.get(made["url"]).status_code == 404
    assert anonymous.get("/calendar/feed/not-a-token.ics").status_code == 404


@pytest.mark.django_db
def test_feed_of_another_municipality_shows_only_its_own_calendar(okawa, kanda):
    _weekly_with_changes(okawa)
    create_event(
        kanda.people["kacho"],
        title="神田の会議",
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
    )
    url = calendar_api(kanda, "kacho").data(CREATE_FEED)["createCalendarFeed"]["url"]
    text = Client().get(url).content.decode()
    assert "神田の会議" in text and "課内会議" not in text and "出張" not in text


@pytest.mark.django_db
def test_import_round_trip_gives_the_same_occurrences_and_only_once(okawa):
    _weekly_with_changes(okawa)
    text = calendar_api(okawa, "kacho").data(ICS)["myCalendarIcs"]
    api = calendar_api(okawa, "kakari")
    result = api.data(IMPORT, {"text": text})["importIcs"]
    assert result["errors"] == [] and result["skipped"] == 0
    assert sorted(e["title"] for e in result["events"]) == ["出張（県庁）", "課内会議"]
    start, end = jst(2026, 4, 1), jst(2026, 5, 1)

    def seen(person: str) -> list[tuple[str, str, str, str | None]]:
        found = week(calendar_api(okawa, person), start, end)
        return [(o["start"], o["end"], o["title"], o["location"]) for o in found]

    assert seen("kakari") == seen("kacho")
    assert len(seen("kakari")) == 3 + 1  # Mondays 6, 13 (moved to 15), 27; the trip
    again = api.data(IMPORT, {"text": text})["importIcs"]
    assert again == {"events": [], "skipped": 2, "errors": []}
    assert Event.objects.filter(organizer_id=okawa.people["kakari"].id).count() == 2
    # Importing my own export into my own calendar duplicates nothing either.
    mine = calendar_api(okawa, "kacho").data(IMPORT, {"text": text})["importIcs"]
    assert mine["skipped"] == 2 and mine["events"] == []


FOREIGN = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//EN
BEGIN:VEVENT
UID:abc-1@example.com
DTSTAMP:20260301T000000Z
DTSTART;TZID=Asia/Tokyo:20260302T090000
DTEND;TZID=Asia/Tokyo:20260302T093000
RRULE:FREQ=DAILY;COUNT=5
EXDATE;TZID=Asia/Tokyo:20260303T090000
SUMMARY:朝礼
END:VEVENT
BEGIN:VEVENT
UID:abc-1@example.com
DTSTAMP:20260301T000000Z
RECURRENCE-ID;TZID=Asia/Tokyo:20260304T090000
DTSTART;TZID=Asia/Tokyo:20260304T100000
DTEND;TZID=Asia/Tokyo:20260304T103000
SUMMARY:朝礼（時間変更）
END:VEVENT
BEGIN:VEVENT
UID:abc-2@example.com
DTSTAMP:20260301T000000Z
DTSTART;VALUE=DATE:20260310
SUMMARY:健康診断
END:VEVENT
END:VCALENDAR
"""


@pytest.mark.django_db
def test_import_of_a_foreign_file_keeps_rules_and_changed_occurrences(okawa):
    api = calendar_api(okawa, "shuji")
    result = api.data(IMPORT, {"text": FOREIGN})["importIcs"]
    assert result["errors"] == []
    found = week(api, jst(2026, 3, 1), jst(2026, 3, 15))
    assert [(o["start"], o["title"]) for o in found] == [
        (jst(2026, 3, 2, 9).isoformat(), "朝礼"),
        (jst(2026, 3, 4, 10).isoformat(), "朝礼（時間変更）"),
        (jst(2026, 3, 5, 9).isoformat(), "朝礼"),
        (jst(2026, 3, 6, 9).isoformat(), "朝礼"),
        (jst(2026, 3, 10).isoformat(), "健康診断"),
    ]
    assert found[-1]["allDay"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("this is not a calendar", "UNPARSABLE", 1),
        (
            FOREIGN.replace("DTSTART;VALUE=DATE:20260310", "DTSTART;VALUE=DATE:2026XX10"),
            "UNPARSABLE",
            24,  # the all-day VEVENT's DTSTART, not the first VEVENT's
        ),
        (FOREIGN.replace("RRULE:FREQ=DAILY;COUNT=5", "RRULE:FREQ=HOURLY"), "INVALID_RRULE", 9),
        (
            FOREIGN.replace("EXDATE;TZID=Asia/Tokyo:20260303T090000", "RDATE:20260320T090000"),
            "UNSUPPORTED",
            10,
        ),
    ],
)
def test_import_of_a_broken_file_imports_nothing_and_says_where(okawa, text, code, line):
    api = calendar_api(okawa, "shuji")
    result = api.data(IMPORT, {"text": text})["importIcs"]
    assert result["events"] == []
    assert [(e["code"], e["line"]) for e in result["errors"]] == [(code, line)], result
    assert not Event.objects.filter(organizer_id=okawa.people["shuji"].id).exists()
    assert week(api, jst(2026, 3, 1), jst(2026, 3, 15)) == []


def test_plain_text_of_a_description():
    html = '<p>一行目<br>二行目</p><ul><li>a &lt; b</li></ul><a href="https://x.jp">リンク</a>'
    assert ical.plain_text(html) == "一行目\n二行目\na < b\nリンク"
    assert ical.html_of_text("a < b\nc") == "a &lt; b<br>c"


# What a user typed as text, angle brackets and all: stored escaped in the rich-text
# description ("&lt;img ...&gt;"), so it must not reach the .ics as markup either.
TYPED_MARKUP = "<img src=x onerror=alert(1)>"


@pytest.mark.django_db
def test_export_carries_no_markup_in_any_text_field(okawa):
    api = calendar_api(okawa, "shuji")
    created = api.data(
        """mutation($input: CreateEventInput!) { createEvent(input: $input) {
          event { id } errors { code } } }""",
        {
            "input": {
                "title": f"件名 {TYPED_MARKUP}",
                "location": f"<b>第1会議室</b> {TYPED_MARKUP}",
                "category": "<i>会議</i>",
                "description": "<p>一行目 &lt;img src=x onerror=alert(1)&gt;</p>"
                "<p>&amp;lt;script&amp;gt;</p><script>alert(2)</script>",
                "start": "2026-04-07T09:00:00+09:00",
                "end": "2026-04-07T10:00:00+09:00",
            }
        },
    )["createEvent"]
    assert created["errors"] == []
    text = api.data(ICS)["myCalendarIcs"]
    [vevent] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    fields = {name: str(vevent[name]) for name in ("SUMMARY", "LOCATION", "DESCRIPTION")} | {
        "CATEGORIES": vevent["CATEGORIES"].to_ical().decode()
    }
    for name, value in fields.items():
        assert "<" not in value and ">" not in value, (name, value)
    assert fields["SUMMARY"] == "件名 ＜img src=x onerror=alert(1)＞"
    # Location and category are plain text as typed: their brackets are text too.
    assert fields["LOCATION"] == "＜b＞第1会議室＜/b＞ ＜img src=x onerror=alert(1)＞"
    # Entities are decoded once: text the user typed as "&lt;script&gt;" stays that text
    # (an HTML view shows it as typed), never "<script>".
    assert fields["DESCRIPTION"] == "一行目 ＜img src=x onerror=alert(1)＞\n&lt;script&gt;"
    assert "alert(2)" not in text and "<" not in text.replace("\r\n ", "")


@pytest.mark.django_db
def test_import_turns_description_markup_into_escaped_text(okawa):
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:markup@example.org\r\nSUMMARY:取込\r\n"
        "DTSTART;TZID=Asia/Tokyo:20260407T090000\r\nDTEND;TZID=Asia/Tokyo:20260407T100000\r\n"
        f"DESCRIPTION:{TYPED_MARKUP}\\n&lt;b&gt;\r\n"
        "X-ALT-DESC;FMTTYPE=text/html:<b onclick=x>bold</b>\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    api = calendar_api(okawa, "shuji")
    result = api.data(IMPORT, {"text": text})["importIcs"]
    assert result["errors"] == [] and len(result["events"]) == 1
    event = Event.objects.get(pk=result["events"][0]["id"])
    # Escaped plain text in the rich-text field: shown as typed, never run.
    assert event.description == ("&lt;img src=x onerror=alert(1)&gt;<br>&amp;lt;b&amp;gt;")
    assert ical.plain_text(event.description) == f"{TYPED_MARKUP}\n&lt;b&gt;"


# --- the feed URL is absolute (a calendar app cannot use a path) ------------------------


@pytest.mark.django_db
def test_the_feed_url_has_the_address_the_user_reached_yui_at(okawa, settings):
    api = calendar_api(okawa, "kacho")
    response = api.post(CREATE_FEED, HTTP_HOST="yui.okawa.example.lg.jp", secure=True)
    url = response.json()["data"]["createCalendarFeed"]["url"]
    assert url.startswith("https://yui.okawa.example.lg.jp/calendar/feed/") and url.endswith(".ics")
    assert Client().get(url).status_code == 200
    # Behind a reverse proxy the configured public address wins, path prefix included.
    settings.PUBLIC_URL = "https://groupware.example.lg.jp/yui"
    url = api.data(CREATE_FEED)["createCalendarFeed"]["url"]
    assert url.startswith("https://groupware.example.lg.jp/yui/calendar/feed/")


@pytest.mark.django_db
def test_through_the_embedded_gateway_the_feed_url_is_absolute_too(okawa, settings):
    import httpx
    from asgiref.sync import async_to_sync

    from subgraphs.people import actions as people_actions
    from yui.federation import embedded_app

    token = people_actions.do_create_access_token(okawa.people["kacho"], "feed", None)
    headers = {"authorization": f"Bearer {token.extra['token']}"}

    async def create(base_url: str) -> str:
        transport = httpx.ASGITransport(app=embedded_app())
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            response = await client.post("/graphql", json={"query": CREATE_FEED}, headers=headers)
        return response.json()["data"]["createCalendarFeed"]["url"]  # type: ignore[no-any-return]

    url = async_to_sync(create)("https://yui.okawa.example.lg.jp")
    assert url.startswith("https://yui.okawa.example.lg.jp/calendar/feed/")
    assert Client().get(url).status_code == 200
    # A host Yui does not answer to is not put into links: the path alone, as before.
    settings.ALLOWED_HOSTS = ["yui.okawa.example.lg.jp"]
    assert async_to_sync(create)("http://evil.example").startswith("/calendar/feed/")


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("", None),
        ("https://groupware.example.lg.jp", "https://groupware.example.lg.jp"),
        ("http://10.0.0.5:8000/yui/", "http://10.0.0.5:8000/yui"),
    ],
)
def test_yui_public_url_is_read_and_checked(monkeypatch, raw, parsed):
    from yui import config

    monkeypatch.setenv("YUI_PUBLIC_URL", raw)
    assert config.public_url() == parsed


@pytest.mark.parametrize(
    "raw",
    ["groupware.example.lg.jp", "ftp://x.example", "https://x.example:99999", "https://x/?a=1"],
)
def test_a_bad_yui_public_url_stops_with_its_name(monkeypatch, raw):
    from django.core.exceptions import ImproperlyConfigured

    from yui import config

    monkeypatch.setenv("YUI_PUBLIC_URL", raw)
    with pytest.raises(ImproperlyConfigured, match="YUI_PUBLIC_URL"):
        config.public_url()
