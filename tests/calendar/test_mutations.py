"""Changing calendars through the API: create with validation as data, update with a
version check, only organizers (or tenant admins) change, occurrences cancelled and moved
by drag & drop, "this and following", and answers to invitations."""

from __future__ import annotations

import pytest

from subgraphs.calendar.models import Event, EventOverride
from tests.calendar import (
    EVENT,
    PAYLOAD,
    calendar_api,
    create_event,
    iso,
    jst,
    week,
)

CREATE = f"mutation($input: CreateEventInput!) {{ createEvent(input: $input) {{ {PAYLOAD} }} }}"
UPDATE = f"""mutation($id: ID!, $input: UpdateEventInput!, $version: Int) {{
  updateEvent(id: $id, input: $input, version: $version) {{ {PAYLOAD} }} }}"""
CANCEL = f"mutation($id: ID!) {{ cancelEvent(id: $id) {{ {PAYLOAD} }} }}"
CANCEL_OCCURRENCE = f"""mutation($id: ID!, $rid: DateTime!) {{
  cancelOccurrence(eventId: $id, recurrenceId: $rid) {{ {PAYLOAD} }} }}"""
MOVE = f"""mutation($id: ID!, $rid: DateTime, $s: DateTime!, $e: DateTime!) {{
  moveOccurrence(eventId: $id, recurrenceId: $rid, start: $s, end: $e) {{ {PAYLOAD} }} }}"""
EDIT_FOLLOWING = f"""mutation($id: ID!, $rid: DateTime!, $input: UpdateEventInput!) {{
  editFollowing(eventId: $id, recurrenceId: $rid, input: $input) {{ {PAYLOAD} }} }}"""
RESPOND = f"""mutation($id: ID!, $r: AttendeeResponse!) {{
  respondToEvent(eventId: $id, response: $r) {{ {PAYLOAD} }} }}"""


def weekly(okawa, **more):
    return create_event(
        okawa.people["kacho"],
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        attendee_ids=[okawa.people["shuji"].id],
        **more,
    )


@pytest.mark.django_db
def test_create_event_with_attendees_and_sanitised_description(okawa):
    shuji = okawa.people["shuji"]
    api = calendar_api(okawa, "kacho")
    payload = api.data(
        CREATE,
        {
            "input": {
                "title": "  予算  ヒアリング ",
                "start": "2026-04-07T13:00:00",  # no offset: Japan time
                "end": "2026-04-07T14:00:00+09:00",
                "description": '<p onclick="x()">資料は<b>共有</b><script>alert(1)</script>'
                '<a href="javascript:alert(1)">ここ</a><img src=x></p>',
                "attendeeIds": [str(shuji.id), str(shuji.id)],
            }
        },
    )["createEvent"]
    assert payload["errors"] == []
    assert payload["event"]["title"] == "予算 ヒアリング"
    assert payload["event"]["start"] == iso(2026, 4, 7, 13)
    event = calendar_api(okawa, "shuji").data(EVENT, {"id": payload["event"]["id"]})["event"]
    assert event["description"].startswith("<p>資料は<b>共有</b>")
    for bad in ("script", "onclick", "javascript", "<img"):
        assert bad not in event["description"]
    assert event["attendees"] == [{"person": {"id": str(shuji.id)}, "response": "PENDING"}]
    assert event["organizer"] == {"id": str(okawa.people["kacho"].id)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"title": " "}, "REQUIRED", "title"),
        ({"end": "2026-04-07T09:00:00+09:00"}, "END_BEFORE_START", "end"),
        ({"end": "2027-04-09T10:00:00+09:00"}, "TOO_LONG", "end"),
        ({"rrule": "FREQ=SECONDLY"}, "INVALID_RRULE", "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20200101"}, "INVALID_RRULE", "rrule"),
        ({"allDay": True}, "REQUIRED", "startDate"),
        ({"attendeeIds": ["0003"]}, "INVALID", "attendeeIds"),
        (
            {
                "rrule": "FREQ=DAILY",
                "exdates": [
                    f"2026-04-08T{h:02d}:{m:02d}:00+09:00" for h in range(24) for m in range(60)
                ],
            },
            "TOO_MANY",
            "exdates",
        ),
    ],
)
def test_invalid_events_come_back_as_errors(okawa, fields, code, field):
    base = {
        "title": "会議",
        "start": "2026-04-07T10:00:00+09:00",
        "end": "2026-04-07T11:00:00+09:00",
    }
    payload = calendar_api(okawa, "kacho").data(CREATE, {"input": {**base, **fields}})
    assert payload["createEvent"]["event"] is None
    assert [(e["code"], e["field"]) for e in payload["createEvent"]["errors"]] == [(code, field)]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_only_the_organizer_or_an_admin_changes_an_event(okawa):
    meeting = weekly(okawa)
    refused = calendar_api(okawa, "shuji")(UPDATE, {"id": str(meeting.id), "input": {"title": "x"}})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for mutation, variables in (
        (CANCEL, {"id": str(meeting.id)}),
        (CANCEL_OCCURRENCE, {"id": str(meeting.id), "rid": iso(2026, 4, 13, 10)}),
    ):
        result = calendar_api(okawa, "shuji")(mutation, variables)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = calendar_api(okawa, "admin").data(
        UPDATE, {"id": str(meeting.id), "input": {"location": "第2会議室"}}
    )["updateEvent"]
    assert admin["errors"] == [] and admin["event"]["version"] == 2
    assert Event.objects.get().location == "第2会議室"


