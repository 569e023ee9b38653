"""Editing one occurrence of a series (editOccurrence): its own title or location, shown
in everybody's week, in the iCalendar export as a RECURRENCE-ID VEVENT, with the same
permission and version check as any other change."""

from __future__ import annotations

from typing import Any

import icalendar
import pytest

from subgraphs.calendar import actions
from subgraphs.calendar.actions import EVENT_TYPE, Kind
from subgraphs.calendar.models import Event, EventOverride
from tests.calendar import (
    PERSON_EVENTS,
    calendar_api,
    create_event,
    iso,
    jst,
    principal_of,
    week,
)
from tests.conftest import GraphQLClient

EDIT = """mutation($id: ID!, $rid: DateTime!, $input: EditOccurrenceInput!, $version: Int) {
  editOccurrence(eventId: $id, recurrenceId: $rid, input: $input, version: $version) {
    event { id title location version } errors { code field message } } }"""
ICS = "query { myCalendarIcs }"


def weekly(okawa: Any, **more: Any) -> Event:
    return create_event(
        okawa.people["kacho"],
        title="係長会議",
        location="第1会議室",
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        attendee_ids=[okawa.people["shuji"].id],
        **more,
    )


def edit(api: GraphQLClient, event: Event, rid: str, version: int | None = None, **fields: Any):
    variables = {"id": str(event.id), "rid": rid, "input": fields, "version": version}
    return api.data(EDIT, variables)["editOccurrence"]


def shown(api: GraphQLClient) -> list[tuple[str, str, str | None]]:
    """(start, title, location) of each occurrence in the weeks of 6 and 13 April."""
    found = week(api, jst(2026, 4, 6), jst(2026, 4, 20))
    return [(o["start"], o["title"], o["location"]) for o in found]


@pytest.mark.django_db
def test_an_edited_occurrence_shows_its_own_title_and_location_in_everyones_week(okawa):
    meeting = weekly(okawa)
    payload = edit(
        calendar_api(okawa, "kacho"),
        meeting,
        iso(2026, 4, 13, 10),
        title="臨時 係長会議",
        location="",
    )
    assert payload["errors"] == []
    # The event is the series: its own values stay, its version goes up.
    assert payload["event"] == {
        "id": str(meeting.id),
        "title": "係長会議",
        "location": "第1会議室",
        "version": 2,
    }
    expected = [
        (iso(2026, 4, 6, 10), "係長会議", "第1会議室"),
        (iso(2026, 4, 13, 10), "臨時 係長会議", ""),
    ]
    assert shown(calendar_api(okawa, "shuji")) == expected
    assert shown(calendar_api(okawa, "kacho")) == expected
    # The person's week read through the federated Person entity shows the same.
    shuji = okawa.people["shuji"]
    entities = calendar_api(okawa, "kakari").data(
        PERSON_EVENTS,
        {
            "reps": [{"__typename": "Person", "id": str(shuji.id)}],
            "start": iso(2026, 4, 13),
            "end": iso(2026, 4, 14),
        },
    )["_entities"][0]["events"]
    assert [(o["title"], o["location"], o["isMoved"]) for o in entities] == [
        ("臨時 係長会議", "", False)
    ]


@pytest.mark.django_db
def test_a_left_out_field_stays_and_null_goes_back_to_the_series(okawa):
    meeting = weekly(okawa)
    api = calendar_api(okawa, "kacho")
    rid = iso(2026, 4, 13, 10)
    assert edit(api, meeting, rid, title="  予算\u3000説明  ")["errors"] == []
    assert edit(api, meeting, rid, location="議会棟 3F")["errors"] == []
    override = EventOverride.objects.get(event=meeting)
    assert (override.title, override.location) == ("予算 説明", "議会棟 3F")
    assert shown(api)[1] == (rid, "予算 説明", "議会棟 3F")
    assert edit(api, meeting, rid, title=None)["errors"] == []
    assert shown(api)[1] == (rid, "係長会議", "議会棟 3F")
    # Back to the series in every field: no changed occurrence is left.
    assert edit(api, meeting, rid, location=None)["event"]["version"] == 5
    assert not EventOverride.objects.filter(event=meeting).exists()
    assert shown(api)[1] == (rid, "係長会議", "第1会議室")


@pytest.mark.django_db
def test_a_moved_occurrence_keeps_its_time_when_edited(okawa):
    meeting = weekly(okawa)
    boss = principal_of(okawa.people["kacho"])
    assert actions.do_move_occurrence(
        boss, meeting.id, jst(2026, 4, 13, 10), jst(2026, 4, 14, 15), jst(2026, 4, 14, 16)
    ).ok
    api = calendar_api(okawa, "kacho")
    assert edit(api, meeting, iso(2026, 4, 13, 10), title="係長会議（火曜）")["errors"] == []
    occurrence = week(api, jst(2026, 4, 13), jst(2026, 4, 20))
    assert [(o["start"], o["end"], o["title"], o["isMoved"]) for o in occurrence] == [
        (iso(2026, 4, 14, 15), iso(2026, 4, 14, 16), "係長会議（火曜）", True)
    ]


