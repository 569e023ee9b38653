// One urql client per signed-in session: HTTP for queries and mutations (so a page's data is
// one countable request), graphql-transport-ws for subscriptions. The WebSocket rides on the
// session cookie; the server accepts it only from its own origin.
import { type Cache, cacheExchange, type Data } from "@urql/exchange-graphcache";
import { createClient as createWsClient } from "graphql-ws";
import { Client, fetchExchange, mapExchange, subscriptionExchange } from "urql";
import { graphql } from "../gql";
import { requestLanguage } from "../i18n/request-language";
import { csrfToken } from "./csrf";

// What a presence event or setMyPresence writes onto the person it belongs to. Presence has
// no ID of its own: it lives embedded under its Person.
const PersonPresence = graphql(`
  fragment PersonPresenceCache on Person {
    id
    presence {
      status
      label
      message
      backAt
      updatedAt
      version
    }
  }
`);

// The approval badge's number, a field of the query root.
const PendingCount = graphql(`
  query PendingReservationCount {
    pendingReservationCount
  }
`);

// Only the version: a screen may have cached fewer presence fields than an event carries,
// and a partial read would come back empty.
const PersonPresenceVersion = graphql(`
  fragment PersonPresenceVersion on Person {
    id
    presence {
      version
    }
  }
`);

interface PresenceLike {
  __typename?: "Presence";
  status: string;
  label: string;
  message: string;
  backAt?: string | null;
  updatedAt?: string | null;
  version: number;
  person: { id: string };
}

const embedded = () => null;
// A leaver is keyed by the person who left (admin feature).
const byPersonId = (data: Data) => (typeof data.personId === "string" ? data.personId : null);

type Reconnected = () => void;
const reconnectListeners = new Set<Reconnected>();

/** Called after the subscription socket came back: events are hints, so screens re-query. */
export function onReconnect(listener: Reconnected): () => void {
  reconnectListeners.add(listener);
  return () => reconnectListeners.delete(listener);
}

type PasswordChangeRequired = () => void;
const passwordChangeListeners = new Set<PasswordChangeRequired>();

/** Called when the API refused an operation with PASSWORD_CHANGE_REQUIRED: an administrator
 * issued this account's password, and the app shows only the page to choose one. */
export function onPasswordChangeRequired(listener: PasswordChangeRequired): () => void {
  passwordChangeListeners.add(listener);
  return () => passwordChangeListeners.delete(listener);
}

export interface YuiClient {
  client: Client;
  dispose: () => void;
}

// Events may arrive out of order: never go back to an older version.
function writePresence(presence: PresenceLike | null | undefined, cache: Cache): void {
  if (!presence) return;
  const { person, ...rest } = presence;
  const current = cache.readFragment(PersonPresenceVersion, {
    __typename: "Person",
    id: person.id,
  });
  if (current?.presence && current.presence.version > rest.version) return;
  // __typename on the embedded presence too: graphcache needs it on every object it stores.
  const data = {
    __typename: "Person",
    id: person.id,
    presence: {
      __typename: "Presence",
      status: rest.status,
      label: rest.label,
      message: rest.message,
      backAt: rest.backAt ?? null,
      updatedAt: rest.updatedAt ?? null,
      version: rest.version,
    },
  };
  cache.writeFragment(PersonPresence, data as Parameters<typeof cache.writeFragment>[1]);
}

/** Add an entity to a list field of the query root, when that list is cached at all. */
function appendToRootList(
  cache: Cache,
  field: string,
  typename: string,
  entity: { id: string } | null | undefined,
): void {
  if (!entity) return;
  const key = cache.keyOfEntity({ __typename: typename, id: entity.id });
  const list: unknown = cache.resolve("Query", field);
  if (!key || !Array.isArray(list) || list.includes(key)) return;
  const keys: string[] = [...(list as string[]), key];
  cache.link("Query", field, keys);
}