@pytest.mark.django_db
def test_update_with_a_stale_version_is_a_conflict(okawa):
    meeting = weekly(okawa)
    api = calendar_api(okawa, "kacho")
    first = api.data(UPDATE, {"id": str(meeting.id), "input": {"title": "定例"}, "version": 1})
    assert first["updateEvent"]["event"]["version"] == 2
    stale = api.data(UPDATE, {"id": str(meeting.id), "input": {"title": "x"}, "version": 1})
    assert [e["code"] for e in stale["updateEvent"]["errors"]] == ["CONFLICT"]
    assert Event.objects.get().title == "定例"


@pytest.mark.django_db
def test_cancel_and_move_occurrences_then_cancel_the_series(okawa):
    meeting = weekly(okawa)
    api = calendar_api(okawa, "kacho")
    mid = str(meeting.id)
    moved = api.data(
        MOVE,
        {
            "id": mid,
            "rid": iso(2026, 4, 13, 10),
            "s": iso(2026, 4, 14, 9),
            "e": iso(2026, 4, 14, 10),
        },
    )["moveOccurrence"]
    assert moved["errors"] == [] and moved["event"]["version"] == 2
    api.data(CANCEL_OCCURRENCE, {"id": mid, "rid": iso(2026, 4, 20, 10)})
    not_one = api.data(CANCEL_OCCURRENCE, {"id": mid, "rid": iso(2026, 4, 21, 10)})
    assert not_one["cancelOccurrence"]["errors"][0]["code"] == "NOT_AN_OCCURRENCE"
    starts = [o["start"] for o in week(api, jst(2026, 4, 6), jst(2026, 4, 27))]
    assert starts == [iso(2026, 4, 6, 10), iso(2026, 4, 14, 9)]
    assert EventOverride.objects.count() == 2
    cancelled = api.data(CANCEL, {"id": mid})["cancelEvent"]
    assert cancelled["event"]["cancelled"] is True
    assert week(api, jst(2026, 4, 6), jst(2026, 4, 27)) == []
    again = api.data(UPDATE, {"id": mid, "input": {"title": "x"}})["updateEvent"]
    assert again["errors"][0]["code"] == "CANCELLED"


@pytest.mark.django_db
def test_moving_a_single_event_moves_it(okawa):
    event = create_event(
        okawa.people["kacho"], starts_at=jst(2026, 4, 7, 10), ends_at=jst(2026, 4, 7, 11)
    )
    api = calendar_api(okawa, "kacho")
    moved = api.data(
        MOVE, {"id": str(event.id), "s": iso(2026, 4, 8, 15), "e": iso(2026, 4, 8, 16)}
    )
    assert moved["moveOccurrence"]["event"]["start"] == iso(2026, 4, 8, 15)
    assert [o["start"] for o in week(api, jst(2026, 4, 6), jst(2026, 4, 13))] == [
        iso(2026, 4, 8, 15)
    ]


