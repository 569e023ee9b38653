// One urql client per signed-in session: HTTP for queries and mutations (so a page's data is
// one countable request), graphql-transport-ws for subscriptions. The WebSocket rides on the
// session cookie; the server accepts it only from its own origin.
import { type Cache, cacheExchange, type Data } from "@urql/exchange-graphcache";
import type { DocumentNode, GraphQLFormattedError } from "graphql";
import { createClient as createWsClient } from "graphql-ws";
import {
  Client,
  CombinedError,
  type ExecutionResult,
  fetchExchange,
  mapExchange,
  type Operation,
  subscriptionExchange,
} from "urql";
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

/** What every request to the API carries: the session's CSRF token and the page's language. */
function apiHeaders(): Record<string, string> {
  return { "X-CSRFToken": csrfToken(), "Accept-Language": requestLanguage() };
}

// --- @defer over HTTP: the answer read part by part as it arrives -------------------------
//
// A query that marks fragments `@defer` asks for multipart/mixed (deferSpec=20220824): the
// gateway sends the page's top first (`hasNext: true`), then the deferred fragments as
// `incremental` items at their `path`. Read here rather than by urql's fetchExchange so that
// a first part shows the moment its JSON is complete (the gateway writes a part's delimiter
// in front of it, so waiting for the next delimiter would hold the top of the page back until
// the slow rest had been computed) and so that an answer that breaks off says so.

/** The Accept header of a query that defers fragments; plain JSON when nothing was deferred. */
export const INCREMENTAL_ACCEPT = "multipart/mixed; deferSpec=20220824, application/json";

type PathSegment = string | number;

interface IncrementalItem {
  path?: PathSegment[];
  label?: string;
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}

/** One JSON part of the answer: the first (`data`), or a later one (`incremental`). */
export interface IncrementalPayload {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
  incremental?: IncrementalItem[];
  hasNext?: boolean;
}

/** The answer so far, merged: what fetchIncremental reports after each part. */
export interface IncrementalResult {
  data: Record<string, unknown> | null | undefined;
  /** Every GraphQL error so far: the first part's and those of each deferred item. */
  errors: GraphQLFormattedError[];
  extensions: Record<string, unknown> | undefined;
  /** The request failed, or the answer ended before its last part (what arrived is kept). */
  networkError: Error | undefined;
  /** The errors as the rest of the app reads them (urql's CombinedError, see errorCode). */
  error: CombinedError | undefined;
  /** More parts are coming. */
  hasNext: boolean;
}

export interface IncrementalRequest {
  query: string;
  variables?: Record<string, unknown> | undefined;
  operationName?: string | undefined;
  extensions?: Record<string, unknown> | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The boundary a multipart/mixed Content-Type names ("-" if none); null for other types. */
export function multipartBoundary(contentType: string): string | null {
  if (!/^\s*multipart\/mixed\s*(;|$)/i.test(contentType)) return null;
  const named = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return named?.[1] ?? named?.[2] ?? "-";
}

/** The JSON of a part (headers, a blank line, the body), or undefined if it is not whole. */
function partJson(part: string, complete: boolean): unknown {
  const blank = /\r?\n\r?\n/.exec(part);
  if (!blank) return undefined;
  const body = part.slice(blank.index + blank[0].length).trim();
  // Only an object ending in "}" can be whole before its delimiter: a part's JSON cannot
  // hold a line break, so the delimiter never occurs inside it.
  if (!complete) {
    if (!body.endsWith("}")) return undefined;
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return undefined; // more of it is on the way
    }
  }
  return body === "" ? undefined : (JSON.parse(body) as unknown);
}

/**
 * Splits a multipart/mixed body into its parts' JSON as its text arrives, in pieces of any
 * size. Delimiters are CRLF "--" boundary (RFC 2046); the last one ends in "--"; the text in
 * front of the first is ignored. A part is handed out as soon as its JSON is whole, without
 * waiting for the delimiter after it.
 */
export class MultipartReader {
  private readonly delimiter: string;
  // A CRLF in front, so that a body starting with its first delimiter is found too.
  private text = "\r\n";
  private searchFrom = 0;
  private inPart = false;
  private partTaken = false;
  /** The closing delimiter was read: nothing more will come. */
  closed = false;

  constructor(boundary: string) {
    this.delimiter = `\r\n--${boundary}`;
  }

