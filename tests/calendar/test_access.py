"""Who sees what: colleagues see 予定あり for BUSY and PRIVATE entries (PRIVATE without
the people), organizers and attendees see details, on every read path; another
municipality sees nothing, by ID, by `_entities` or through Person.events."""

from __future__ import annotations

import pytest

from subgraphs.calendar.models import Event
from tests.calendar import (
    EVENT,
    PERSON_EVENTS,
    calendar_api,
    create_event,
    iso,
    jst,
    week,
)
from tests.conftest import GraphQLClient

EVENT_ENTITIES = """query($reps: [_Any!]!) { _entities(representations: $reps) {
  __typename ... on Event { id title location organizer { id } } } }"""
WINDOW = {"start": iso(2026, 4, 6), "end": iso(2026, 4, 13)}


def entry(okawa, visibility: str) -> Event:
    return create_event(
        okawa.people["kakari"],
        title="通院" if visibility == "PRIVATE" else "人事ヒアリング",
        location="市民病院" if visibility == "PRIVATE" else "応接室",
        description="<p>詳細</p>",
        category="私用",
        visibility=visibility,
        starts_at=jst(2026, 4, 7, 9),
        ends_at=jst(2026, 4, 7, 10, 30),
        attendee_ids=[okawa.people["jinji"].id],
    )


def person_week(api: GraphQLClient, person) -> list[dict]:
    reps = [{"__typename": "Person", "id": str(person.id)}]
    return api.data(PERSON_EVENTS, {"reps": reps, **WINDOW})["_entities"][0]["events"]


@pytest.mark.django_db
@pytest.mark.parametrize("visibility", ["BUSY", "PRIVATE"])
def test_a_colleague_sees_busy_time_only(okawa, visibility):
    event = entry(okawa, visibility)
    kakari = okawa.people["kakari"]
    colleague = calendar_api(okawa, "shuji")
    [seen] = person_week(colleague, kakari)
    assert seen["title"] == "予定あり"
    assert (seen["location"], seen["description"], seen["category"]) == (None, None, None)
    assert (seen["start"], seen["end"]) == (iso(2026, 4, 7, 9), iso(2026, 4, 7, 10, 30))
    assert seen["visibility"] == visibility
    people_shown = visibility == "BUSY"
    assert (seen["organizer"] is not None) is people_shown
    assert bool(seen["attendees"]) is people_shown
    by_id = colleague.data(EVENT, {"id": str(event.id)})["event"]
    assert by_id["title"] == "予定あり" and by_id["location"] is None
    reps = [{"__typename": "Event", "id": str(event.id)}]
    [entity] = colleague.data(EVENT_ENTITIES, {"reps": reps})["_entities"]
    assert entity["title"] == "予定あり" and entity["location"] is None
    # a tenant administrator may change it, but reads it as a colleague does
    admin = calendar_api(okawa, "admin").data(EVENT, {"id": str(event.id)})["event"]
    assert admin["title"] == "予定あり" and admin["canEdit"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["kakari", "jinji"])
def test_organizer_and_attendees_see_the_details(okawa, who):
    entry(okawa, "PRIVATE")
    api = calendar_api(okawa, who)
    [mine] = week(api, jst(2026, 4, 6), jst(2026, 4, 13))
    assert (mine["title"], mine["location"], mine["description"], mine["category"]) == (
        "通院",
        "市民病院",
        "<p>詳細</p>",
        "私用",
    )
    assert person_week(api, okawa.people["kakari"])[0]["title"] == "通院"


@pytest.mark.django_db
def test_public_events_are_whole_for_colleagues(okawa):
    entry(okawa, "PUBLIC")
    [seen] = person_week(calendar_api(okawa, "shuji"), okawa.people["kakari"])
    assert (seen["title"], seen["location"]) == ("人事ヒアリング", "応接室")


@pytest.mark.django_db
def test_another_municipality_sees_nothing(okawa, kanda):
    event = entry(okawa, "PUBLIC")
    outsider = calendar_api(kanda, "shuji")
    assert outsider.data(EVENT, {"id": str(event.id)}) == {"event": None}
    reps = [{"__typename": "Event", "id": str(event.id)}]
    assert outsider.data(EVENT_ENTITIES, {"reps": reps})["_entities"] == [None]
    assert person_week(outsider, okawa.people["kakari"]) == []
    assert person_week(outsider, okawa.people["jinji"]) == []
    # and cannot change it: to them it does not exist
    result = outsider.data(
        "mutation($id: ID!) { cancelEvent(id: $id) { event { id } errors { code } } }",
        {"id": str(event.id)},
    )
    assert result["cancelEvent"] == {"event": None, "errors": [{"code": "NOT_FOUND"}]}
    assert Event.objects.get().cancelled is False


@pytest.mark.django_db
def test_signed_out_callers_get_unauthenticated(okawa, anonymous):
    entry(okawa, "PUBLIC")
    anonymous.url = "/subgraphs/calendar/graphql"
    result = anonymous(
        "query($s: DateTime!, $e: DateTime!) { myEvents(start: $s, end: $e) { title } }",
        {"s": WINDOW["start"], "e": WINDOW["end"]},
    )
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    reps = [{"__typename": "Person", "id": str(okawa.people["kakari"].id)}]
    result = anonymous(PERSON_EVENTS, {"reps": reps, **WINDOW})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