@pytest.mark.django_db
def test_this_and_following_splits_the_series(okawa):
    meeting = weekly(okawa, location="第1会議室")
    api = calendar_api(okawa, "kacho")
    # A moved occurrence after the split goes with the new series.
    api.data(
        MOVE,
        {
            "id": str(meeting.id),
            "rid": iso(2026, 5, 4, 10),
            "s": iso(2026, 5, 7, 10),
            "e": iso(2026, 5, 7, 11),
        },
    )
    split = api.data(
        EDIT_FOLLOWING,
        {"id": str(meeting.id), "rid": iso(2026, 4, 20, 10), "input": {"location": "大会議室"}},
    )["editFollowing"]
    assert split["errors"] == []
    new_id = split["event"]["id"]
    assert new_id != str(meeting.id)
    assert split["event"]["start"] == iso(2026, 4, 20, 10)
    old = api.data(EVENT, {"id": str(meeting.id)})["event"]
    assert old["rrule"] == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260420T005959Z"
    found = week(api, jst(2026, 4, 6), jst(2026, 5, 12))
    assert [(o["start"], o["location"], o["eventId"] == new_id) for o in found] == [
        (iso(2026, 4, 6, 10), "第1会議室", False),
        (iso(2026, 4, 13, 10), "第1会議室", False),
        (iso(2026, 4, 20, 10), "大会議室", True),
        (iso(2026, 4, 27, 10), "大会議室", True),
        (iso(2026, 5, 7, 10), "大会議室", True),
        (iso(2026, 5, 11, 10), "大会議室", True),
    ]
    # The attendees come along.
    assert found[-1]["attendees"] == [
        {"person": {"id": str(okawa.people["shuji"].id)}, "response": "PENDING"}
    ]


@pytest.mark.django_db
def test_this_and_following_shares_a_count(okawa):
    meeting = create_event(
        okawa.people["kacho"],
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4",
    )
    api = calendar_api(okawa, "kacho")
    api.data(
        EDIT_FOLLOWING,
        {
            "id": str(meeting.id),
            "rid": iso(2026, 4, 20, 10),
            "input": {"start": iso(2026, 4, 20, 14), "end": iso(2026, 4, 20, 15)},
        },
    )
    starts = [o["start"] for o in week(api, jst(2026, 4, 1), jst(2026, 6, 1))]
    assert starts == [
        iso(2026, 4, 6, 10),
        iso(2026, 4, 13, 10),
        iso(2026, 4, 20, 14),
        iso(2026, 4, 27, 14),
    ]


@pytest.mark.django_db
def test_attendees_respond_others_cannot(okawa):
    meeting = weekly(okawa)
    answered = calendar_api(okawa, "shuji").data(RESPOND, {"id": str(meeting.id), "r": "ACCEPTED"})
    assert answered["respondToEvent"]["event"]["version"] == 2
    event = calendar_api(okawa, "kacho").data(EVENT, {"id": str(meeting.id)})["event"]
    assert event["attendees"][0]["response"] == "ACCEPTED"
    stranger = calendar_api(okawa, "kakari").data(RESPOND, {"id": str(meeting.id), "r": "DECLINED"})
    assert stranger["respondToEvent"]["errors"][0]["code"] == "NOT_INVITED"


RESET_PAYLOAD = f"{PAYLOAD} resetOccurrences"
UPDATE_WITH_RESETS = f"""mutation($id: ID!, $input: UpdateEventInput!) {{
  updateEvent(id: $id, input: $input) {{ {RESET_PAYLOAD} }} }}"""
FOLLOWING_WITH_RESETS = f"""mutation($id: ID!, $rid: DateTime!, $input: UpdateEventInput!) {{
  editFollowing(eventId: $id, recurrenceId: $rid, input: $input) {{ {RESET_PAYLOAD} }} }}"""


