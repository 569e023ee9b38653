import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { useClient, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import type { MessageKey } from "../../i18n/messages";
import { formatDate, formatTime } from "../../ui/dates";
import { saveDownload } from "../../ui/download";
import "./admin.css";
import {
  AUDIT_ACTION_GROUPS,
  type AuditFilter,
  actionKey,
  auditChanges,
  auditVariables,
  NO_FILTER,
  periodIsBackwards,
} from "./audit";
import { AdminHeader, isTenantAdmin, NotAdmin } from "./common";
import { base64ToBytes } from "./peopleAdmin";

const PAGE_SIZE = 50;

const AuditRecordsQuery = graphql(`
  query AdminAuditRecords(
    $first: Int!
    $after: String
    $action: String
    $actor: String
    $since: DateTime
    $until: DateTime
  ) {
    me {
      id
      roles
    }
    auditRecords(
      first: $first
      after: $after
      action: $action
      actor: $actor
      since: $since
      until: $until
    ) {
      totalCount
      nextCursor
      records {
        seq
        at
        actor
        address
        action
        targetType
        summary
        before
        after
      }
    }
  }
`);

const AuditCsvQuery = graphql(`
  query AdminAuditCsv($action: String, $actor: String, $since: DateTime, $until: DateTime) {
    exportAuditCsv(action: $action, actor: $actor, since: $since, until: $until) {
      filename
      contentBase64
    }
  }
`);

/** 監査ログ: the municipality's audit trail for its administrators — filtered by period,
 * actor and kind of action, fifty records a page (newest first), each with who, when, from
 * where, what and before → after; the same selection as CSV (CP932) for Excel. */
export function AuditAdmin({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText } = useI18n();
  const ids = { since: useId(), until: useId(), actor: useId(), action: useId(), list: useId() };
  const [typed, setTyped] = useState<AuditFilter>(NO_FILTER);
  const [filter, setFilter] = useState<AuditFilter>(NO_FILTER);
  // The cursor of each page seen so far: [null] is the newest page.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const page = cursors.length - 1;
  const [result] = useQuery({
    query: AuditRecordsQuery,
    variables: { first: PAGE_SIZE, after: cursors[page] ?? null, ...auditVariables(filter) },
    requestPolicy: "cache-and-network",
  });
  const client = useClient();
  const [csvStatus, setCsvStatus] = useState("");
  const [exporting, setExporting] = useState(false);
  const listHeading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);

  const me = result.data?.me;
  const code = result.error ? errorCode(result.error) : null;
  // A colleague who is not an administrator gets FORBIDDEN for the trail and no data at
  // all (the field is not nullable): that is not being signed out.
  const signedOut = result.data !== undefined && !me && code !== "FORBIDDEN";
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  const records = result.data?.auditRecords;
  useEffect(() => {
    // After a page or filter change, the keyboard continues at the list it asked for.
    if (records && moved.current) {
      moved.current = false;
      listHeading.current?.focus();
    }
  }, [records]);

  if (code === "FORBIDDEN") return <NotAdmin />;
  if (code && !result.data) {
    return (
      <p className="error" role="alert">
        {errorText(code)}
      </p>
    );
  }
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;
  if (!isTenantAdmin(me.roles)) return <NotAdmin />;

  const backwards = periodIsBackwards(typed);
  const onFilter = (event: FormEvent) => {
    event.preventDefault();
    if (backwards) return;
    moved.current = true;
    setFilter(typed);
    setCursors([null]);
  };
  const older = () => {
    if (!records?.nextCursor) return;
    moved.current = true;
    setCursors([...cursors, records.nextCursor]);
  };
  const newer = () => {
    moved.current = true;
    setCursors(cursors.slice(0, -1));
  };
  const download = async () => {
    setCsvStatus("");
    setExporting(true);
    const answer = await client
      .query(AuditCsvQuery, auditVariables(filter), { requestPolicy: "network-only" })
      .toPromise();
    setExporting(false);
    const csv = answer.data?.exportAuditCsv;
    if (!csv) {
      setCsvStatus(errorText(answer.error ? errorCode(answer.error) : "unknown"));
      return;
    }
    saveDownload(base64ToBytes(csv.contentBase64), csv.filename, "text/csv;charset=shift_jis");
    setCsvStatus(t("admin.audit.downloaded"));
  };
  const actionName = (action: string) => {
    const key = actionKey(action);
    return key ? t(key) : action;
  };
  const first = page * PAGE_SIZE + 1;
  const shown = records?.records.length ?? 0;

  return (
    <section className="admin-screen" aria-labelledby="audit-title">
      <AdminHeader title={t("admin.audit.title")} id="audit-title" />
      <p>{t("admin.audit.intro")}</p>
      <form className="card inline-form" onSubmit={onFilter} aria-label={t("admin.audit.filter")}>
        <div>
          <label htmlFor={ids.since}>{t("admin.audit.since")}</label>
          <input
            id={ids.since}
            type="date"
            value={typed.since}
            onChange={(event) => setTyped({ ...typed, since: event.target.value })}
          />
        </div>
        <div>
          <label htmlFor={ids.until}>{t("admin.audit.until")}</label>
          <input
            id={ids.until}
            type="date"
            value={typed.until}
            aria-invalid={backwards}
            aria-describedby={backwards ? `${ids.until}-error` : undefined}
            onChange={(event) => setTyped({ ...typed, until: event.target.value })}
          />
        </div>
        <div>
          <label htmlFor={ids.actor}>{t("admin.audit.actor")}</label>
          <input
            id={ids.actor}
            type="search"
            value={typed.actor}
            onChange={(event) => setTyped({ ...typed, actor: event.target.value })}
          />
        </div>
        <div>
          <label htmlFor={ids.action}>{t("admin.audit.action")}</label>
          <select
            id={ids.action}
            value={typed.action}
            onChange={(event) => setTyped({ ...typed, action: event.target.value })}
          >
            <option value="">{t("admin.audit.allActions")}</option>
            {AUDIT_ACTION_GROUPS.map((group) => (
              <option key={group} value={group}>
                {t(`admin.audit.group.${group.replace(/\.$/, "")}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={backwards}>
          {t("admin.audit.apply")}
        </button>
        {backwards ? (
          <p id={`${ids.until}-error`} className="error" role="alert">
            {t("admin.audit.backwards")}
          </p>
        ) : null}
      </form>
      <section className="card" aria-labelledby={ids.list} aria-busy={result.fetching}>
        <h2 id={ids.list} tabIndex={-1} ref={listHeading}>
          {records
            ? t("admin.audit.count", {
                count: records.totalCount,
                from: shown ? first : 0,
                to: first + shown - 1,
              })
            : t("app.loading")}
        </h2>
        <p>
          <button type="button" onClick={download} disabled={exporting || !records?.totalCount}>
            {t("admin.audit.csv")}
          </button>{" "}
          <span role="status" className="hint">
            {csvStatus}
          </span>
        </p>
        {records && shown > 0 ? (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a table scrolling sideways (360 px) must take the focus to be scrolled by keyboard (axe scrollable-region-focusable)
          <section className="table-wrap" tabIndex={0} aria-labelledby={ids.list}>
            <table className="audit-table">
              <thead>
                <tr>
                  <th scope="col">{t("admin.audit.at")}</th>
                  <th scope="col">{t("admin.audit.who")}</th>
                  <th scope="col">{t("admin.audit.from")}</th>
                  <th scope="col">{t("admin.audit.what")}</th>
                  <th scope="col">{t("admin.audit.change")}</th>
                </tr>
              </thead>
              <tbody>
                {records.records.map((rec) => (
                  <tr key={rec.seq}>
                    <td>
                      <time dateTime={rec.at}>
                        {formatDate(rec.at)} {formatTime(rec.at)}
                      </time>
                    </td>
                    <td>{rec.actor || t("admin.audit.unknownActor")}</td>
                    <td>{rec.address}</td>
                    <td>
                      <strong>{actionName(rec.action)}</strong>
                      {rec.summary ? <div className="hint">{rec.summary}</div> : null}
                    </td>
                    <td>
                      <Changes before={rec.before} after={rec.after} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ) : records ? (
          <p>{t("admin.audit.empty")}</p>
        ) : null}
        <nav className="pager" aria-label={t("admin.audit.pages")}>
          <button type="button" onClick={newer} disabled={page === 0}>
            {t("admin.audit.newer")}
          </button>{" "}
          <button type="button" onClick={older} disabled={!records?.nextCursor}>
            {t("admin.audit.older")}
          </button>
        </nav>
      </section>
    </section>
  );
}

function Changes({ before, after }: { before: string | null; after: string | null }) {
  const { t } = useI18n();
  const items = auditChanges(before, after);
  if (items.length === 0) return null;
  const side = (value: string | null) => value ?? t("admin.audit.none");
  return (
    <ul className="audit-changes">
      {items.map((item) => (
        <li key={item.field}>
          {item.field ? <code>{item.field}</code> : null} {side(item.before)} → {side(item.after)}
        </li>
      ))}
    </ul>
  );
}
