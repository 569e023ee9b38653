import { useEffect, useId, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { Link } from "../../app/router";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import {
  ImportanceBadge,
  ListHeader,
  Loading,
  Moment,
  MorePages,
  MutationError,
  PageSection,
  PayloadErrors,
  usePageData,
} from "./common";
import { NoticeDetail } from "./NoticeDetail";
import { NoticeEditForm, NoticeForm } from "./NoticeForm";

// The board in one request: my notices (closed ones too, shown apart), the categories for
// the filter and the post button, and what I posted (to reach its readers).
const NoticesQuery = graphql(`
  query NoticesPage($categoryId: ID) {
    me {
      id
      roles
    }
    noticeCategories {
      id
      name
      canPost
    }
    notices(categoryId: $categoryId, includeClosed: true, first: 100) {
      ...NoticeRow_notice
    }
    postedNotices(first: 20) {
      ...NoticeRow_notice
    }
  }
`);

// A further page of the board ("more"), in the board's order.
const BoardPageQuery = graphql(`
  query NoticeBoardPage($categoryId: ID, $offset: Int!) {
    notices(categoryId: $categoryId, includeClosed: true, first: 100, offset: $offset) {
      ...NoticeRow_notice
    }
  }
`);

const BOARD_PAGE = 100;

/** One further page of the board as a table of its own. */
function BoardPage({
  categoryId,
  offset,
  report,
}: {
  categoryId: string | null;
  offset: number;
  report: (count: number) => void;
}) {
  const { t } = useI18n();
  const [result] = useQuery({ query: BoardPageQuery, variables: { categoryId, offset } });
  const rows = result.data?.notices.map((n) => readRow(n));
  const count = rows?.length;
  useEffect(() => {
    if (count !== undefined) report(count);
  }, [count, report]);
  if (result.error) return <MutationError error={result.error} />;
  if (!rows) return <Loading />;
  const caption = t("notices.page", { from: offset + 1, to: offset + rows.length });
  return <NoticeTable rows={rows} caption={caption} showCaption />;
}

const NoticeRowFragment = graphql(`
  fragment NoticeRow_notice on Notice {
    id
    title
    importance
    pinned
    isRead
    status
    startsAt
    endsAt
    readCount
    recipientCount
    category {
      id
      name
    }
    author {
      id
      name
    }
  }
`);

export const NoticeEventsSubscription = graphql(`
  subscription NoticeEvents {
    noticeEvents {
      kind
      version
      notice {
        id
        version
        readCount
      }
    }
  }
`);

const CreateCategory = graphql(`
  mutation CreateNoticeCategory($input: CreateNoticeCategoryInput!) {
    createNoticeCategory(input: $input) {
      category {
        id
        name
        canPost
      }
      errors {
        code
        field
      }
    }
  }
`);

/** For tenant administrators: a category everyone may post in (the demo has none). */
function NewCategory({ onAdded }: { onAdded: () => void }) {
  const { t } = useI18n();
  const id = useId();
  const [name, setName] = useState("");
  const [created, create] = useMutation(CreateCategory);
  return (
    <form
      className="inline-form new-category"
      onSubmit={(event) => {
        event.preventDefault();
        if (!name.trim()) return;
        void create({ input: { name: name.trim() } }).then((answer) => {
          if (answer.data?.createNoticeCategory.category) {
            setName("");
            onAdded();
          }
        });
      }}
    >
      <span>
        <label htmlFor={id}>{t("notices.newCategory")}</label>
        <input id={id} value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
      </span>
      <button type="submit" disabled={created.fetching || !name.trim()}>
        {t("notices.addCategory")}
      </button>
      <div aria-live="polite">
        <PayloadErrors errors={created.data?.createNoticeCategory.errors} />
        <MutationError error={created.error} />
      </div>
    </form>
  );
}

type Row = {
  id: string;
  title: string;
  importance: string;
  pinned: boolean;
  isRead: boolean;
  status: string;
  startsAt: string;
  readCount?: number | null;
  recipientCount?: number | null;
  category: { name: string };
  author: { name: string };
};

function NoticeTable({
  rows,
  caption,
  mine,
  showCaption,
}: {
  rows: readonly Row[];
  caption: string;
  mine?: boolean;
  showCaption?: boolean;
}) {
  const { t } = useI18n();
  if (rows.length === 0) return <p className="empty">{t("notices.none")}</p>;
  return (
    <div className="table-scroll">
      <table className="notice-list">
        <caption className={showCaption ? undefined : "visually-hidden"}>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("notices.titleColumn")}</th>
            <th scope="col">{t("notices.category")}</th>
            <th scope="col">{mine ? t("notices.readColumn") : t("notices.author")}</th>
            <th scope="col">{t("notices.startsAt")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} className={row.isRead ? "is-read" : "is-unread"} data-notice={row.id}>
              <th scope="row">
                <ImportanceBadge importance={row.importance} />{" "}
                {row.pinned ? <span className="badge pinned">{t("notices.pinned")}</span> : null}{" "}
                {!row.isRead ? <span className="badge unread">{t("notices.unread")}</span> : null}{" "}
                {row.status === "SCHEDULED" ? (
                  <span className="badge">{t("notices.status.SCHEDULED")}</span>
                ) : null}{" "}
                <Link to={`/notices/${row.id}`}>{row.title}</Link>
              </th>
              <td>{row.category.name}</td>
              <td>
                {mine
                  ? t("notices.readOf", {
                      read: row.readCount ?? 0,
                      total: row.recipientCount ?? 0,
                    })
                  : row.author.name}
              </td>
              <td>
                <Moment value={row.startsAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NoticeBoard({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useI18n();
  const filterId = useId();
  const [categoryId, setCategoryId] = useState<string>("");
  const [result, reexecute] = useQuery({
    query: NoticesQuery,
    variables: { categoryId: categoryId || null },
    requestPolicy: "cache-and-network",
  });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  // A notice posted to me, or a reminder: the event is a hint, ask again. A read of one I
  // manage carries its new readCount, which the cache takes by itself.
  const [events] = useSubscription(
    { query: NoticeEventsSubscription, pause: !result.data?.me },
    (previous: number | undefined, event) =>
      event.noticeEvents.kind === "READ" ? (previous ?? 0) : (previous ?? 0) + 1,
  );
  useEffect(() => {
    if (events.data) reexecute({ requestPolicy: "network-only" });
  }, [events.data, reexecute]);
  useEffect(() => onReconnect(() => reexecute({ requestPolicy: "network-only" })), [reexecute]);
  const { data, placeholder } = usePageData(result, reexecute, onSignedOut);
  if (placeholder) return placeholder;
  const rows = data.notices.map((n) => readRow(n));
  const open = rows.filter((row) => row.status !== "CLOSED");
  const closed = rows.filter((row) => row.status === "CLOSED");
  const posted = data.postedNotices.map((n) => readRow(n));
  const canPost = data.noticeCategories.some((c) => c.canPost);
  const administers = data.me?.roles.includes("TENANT_ADMIN") ?? false;
  return (
    <>
      <ListHeader
        title={t("notices.title")}
        newItem={canPost ? { to: "/notices/new", label: t("notices.new") } : undefined}
      />
      {administers ? <NewCategory onAdded={refresh} /> : null}
      <div className="filter">
        <label htmlFor={filterId}>{t("notices.categoryFilter")}</label>{" "}
        <select id={filterId} value={categoryId} onChange={(e) => setCategoryId(e.target.value)}>
          <option value="">{t("notices.allCategories")}</option>
          {data.noticeCategories.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      <PageSection id="notices-open" title={t("notices.open")}>
        <NoticeTable rows={open} caption={t("notices.open")} />
      </PageSection>
      <PageSection id="notices-closed" title={t("notices.closed")}>
        <NoticeTable rows={closed} caption={t("notices.closed")} />
      </PageSection>
      {data.notices.length >= BOARD_PAGE ? (
        <PageSection id="notices-more" title={t("notices.earlier")}>
          <MorePages
            pageSize={BOARD_PAGE}
            shown={data.notices.length}
            page={(offset, report) => (
              <BoardPage categoryId={categoryId || null} offset={offset} report={report} />
            )}
          />
        </PageSection>
      ) : null}
      {posted.length > 0 ? (
        <PageSection id="notices-posted" title={t("notices.posted")}>
          <NoticeTable rows={posted} caption={t("notices.posted")} mine />
        </PageSection>
      ) : null}
    </>
  );
}

function readRow(item: FragmentType<typeof NoticeRowFragment>): Row {
  return readFragment(NoticeRowFragment, item);
}

/** お知らせ: /notices (the board), /notices/new (the form), /notices/<id> (one notice),
 * /notices/<id>/edit (the same form, changing it). */
export function NoticesPage({ path, onSignedOut }: { path: string; onSignedOut: () => void }) {
  const rest = path.replace(/^\/notices\/?/, "");
  if (rest === "") return <NoticeBoard onSignedOut={onSignedOut} />;
  if (rest === "new") return <NoticeForm onSignedOut={onSignedOut} />;
  const editing = rest.match(/^([^/]+)\/edit$/);
  if (editing?.[1]) {
    return <NoticeEditForm id={decodeURIComponent(editing[1])} onSignedOut={onSignedOut} />;
  }
  return <NoticeDetail id={decodeURIComponent(rest)} onSignedOut={onSignedOut} />;
}