def _series_with_exceptions(okawa):
    """Mondays 10:00 from 6 April 2026: the 13th moved to Wednesday 15th 14:00, the 20th
    cancelled, the 27th in another room, 4 May taken out (an exdate)."""
    meeting = weekly(okawa, exdates=[jst(2026, 5, 4, 10)])
    api = calendar_api(okawa, "kacho")
    moved = {"id": str(meeting.id), "rid": iso(2026, 4, 13, 10)}
    moved |= {"s": iso(2026, 4, 15, 14), "e": iso(2026, 4, 15, 15)}
    assert api.data(MOVE, moved)["moveOccurrence"]["errors"] == []
    cancel = {"id": str(meeting.id), "rid": iso(2026, 4, 20, 10)}
    assert api.data(CANCEL_OCCURRENCE, cancel)["cancelOccurrence"]["errors"] == []
    edit = """mutation($id: ID!, $rid: DateTime!) { editOccurrence(eventId: $id,
      recurrenceId: $rid, input: { location: "第3会議室" }) { errors { code } } }"""
    assert (
        api.data(edit, {"id": str(meeting.id), "rid": iso(2026, 4, 27, 10)})["editOccurrence"][
            "errors"
        ]
        == []
    )
    return meeting, api


def _seen(api, start, end):
    return [(o["start"], o["location"], o["isMoved"]) for o in week(api, start, end)]


@pytest.mark.django_db
def test_a_new_series_time_keeps_moved_cancelled_and_edited_occurrences(okawa):
    meeting, api = _series_with_exceptions(okawa)
    result = api.data(
        UPDATE_WITH_RESETS,
        {
            "id": str(meeting.id),
            "input": {"start": iso(2026, 4, 6, 11), "end": iso(2026, 4, 6, 12)},
        },
    )["updateEvent"]
    assert result["errors"] == [] and result["resetOccurrences"] == []
    assert _seen(api, jst(2026, 4, 6), jst(2026, 5, 12)) == [
        (iso(2026, 4, 6, 11), "", False),
        (iso(2026, 4, 15, 14), "", True),  # still where it was moved to
        # 20 April still cancelled
        (iso(2026, 4, 27, 11), "第3会議室", False),  # its own room, the series' new time
        # 4 May still taken out
        (iso(2026, 5, 11, 11), "", False),
    ]
    # The exceptions now name the series' new starts, as an export would say them.
    keys = EventOverride.objects.filter(event=meeting).values_list("recurrence_id", flat=True)
    assert sorted(keys) == [jst(2026, 4, 13, 11), jst(2026, 4, 20, 11), jst(2026, 4, 27, 11)]
    meeting.refresh_from_db()
    assert meeting.exdates == [jst(2026, 5, 4, 11).astimezone(meeting.starts_at.tzinfo).isoformat()]


@pytest.mark.django_db
def test_a_new_rule_resets_the_exceptions_of_days_it_no_longer_has_and_says_so(okawa):
    meeting, api = _series_with_exceptions(okawa)
    # Tuesdays from now on: no Monday is left for the changes to stay with.
    result = api.data(
        UPDATE_WITH_RESETS,
        {
            "id": str(meeting.id),
            "input": {
                "start": iso(2026, 4, 7, 10),
                "end": iso(2026, 4, 7, 11),
                "rrule": "FREQ=WEEKLY;BYDAY=TU",
            },
        },
    )["updateEvent"]
    assert result["errors"] == []
    assert result["resetOccurrences"] == [
        iso(2026, 4, 13, 10),
        iso(2026, 4, 20, 10),
        iso(2026, 4, 27, 10),
    ]
    assert _seen(api, jst(2026, 4, 6), jst(2026, 4, 29)) == [
        (iso(2026, 4, 7, 10), "", False),
        (iso(2026, 4, 14, 10), "", False),
        (iso(2026, 4, 21, 10), "", False),
        (iso(2026, 4, 28, 10), "", False),
    ]
    assert not EventOverride.objects.filter(event=meeting).exists()


@pytest.mark.django_db
def test_this_and_following_at_a_new_time_keeps_the_later_exceptions(okawa):
    meeting, api = _series_with_exceptions(okawa)
    result = api.data(
        FOLLOWING_WITH_RESETS,
        {
            "id": str(meeting.id),
            "rid": iso(2026, 4, 13, 10),
            "input": {"start": iso(2026, 4, 13, 9), "end": iso(2026, 4, 13, 10)},
        },
    )["editFollowing"]
    assert result["errors"] == [] and result["resetOccurrences"] == []
    assert _seen(api, jst(2026, 4, 6), jst(2026, 5, 12)) == [
        (iso(2026, 4, 6, 10), "", False),
        (iso(2026, 4, 15, 14), "", True),
        (iso(2026, 4, 27, 9), "第3会議室", False),
        (iso(2026, 5, 11, 9), "", False),
    ]