@pytest.mark.django_db
def test_the_ical_export_has_the_edited_occurrence_as_a_recurrence_id_vevent(okawa):
    meeting = weekly(okawa)
    edit(calendar_api(okawa, "kacho"), meeting, iso(2026, 4, 13, 10), title="臨時", location="")
    edit(calendar_api(okawa, "kacho"), meeting, iso(2026, 4, 20, 10), location="庁議室")
    text = calendar_api(okawa, "shuji").data(ICS)["myCalendarIcs"]
    vevents = icalendar.Calendar.from_ical(text).walk("VEVENT")
    master = next(v for v in vevents if "RECURRENCE-ID" not in v)
    assert (str(master["SUMMARY"]), str(master["LOCATION"])) == ("係長会議", "第1会議室")
    changed = {
        v.decoded("RECURRENCE-ID"): (str(v["SUMMARY"]), v.get("LOCATION"), v.decoded("DTSTART"))
        for v in vevents
        if "RECURRENCE-ID" in v
    }
    assert changed == {
        jst(2026, 4, 13, 10): ("臨時", None, jst(2026, 4, 13, 10)),  # location cleared
        jst(2026, 4, 20, 10): ("係長会議", "庁議室", jst(2026, 4, 20, 10)),
    }
    assert all(str(v["UID"]) == f"{meeting.id}@yui.calendar" for v in vevents)


@pytest.mark.django_db
def test_the_change_is_published_after_commit(
    okawa, django_capture_on_commit_callbacks, monkeypatch
):
    from subgraphs.core import events

    messages: list[dict] = []
    monkeypatch.setattr(events, "_send", lambda group, message: messages.append(message))
    meeting = weekly(okawa)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        edit(calendar_api(okawa, "kacho"), meeting, iso(2026, 4, 13, 10), title="臨時")
    assert messages == []  # nothing is told before the commit
    for callback in callbacks:
        callback()
    assert [(m["type"], m["kind"], m["event_id"], m["version"]) for m in messages] == [
        (EVENT_TYPE, Kind.UPDATED, str(meeting.id), 2)
    ]
    assert set(messages[0]["person_ids"]) == {
        str(okawa.people["kacho"].id),
        str(okawa.people["shuji"].id),
    }


@pytest.mark.django_db
def test_only_the_organizer_or_an_admin_edits_an_occurrence(okawa):
    meeting = weekly(okawa)
    refused = calendar_api(okawa, "shuji")(
        EDIT, {"id": str(meeting.id), "rid": iso(2026, 4, 13, 10), "input": {"title": "x"}}
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not EventOverride.objects.exists()
    admin = edit(calendar_api(okawa, "admin"), meeting, iso(2026, 4, 13, 10), title="代理入力")
    assert admin["errors"] == []
    assert EventOverride.objects.get().title == "代理入力"


@pytest.mark.django_db
def test_a_stale_version_is_a_conflict(okawa):
    meeting = weekly(okawa)
    api = calendar_api(okawa, "kacho")
    assert edit(api, meeting, iso(2026, 4, 13, 10), version=1, title="一")["errors"] == []
    stale = edit(api, meeting, iso(2026, 4, 20, 10), version=1, title="二")
    assert stale["event"] is None
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    assert list(EventOverride.objects.values_list("title", flat=True)) == ["一"]


@pytest.mark.django_db
def test_what_is_not_an_editable_occurrence_comes_back_as_errors(okawa):
    meeting = weekly(okawa)
    single = create_event(
        okawa.people["kacho"], starts_at=jst(2026, 4, 7, 10), ends_at=jst(2026, 4, 7, 11)
    )
    boss = principal_of(okawa.people["kacho"])
    assert actions.do_cancel_occurrence(boss, meeting.id, jst(2026, 4, 27, 10)).ok
    api = calendar_api(okawa, "kacho")
    cases = [
        (single, iso(2026, 4, 7, 10), {"title": "x"}, ("NOT_RECURRING", None)),
        (meeting, iso(2026, 4, 14, 10), {"title": "x"}, ("NOT_AN_OCCURRENCE", "recurrenceId")),
        (meeting, iso(2026, 4, 27, 10), {"title": "x"}, ("CANCELLED", "recurrenceId")),
        (meeting, iso(2026, 4, 13, 10), {"title": "  "}, ("REQUIRED", "title")),
        (meeting, iso(2026, 4, 13, 10), {"location": "室" * 201}, ("TOO_LONG", "location")),
    ]
    for event, rid, fields, error in cases:
        payload = edit(api, event, rid, **fields)
        assert payload["event"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [error]
    meeting.refresh_from_db()
    assert meeting.version == 2  # only the cancellation counted
    assert list(EventOverride.objects.values_list("cancelled", "title")) == [(True, None)]