/** The normalised cache: how Yui's types are keyed and what events and mutations write. */
export function yuiCacheExchange() {
  return cacheExchange({
    // Types without an ID of their own live inside their parent.
    keys: {
      Presence: embedded,
      Occurrence: embedded,
      Holiday: embedded,
      // The directory's search page and today's free/busy (directory feature).
      PersonConnection: embedded,
      PersonEdge: embedded,
      PageInfo: embedded,
      PersonFreeBusy: embedded,
      TimeInterval: embedded,
      // Parts of notices, circulations and surveys that live inside their item (notices feature).
      NoticeAudience: embedded,
      NoticeAudienceDepartment: embedded,
      NoticeReader: embedded,
      NoticeReminder: embedded,
      CirculationRecipient: embedded,
      CirculationComment: embedded,
      SurveyAnswer: embedded,
      SurveyQuestionResult: embedded,
      SurveyChoiceCount: embedded,
      SurveyTextAnswer: embedded,
      SurveyDateCount: embedded,
      SurveyCsv: embedded,
      // Parts of mail and direct messages that live inside their message or conversation
      // (mail and messages features).
      MailAddress: embedded,
      MailCompose: embedded,
      MailMessageList: embedded,
      OutboxDelivery: embedded,
      // A held file's row in the administrators' list: its file (a MailAttachment) has the ID.
      HeldMailAttachment: embedded,
      ConversationMember: embedded,
      // The audit trail's records and a leaver report live inside their page (admin feature);
      // a leaver is the person who left, so a decision updates their row by itself.
      AuditRecordPage: embedded,
      AuditRecord: embedded,
      AuditCsvExport: embedded,
      LeaverReport: embedded,
      LeaverDataCount: embedded,
      LeaverKept: embedded,
      Leaver: byPersonId,
    },
    updates: {
      Mutation: {
        setMyPresence(result, _args, cache) {
          const payload = result.setMyPresence as { presence?: PresenceLike | null } | null;
          writePresence(payload?.presence, cache);
        },
        // A new token or feed joins the settings' lists; revoking returns the entity with
        // revokedAt set, which the cache applies by its ID without help (settings feature).
        createAccessToken(result, _args, cache) {
          const payload = result.createAccessToken as { accessToken?: { id: string } | null };
          appendToRootList(cache, "accessTokens", "AccessToken", payload?.accessToken);
        },
        createCalendarFeed(result, _args, cache) {
          const payload = result.createCalendarFeed as { feed?: { id: string } | null };
          appendToRootList(cache, "calendarFeeds", "CalendarFeed", payload?.feed);
        },
      },
      Subscription: {
        presenceChanged(result, _args, cache) {
          writePresence(result.presenceChanged as PresenceLike, cache);
        },
        // The whole link collection, in order: the portal's list becomes it (portal feature).
        linksChanged(result, _args, cache) {
          const links = result.linksChanged as { id: string }[] | null;
          if (!Array.isArray(links)) return;
          const keys = links.map((link) => cache.keyOfEntity({ __typename: "Link", id: link.id }));
          cache.link("Query", "links", keys);
        },
        pendingReservationsChanged(result, _args, cache) {
          const change = result.pendingReservationsChanged as { pendingCount?: number } | null;
          if (typeof change?.pendingCount !== "number") return;
          const count = change.pendingCount;
          cache.updateQuery({ query: PendingCount }, (data) =>
            data ? { ...data, pendingReservationCount: count } : data,
          );
        },
      },
    },
  });
}

type ForwardSubscription = Parameters<typeof subscriptionExchange>[0]["forwardSubscription"];

/** A client over the given transports (the browser's fetch and WebSocket, or a test's). */
export function createApiClient(options: {
  forwardSubscription: ForwardSubscription;
  fetch?: typeof fetch;
}): Client {
  return new Client({
    url: "/graphql",
    preferGetMethod: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    fetchOptions: () => ({
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept-Language": requestLanguage() },
    }),
    exchanges: [
      mapExchange({
        onResult(result) {
          const codes = result.error?.graphQLErrors.map((error) => error.extensions?.code) ?? [];
          if (codes.includes("PASSWORD_CHANGE_REQUIRED")) {
            for (const listener of passwordChangeListeners) listener();
          }
        },
      }),
      yuiCacheExchange(),
      fetchExchange,
      subscriptionExchange({ forwardSubscription: options.forwardSubscription }),
    ],
  });
}

export function createYuiClient(origin: string = window.location.origin): YuiClient {
  const ws = createWsClient({
    url: `${origin.replace(/^http/, "ws")}/graphql`,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    on: {
      connected: (_socket, _payload, wasRetry) => {
        if (wasRetry) for (const listener of reconnectListeners) listener();
      },
    },
  });
  const client = createApiClient({
    forwardSubscription(request) {
      const input = { ...request, query: request.query ?? "" };
      return {
        subscribe(sink) {
          const unsubscribe = ws.subscribe(input, sink);
          return { unsubscribe };
        },
      };
    },
  });
  return { client, dispose: () => void ws.dispose() };
}
