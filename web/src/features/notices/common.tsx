import { Fragment, type ReactElement, type ReactNode, useEffect, useState } from "react";
import { type CombinedError, type TypedDocumentNode, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { errorCode } from "../../api/errors";
import { Link } from "../../app/router";
import { useI18n } from "../../i18n/language";
import { formatShortDate, formatTime } from "../../ui/dates";

/** 12/3(木) 09:30, Japan time; a dash for none. */
export function Moment({ value }: { value: string | null | undefined }) {
  const { language } = useI18n();
  if (!value) return <span>–</span>;
  return (
    <time dateTime={value}>
      {formatShortDate(value, language)} {formatTime(value, language)}
    </time>
  );
}

/** A typed payload's errors (NoticeError codes) as messages, announced. */
export function PayloadErrors({
  errors,
}: {
  errors: readonly { code: string; field?: string | null }[] | null | undefined;
}) {
  const { errorText } = useI18n();
  if (!errors || errors.length === 0) return null;
  return (
    <ul className="error" role="alert">
      {errors.map((error, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: errors have no identity of their own
        <li key={i}>{errorText(error.code)}</li>
      ))}
    </ul>
  );
}

/** A mutation that did not reach the server or failed there (not a typed refusal). */
export function MutationError({ error }: { error: CombinedError | undefined }) {
  const { errorText } = useI18n();
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {errorText(errorCode(error))}
    </p>
  );
}

/** The page's loading, failure (with retry) and signed-out states; null when data is there. */
export function usePageState({
  data,
  error,
  signedOut,
  onSignedOut,
}: {
  data: unknown;
  error: CombinedError | undefined;
  signedOut: boolean;
  onSignedOut: () => void;
}) {
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  return { failed: error !== undefined && !data, loading: !data };
}

export function Failure({ error, retry }: { error: CombinedError; retry: () => void }) {
  const { t, errorText } = useI18n();
  return (
    <div className="card">
      <p className="error" role="alert">
        {errorText(errorCode(error))}
      </p>
      <button type="button" onClick={retry}>
        {t("app.retry")}
      </button>
    </div>
  );
}

export function Loading() {
  const { t } = useI18n();
  return <p aria-busy="true">{t("app.loading")}</p>;
}

/** The importance badge: 緊急 / 高 / 標準 / 低. */
export function ImportanceBadge({ importance }: { importance: string }) {
  const { t } = useI18n();
  const key =
    importance === "URGENT"
      ? "notices.importance.URGENT"
      : importance === "HIGH"
        ? "notices.importance.HIGH"
        : importance === "LOW"
          ? "notices.importance.LOW"
          : "notices.importance.NORMAL";
  return <span className={`badge importance importance-${importance}`}>{t(key)}</span>;
}

/** A page's one query, gated: its data once there, else what to show meanwhile (loading, or
 * the failure with a retry); a `me` that came back empty signs out. */
export function usePageData<T extends { me?: unknown }>(
  result: { data?: T; error?: CombinedError },
  reexecute: (opts: { requestPolicy: "network-only" }) => void,
  onSignedOut: () => void,
): { data: T; placeholder: null } | { data: undefined; placeholder: ReactElement } {
  const data = result.data;
  const state = usePageState({
    data,
    error: result.error,
    signedOut: data !== undefined && !data.me,
    onSignedOut,
  });
  if (state.failed && result.error) {
    const retry = () => reexecute({ requestPolicy: "network-only" });
    return { data: undefined, placeholder: <Failure error={result.error} retry={retry} /> };
  }
  if (!data) return { data: undefined, placeholder: <Loading /> };
  return { data, placeholder: null };
}

/** What an address shows for an item that is not there or not the viewer's to see. */
export function NotFoundCard({ title, back, to }: { title: string; back: string; to: string }) {
  return (
    <div className="card">
      <h1>{title}</h1>
      <Link to={to}>{back}</Link>
    </div>
  );
}

/** A list screen's heading, with the button-like link that starts a new item if any. */
export function ListHeader({
  title,
  newItem,
}: {
  title: string;
  newItem?: { to: string; label: string };
}) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {newItem ? (
        <Link to={newItem.to} className="button-link">
          {newItem.label}
        </Link>
      ) : null}
    </header>
  );
}

/** One titled part of a list or detail screen (a card across the page). */
export function PageSection({
  id,
  title,
  className,
  children,
}: {
  id: string;
  title: ReactNode;
  className?: string;
  children: ReactNode;
}) {
  return (
    <section className={`card wide${className ? ` ${className}` : ""}`} aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** The pages of a list after its first (`shown` rows of at most `pageSize`): each asked for
 * when the person presses "more", rendered by `page(offset, report)`, which reports how
 * many rows its page had (a full page means there may be more). Only counts are kept here;
 * the rows stay in the cache of each page's own query. */
export function MorePages({
  pageSize,
  shown,
  page,
}: {
  pageSize: number;
  shown: number;
  page: (offset: number, report: (count: number) => void) => ReactNode;
}) {
  const { t } = useI18n();
  const [counts, setCounts] = useState<(number | undefined)[]>([]);
  const last = counts.length === 0 ? shown : counts[counts.length - 1];
  return (
    <>
      {counts.map((_, index) => {
        const offset = pageSize * (index + 1);
        const report = (count: number) =>
          setCounts((now) =>
            now[index] === count ? now : now.map((c, i) => (i === index ? count : c)),
          );
        return <Fragment key={offset}>{page(offset, report)}</Fragment>;
      })}
      {last !== undefined && last >= pageSize ? (
        <p>
          <button type="button" onClick={() => setCounts((now) => [...now, undefined])}>
            {t("notices.more")}
          </button>
        </p>
      ) : null}
    </>
  );
}

/** Ask a page's query again when one of its items changes (events are hints: the event's
 * item ID is compared with `id` when a detail page gives one), and after a reconnect. */
export function useRequeryOnEvents<Event>(
  subscription: TypedDocumentNode<Event, Record<string, never>>,
  itemId: (event: Event) => string,
  reexecute: (opts: { requestPolicy: "network-only" }) => void,
  pause: boolean,
  id?: string,
) {
  const [events] = useSubscription(
    { query: subscription, pause },
    (previous: number | undefined, event: Event) =>
      !id || itemId(event) === id ? (previous ?? 0) + 1 : (previous ?? 0),
  );
  useEffect(() => {
    if (events.data) reexecute({ requestPolicy: "network-only" });
  }, [events.data, reexecute]);
  useEffect(() => onReconnect(() => reexecute({ requestPolicy: "network-only" })), [reexecute]);
}