  /** The JSON of each part this text completed, in order. */
  push(chunk: string): unknown[] {
    const parts: unknown[] = [];
    if (this.closed) return parts;
    this.text += chunk;
    for (;;) {
      const at = this.text.indexOf(this.delimiter, this.searchFrom);
      if (at < 0) {
        if (this.inPart && !this.partTaken) this.take(parts, partJson(this.text, false));
        // A delimiter may have begun at the end: look again from just before it.
        this.searchFrom = Math.max(0, this.text.length - this.delimiter.length - 2);
        return parts;
      }
      if (this.inPart && !this.partTaken) this.take(parts, partJson(this.text.slice(0, at), true));
      this.inPart = false;
      const after = at + this.delimiter.length;
      if (this.text.length < after + 2) {
        // Whether it closes the body ("--") or opens a part is in the next piece.
        this.text = this.text.slice(at);
        this.searchFrom = 0;
        return parts;
      }
      if (this.text.startsWith("--", after)) {
        this.closed = true;
        this.text = "";
        return parts;
      }
      this.text = this.text.slice(after);
      this.searchFrom = 0;
      this.inPart = true;
      this.partTaken = false;
    }
  }

  private take(parts: unknown[], json: unknown): void {
    if (json === undefined) return;
    parts.push(json);
    this.partTaken = true;
  }
}

/** `patch` laid over `base`: objects key by key, lists item by item, anything else replaced. */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const merged: unknown[] = [...base];
    patch.forEach((item, index) => {
      merged[index] = deepMerge(base[index], item);
    });
    return merged;
  }
  if (isRecord(base) && isRecord(patch)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) merged[key] = deepMerge(base[key], value);
    return merged;
  }
  return patch;
}

/** `data` merged into `root` at `path` (list items by index). What lies on the way is
 * copied, so an earlier result stays as it was; a path that meets null changes nothing. */
export function mergeAtPath(root: unknown, path: readonly PathSegment[], data: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return deepMerge(root, data);
  if (typeof head === "number" && Array.isArray(root)) {
    if (root[head] == null) return root;
    const copy: unknown[] = [...root];
    copy[head] = mergeAtPath(root[head], rest, data);
    return copy;
  }
  if (typeof head === "string" && isRecord(root)) {
    if (root[head] == null) return root;
    return { ...root, [head]: mergeAtPath(root[head], rest, data) };
  }
  return root;
}

function combined(
  errors: GraphQLFormattedError[],
  networkError: Error | undefined,
  response: Response | undefined,
): CombinedError | undefined {
  if (errors.length === 0 && !networkError) return undefined;
  return new CombinedError({
    graphQLErrors: errors as ConstructorParameters<typeof CombinedError>[0]["graphQLErrors"],
    networkError,
    response,
  });
}

/** The answer so far with one more part in it (the first when there is none yet). */
export function applyPayload(
  previous: IncrementalResult | undefined,
  payload: IncrementalPayload,
  response?: Response,
): IncrementalResult {
  let data = previous ? previous.data : payload.data;
  const errors = [...(previous?.errors ?? []), ...(payload.errors ?? [])];
  let extensions = previous?.extensions;
  if (payload.extensions) extensions = { ...extensions, ...payload.extensions };
  for (const item of payload.incremental ?? []) {
    errors.push(...(item.errors ?? []));
    if (item.extensions) extensions = { ...extensions, ...item.extensions };
    // data: null is a place the complete answer lost: its errors say why.
    if (isRecord(item.data)) {
      data = mergeAtPath(data, item.path ?? [], item.data) as IncrementalResult["data"];
    }
  }
  const networkError = previous?.networkError;
  return {
    data,
    errors,
    extensions,
    networkError,
    error: combined(errors, networkError, response),
    hasNext: payload.hasNext ?? previous?.hasNext ?? false,
  };
}

function withNetworkError(
  result: IncrementalResult | undefined,
  networkError: Error,
  response: Response | undefined,
): IncrementalResult {
  const errors = result?.errors ?? [];
  return {
    data: result?.data,
    errors,
    extensions: result?.extensions,
    networkError,
    error: combined(errors, networkError, response),
    hasNext: false,
  };
}

/**
 * Sends a query asking for incremental delivery and calls `onResult` with the merged answer
 * after each part: the first part's data, then each deferred item's merged in at its path,
 * the errors of all of them. A plain JSON answer is one final result. A failed request, or a
 * stream that ends before `hasNext: false`, gives a last result with `networkError` that
 * keeps what arrived. Resolves to the last result; nothing is reported once `signal` aborts.
 */
