// The calendar mutations the schedule screens call. Each answers with the event's new version
// (into the normalised cache) and typed errors (DESIGN rule 5) that the form shows inline.
import { graphql } from "../../gql";

export const EventResultFragment = graphql(`
  fragment EventResult on CalendarEventPayload {
    event {
      id
      version
    }
    errors {
      code
      message
      field
      facilityId
      facilityName
      start
      end
    }
  }
`);

export const CreateEvent = graphql(`
  mutation CreateEvent($input: CreateEventInput!) {
    createEvent(input: $input) {
      ...EventResult
    }
  }
`);

export const UpdateEvent = graphql(`
  mutation UpdateEvent($id: ID!, $input: UpdateEventInput!, $version: Int) {
    updateEvent(id: $id, input: $input, version: $version) {
      ...EventResult
    }
  }
`);

export const MoveOccurrence = graphql(`
  mutation MoveOccurrence($eventId: ID!, $start: DateTime!, $end: DateTime!, $recurrenceId: DateTime) {
    moveOccurrence(eventId: $eventId, start: $start, end: $end, recurrenceId: $recurrenceId) {
      ...EventResult
    }
  }
`);

export const EditOccurrence = graphql(`
  mutation EditOccurrence(
    $eventId: ID!
    $recurrenceId: DateTime!
    $input: EditOccurrenceInput!
    $version: Int
  ) {
    editOccurrence(eventId: $eventId, recurrenceId: $recurrenceId, input: $input, version: $version) {
      ...EventResult
    }
  }
`);

export const EditFollowing = graphql(`
  mutation EditFollowing($eventId: ID!, $recurrenceId: DateTime!, $input: UpdateEventInput!) {
    editFollowing(eventId: $eventId, recurrenceId: $recurrenceId, input: $input) {
      ...EventResult
    }
  }
`);

export const CancelOccurrence = graphql(`
  mutation CancelOccurrence($eventId: ID!, $recurrenceId: DateTime!) {
    cancelOccurrence(eventId: $eventId, recurrenceId: $recurrenceId) {
      ...EventResult
    }
  }
`);

export const CancelEvent = graphql(`
  mutation CancelEvent($id: ID!) {
    cancelEvent(id: $id) {
      ...EventResult
    }
  }
`);

export interface CalendarProblem {
  code: string;
  message: string;
  field?: string | null;
  facilityId?: string | null;
  facilityName?: string | null;
  start?: string | null;
  end?: string | null;
}