export async function fetchIncremental(
  request: IncrementalRequest,
  onResult: (result: IncrementalResult) => void,
  options: { url?: string; fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<IncrementalResult> {
  const send =
    options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const signal = options.signal;
  let response: Response | undefined;
  let result: IncrementalResult | undefined;
  const report = (payload: unknown) => {
    if (!isRecord(payload)) throw new Error("An answer's part is not a JSON object");
    result = applyPayload(result, payload as IncrementalPayload, response);
    if (!signal?.aborted) onResult(result);
  };
  try {
    response = await send(options.url ?? "/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { ...apiHeaders(), Accept: INCREMENTAL_ACCEPT, "Content-Type": "application/json" },
      body: JSON.stringify(request),
      ...(signal ? { signal } : {}),
    });
    const boundary = multipartBoundary(response.headers.get("Content-Type") ?? "");
    if (boundary === null) {
      // One ordinary answer: nothing was deferred after all (or a refusal, JSON too).
      const text = await response.text();
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch {
        throw new Error(response.ok ? "The answer is not JSON" : `HTTP ${response.status}`);
      }
      if (!isRecord(payload) || !("data" in payload || Array.isArray(payload.errors))) {
        throw new Error(response.ok ? "The answer has no data" : `HTTP ${response.status}`);
      }
      report({ ...payload, hasNext: false });
    } else {
      const parts = new MultipartReader(boundary);
      // The stream decoder keeps a character split between two pieces until both are there.
      const decoder = new TextDecoder();
      const reader = response.body?.getReader();
      if (!reader) {
        for (const part of parts.push(await response.text())) report(part);
      } else {
        // Read to the end (the closing delimiter follows the last part at once), so that
        // the connection is left whole for the next request.
        try {
          for (;;) {
            const { done, value } = await reader.read();
            const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
            for (const part of parts.push(text)) report(part);
            if (done) break;
          }
        } finally {
          reader.cancel().catch(() => {}); // a part that was not JSON: stop reading
        }
      }
    }
    if (result === undefined || result.hasNext) {
      throw new Error("The answer ended before its last part");
    }
    return result;
  } catch (error) {
    const failed = withNetworkError(
      result,
      error instanceof Error ? error : new Error(String(error)),
      response,
    );
    if (!signal?.aborted) onResult(failed);
    return failed;
  }
}

interface Selections {
  readonly selections: readonly {
    readonly directives?: readonly { readonly name: { readonly value: string } }[] | undefined;
    readonly selectionSet?: Selections | undefined;
  }[];
}

// Walked by hand: graphql's visit() would bring graphql-js into the bundle for this alone.
function marksDefer(selectionSet: Selections): boolean {
  return selectionSet.selections.some(
    (selection) =>
      selection.directives?.some((directive) => directive.name.value === "defer") ||
      (selection.selectionSet !== undefined && marksDefer(selection.selectionSet)),
  );
}

const defers = new WeakMap<DocumentNode, boolean>();

/** Whether an operation marks a fragment @defer (it is then sent by fetchIncremental). */
export function usesDefer(document: DocumentNode): boolean {
  let marked = defers.get(document);
  if (marked === undefined) {
    marked = document.definitions.some(
      (definition) => "selectionSet" in definition && marksDefer(definition.selectionSet),
    );
    defers.set(document, marked);
  }
  return marked;
}

/** What the cache is given for a result: urql merges nothing more (no `incremental` key). */
function executionResult(result: IncrementalResult): ExecutionResult {
  const errors = [...result.errors];
  if (result.networkError) {
    // Some of the page arrived and stays; the code names the failure as errorCode would.
    errors.push({ message: result.networkError.message, extensions: { code: "network" } });
  }
  return {
    ...(result.data !== undefined ? { data: result.data } : {}),
    ...(errors.length ? { errors } : {}),
    ...(result.extensions ? { extensions: result.extensions } : {}),
    hasNext: result.hasNext,
  } as ExecutionResult;
}

/**
 * Queries that defer fragments go through fetchIncremental; each merged result reaches the
 * cache with `hasNext`, which graphcache reads as "deferred fields still coming" (not a
 * miss). urql's subscriptionExchange is the public way to hand an exchange a stream of
 * results per operation, and it tears the request down when the query is no longer wanted.
 */
function incrementalExchange(fetcher: typeof fetch | undefined) {
  return subscriptionExchange({
    isSubscriptionOperation: (operation: Operation) =>
      operation.kind === "query" && usesDefer(operation.query),
    forwardSubscription(request, operation) {
      return {
        subscribe(sink) {
          const controller = new AbortController();
          let ended = false;
          void fetchIncremental(
            {
              query: request.query ?? "",
              variables: request.variables,
              operationName: request.operationName,
              extensions: request.extensions,
            },
            (result) => {
              if (ended) return;
              if (result.networkError && result.data == null) {
                ended = true;
                sink.error(result.networkError);
              } else {
                sink.next(executionResult(result));
              }
            },
            {
              url: operation.context.url,
              signal: controller.signal,
              ...(fetcher ? { fetch: fetcher } : {}),
            },
          ).then(() => {
            if (ended || controller.signal.aborted) return;
            ended = true;
            sink.complete();
          });
          return { unsubscribe: () => controller.abort() };
        },
      };
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
      headers: apiHeaders(),
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
      incrementalExchange(options.fetch),
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
