import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { Link, useRouter } from "../../app/router";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { AttachmentList, AttachmentPicker, type Uploaded } from "./Attachments";
import { AudiencePicker } from "./AudiencePicker";
import {
  Failure,
  ListHeader,
  Loading,
  Moment,
  MorePages,
  MutationError,
  NotFoundCard,
  PageSection,
  PayloadErrors,
  usePageData,
  usePageState,
  useRequeryOnEvents,
} from "./common";
import {
  type AudienceDraft,
  audienceInput,
  audienceIsEmpty,
  EMPTY_AUDIENCE,
  htmlToText,
  textToHtml,
} from "./logic";
import { AudienceChoicesQuery } from "./NoticeForm";
import { SafeHtml } from "./SafeHtml";

export const FOLDERS = ["NEW", "UNCONFIRMED", "CONFIRMED", "WATCH", "SENT", "DRAFTS"] as const;
type Folder = (typeof FOLDERS)[number];

const FolderQuery = graphql(`
  query CirculationFolder($folder: CirculationFolder!) {
    me {
      id
      roles
    }
    circulations(folder: $folder, first: 100) {
      ...CirculationRow_circulation
    }
  }
`);

const CirculationRowFragment = graphql(`
  fragment CirculationRow_circulation on Circulation {
    id
    title
    status
    createdAt
    sentAt
    isSender
    sender {
      id
      name
    }
    myReceipt {
      openedAt
      confirmedAt
    }
  }
`);

// A further page of a folder ("more").
const FolderPageQuery = graphql(`
  query CirculationFolderPage($folder: CirculationFolder!, $offset: Int!) {
    circulations(folder: $folder, first: 100, offset: $offset) {
      ...CirculationRow_circulation
    }
  }
`);

const FOLDER_PAGE = 100;

function CirculationItems({
  items,
}: {
  items: readonly FragmentType<typeof CirculationRowFragment>[];
}) {
  const { t } = useI18n();
  return (
    <ul className="item-list">
      {items.map((item) => {
        const c = readFragment(CirculationRowFragment, item);
        return (
          <li key={c.id} data-circulation={c.id}>
            <Link to={`/circulations/${c.id}`}>{c.title || t("circulation.untitled")}</Link>{" "}
            <span className={`badge status-${c.status}`}>
              {t(`circulation.status.${c.status}`)}
            </span>{" "}
            {c.myReceipt && !c.myReceipt.confirmedAt ? (
              <span className="badge unread">{t("circulation.unconfirmed")}</span>
            ) : null}
            <small>
              {" "}
              {c.sender.name} <Moment value={c.sentAt ?? c.createdAt} />
            </small>
          </li>
        );
      })}
    </ul>
  );
}

/** One further page of a folder. */
function FolderPage({
  folder,
  offset,
  report,
}: {
  folder: Folder;
  offset: number;
  report: (count: number) => void;
}) {
  const [result] = useQuery({ query: FolderPageQuery, variables: { folder, offset } });
  const count = result.data?.circulations.length;
  useEffect(() => {
    if (count !== undefined) report(count);
  }, [count, report]);
  if (result.error) return <MutationError error={result.error} />;
  if (!result.data) return <Loading />;
  return <CirculationItems items={result.data.circulations} />;
}

export const CirculationEvents = graphql(`
  subscription CirculationEvents {
    circulationEvents {
      kind
      version
      circulation {
        id
        version
      }
    }
  }
`);

const CirculationQuery = graphql(`
  query CirculationDetail($id: ID!) {
    me {
      id
    }
    circulation(id: $id) {
      id
      title
      body
      status
      createdAt
      sentAt
      completedAt
      version
      isSender
      isWatching
      sender {
        id
        name
      }
      attachments {
        id
        name
        size
        url
      }
      audience {
        everyone
        departments {
          includeSubDepartments
          department {
            id
            name
          }
        }
        groupIds
        persons {
          id
          name
        }
      }
      myReceipt {
        openedAt
        confirmedAt
      }
      comments {
        body
        createdAt
        person {
          id
          name
        }
      }
      confirmed {
        openedAt
        confirmedAt
        person {
          id
          name
        }
      }
      unconfirmed {
        openedAt
        lastRemindedAt
        person {
          id
          name
        }
      }
    }
  }
`);

const SaveCirculation = graphql(`
  mutation SaveCirculation($input: SaveCirculationInput!) {
    saveCirculation(input: $input) {
      circulation {
        id
        status
      }
      errors {
        code
        field
      }
    }
  }
`);

const OpenCirculation = graphql(`
  mutation OpenCirculation($id: ID!) {
    openCirculation(id: $id) {
      circulation {
        id
        myReceipt {
          openedAt
          confirmedAt
        }
      }
      errors {
        code
      }
    }
  }
`);

const ConfirmCirculation = graphql(`
  mutation ConfirmCirculation($id: ID!, $comment: String) {
    confirmCirculation(id: $id, comment: $comment) {
      circulation {
        id
        version
      }
      errors {
        code
      }
    }
  }
`);

const CommentOnCirculation = graphql(`
  mutation CommentOnCirculation($id: ID!, $body: String!) {
    commentOnCirculation(id: $id, body: $body) {
      circulation {
        id
        version
      }
      errors {
        code
      }
    }
  }
`);

const RemindCirculation = graphql(`
  mutation RemindCirculation($id: ID!) {
    remindCirculation(id: $id) {
      reminded {
        id
      }
      errors {
        code
      }
    }
  }
`);

const CompleteCirculation = graphql(`
  mutation CompleteCirculation($id: ID!) {
    completeCirculation(id: $id) {
      circulation {
        id
        status
        completedAt
      }
      errors {
        code
      }
    }
  }
`);

const WatchCirculation = graphql(`
  mutation WatchCirculation($id: ID!, $watching: Boolean!) {
    setCirculationWatch(id: $id, watching: $watching) {
      circulation {
        id
        isWatching
      }
      errors {
        code
      }
    }
  }
`);

function useLive(
  reexecute: (opts: { requestPolicy: "network-only" }) => void,
  pause: boolean,
  id?: string,
) {
  useRequeryOnEvents(
    CirculationEvents,
    (event) => event.circulationEvents.circulation.id,
    reexecute,
    pause,
    id,
  );
}

function Folders({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useI18n();
  const [folder, setFolder] = useState<Folder>("NEW");
  const [result, reexecute] = useQuery({
    query: FolderQuery,
    variables: { folder },
    requestPolicy: "cache-and-network",
  });
  useLive(reexecute, !result.data?.me);
  const data = result.data;
  const state = usePageState({
    data,
    error: result.error,
    signedOut: data !== undefined && !data.me,
    onSignedOut,
  });
  if (state.failed && result.error) {
    return (
      <Failure error={result.error} retry={() => reexecute({ requestPolicy: "network-only" })} />
    );
  }
  return (
    <>
      <ListHeader
        title={t("circulation.title")}
        newItem={{ to: "/circulations/new", label: t("circulation.new") }}
      />
      <nav className="folders" aria-label={t("circulation.folders")}>
        <ul>
          {FOLDERS.map((name) => (
            <li key={name}>
              <button type="button" aria-pressed={folder === name} onClick={() => setFolder(name)}>
                {t(`circulation.folder.${name}`)}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <section className="card wide" aria-labelledby="folder-title">
        <h2 id="folder-title">{t(`circulation.folder.${folder}`)}</h2>
        {!data ? (
          <Loading />
        ) : data.circulations.length === 0 ? (
          <p className="empty">{t("circulation.none")}</p>
        ) : (
          <>
            <CirculationItems items={data.circulations} />
            <MorePages
              key={folder}
              pageSize={FOLDER_PAGE}
              shown={data.circulations.length}
              page={(offset, report) => (
                <FolderPage folder={folder} offset={offset} report={report} />
              )}
            />
          </>
        )}
      </section>
    </>
  );
}

/** The compose form: a new circulation, or one of my drafts. */
function Compose({
  onSignedOut,
  draft,
}: {
  onSignedOut: () => void;
  draft?: {
    id: string;
    title: string;
    body: string;
    audience: AudienceDraft;
    files: Uploaded[];
  };
}) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const id = useId();
  const [choices, reexecute] = useQuery({ query: AudienceChoicesQuery });
  const [saved, save] = useMutation(SaveCirculation);
  const [title, setTitle] = useState(draft?.title ?? "");
  const [body, setBody] = useState(draft ? htmlToText(draft.body) : "");
  const [audience, setAudience] = useState<AudienceDraft>(draft?.audience ?? EMPTY_AUDIENCE);
  const [files, setFiles] = useState<Uploaded[]>(draft?.files ?? []);
  const [local, setLocal] = useState<string | null>(null);
  const { data, placeholder } = usePageData(choices, reexecute, onSignedOut);
  if (placeholder) return placeholder;
  const submit = (send: boolean) => async (event?: FormEvent) => {
    event?.preventDefault();
    if (send && !title.trim()) return setLocal(t("circulation.titleRequired"));
    if (send && audienceIsEmpty(audience)) return setLocal(t("error.NO_RECIPIENTS"));
    setLocal(null);
    const answer = await save({
      input: {
        id: draft?.id ?? null,
        title: title.trim(),
        body: textToHtml(body),
        audience: audienceInput(audience),
        attachmentIds: files.map((file) => file.id),
        send,
      },
    });
    const circulation = answer.data?.saveCirculation.circulation;
    if (circulation && answer.data?.saveCirculation.errors.length === 0) {
      navigate(`/circulations/${circulation.id}`);
    }
  };
  return (
    <form className="card notice-form" onSubmit={submit(true)} aria-labelledby={`${id}-title`}>
      <p>
        <Link to="/circulations">{t("circulation.back")}</Link>
      </p>
      <h1 id={`${id}-title`}>{draft ? t("circulation.editDraft") : t("circulation.new")}</h1>
      <label>
        {t("circulation.formTitle")}
        <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} />
      </label>
      <label>
        {t("circulation.body")}
        <textarea
          value={body}
          onChange={(e) => setBody(e.target.value)}
          rows={8}
          aria-describedby={`${id}-hint`}
        />
      </label>
      <p id={`${id}-hint`} className="hint">
        {t("notices.bodyHint")}
      </p>
      <AudiencePicker
        value={audience}
        onChange={setAudience}
        departments={data.organizations}
        groups={data.groups}
        allowEveryone={false}
      />
      <AttachmentPicker value={files} onChange={setFiles} />
      <div aria-live="polite">
        {local ? (
          <p className="error" role="alert">
            {local}
          </p>
        ) : null}
        <PayloadErrors errors={saved.data?.saveCirculation.errors} />
        <MutationError error={saved.error} />
      </div>
      <p className="actions">
        <button type="button" disabled={saved.fetching} onClick={() => void submit(false)()}>
          {t("circulation.saveDraft")}
        </button>{" "}
        <button type="submit" className="primary" disabled={saved.fetching}>
          {t("circulation.send")}
        </button>
      </p>
    </form>
  );
}

function Detail({ id, onSignedOut }: { id: string; onSignedOut: () => void }) {
  const { t } = useI18n();
  const commentId = useId();
  const [result, reexecute] = useQuery({
    query: CirculationQuery,
    variables: { id },
    requestPolicy: "cache-and-network",
  });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  useLive(reexecute, !result.data?.me, id);
  const [, open] = useMutation(OpenCirculation);
  const [confirmed, confirm] = useMutation(ConfirmCirculation);
  const [commented, comment] = useMutation(CommentOnCirculation);
  const [reminded, remind] = useMutation(RemindCirculation);
  const [completed, complete] = useMutation(CompleteCirculation);
  const [, watch] = useMutation(WatchCirculation);
  const [text, setText] = useState("");
  const circulation = result.data?.circulation;
  const opened = useRef<string | null>(null);
  useEffect(() => {
    if (
      circulation?.myReceipt &&
      !circulation.myReceipt.openedAt &&
      opened.current !== circulation.id
    ) {
      opened.current = circulation.id;
      void open({ id: circulation.id });
    }
  }, [circulation, open]);
  const { placeholder } = usePageData(result, reexecute, onSignedOut);
  if (placeholder) return placeholder;
  if (!circulation) {
    return (
      <NotFoundCard
        title={t("circulation.notFound")}
        back={t("circulation.back")}
        to="/circulations"
      />
    );
  }
  if (circulation.status === "DRAFT" && circulation.isSender) {
    const a = circulation.audience;
    return (
      <Compose
        onSignedOut={onSignedOut}
        draft={{
          id: circulation.id,
          title: circulation.title,
          body: circulation.body,
          audience: {
            everyone: a.everyone,
            departments: a.departments.map((d) => ({
              id: d.department.id,
              name: d.department.name,
              includeSubDepartments: d.includeSubDepartments,
            })),
            groupIds: [...a.groupIds],
            persons: a.persons.map((p) => ({ id: p.id, name: p.name })),
          },
          files: circulation.attachments.map((f) => ({ id: f.id, name: f.name, size: f.size })),
        }}
      />
    );
  }
  const done = circulation.status === "COMPLETED";
  const receipt = circulation.myReceipt;
  const errors = [
    ...(confirmed.data?.confirmCirculation.errors ?? []),
    ...(commented.data?.commentOnCirculation.errors ?? []),
    ...(reminded.data?.remindCirculation.errors ?? []),
    ...(completed.data?.completeCirculation.errors ?? []),
  ];
  const busy = confirmed.fetching || commented.fetching;
  const after = (promise: Promise<unknown>) =>
    void promise.then(() => {
      setText("");
      refresh();
    });
  return (
    <article className="circulation-detail">
      <p>
        <Link to="/circulations">{t("circulation.back")}</Link>
      </p>
      <header className="page-header">
        <h1>{circulation.title}</h1>
        <span className={`badge status-${circulation.status}`}>
          {t(`circulation.status.${circulation.status}`)}
        </span>
      </header>
      <dl className="facts">
        <dt>{t("circulation.sender")}</dt>
        <dd>{circulation.sender.name}</dd>
        <dt>{t("circulation.sentAt")}</dt>
        <dd>
          <Moment value={circulation.sentAt} />
        </dd>
        {receipt ? (
          <>
            <dt>{t("circulation.myConfirmation")}</dt>
            <dd>
              {receipt.confirmedAt ? (
                <Moment value={receipt.confirmedAt} />
              ) : (
                t("circulation.unconfirmed")
              )}
            </dd>
          </>
        ) : null}
      </dl>
      <section className="card wide">
        <SafeHtml html={circulation.body} />
      </section>
      <AttachmentList files={circulation.attachments} />
      <p>
        <button
          type="button"
          aria-pressed={circulation.isWatching}
          onClick={() => void watch({ id: circulation.id, watching: !circulation.isWatching })}
        >
          {circulation.isWatching ? t("circulation.unwatch") : t("circulation.watch")}
        </button>
      </p>
      {!done && (receipt || circulation.isSender) ? (
        <section className="card wide" aria-labelledby={`${commentId}-title`}>
          <h2 id={`${commentId}-title`}>
            {receipt && !receipt.confirmedAt
              ? t("circulation.confirmTitle")
              : t("circulation.commentTitle")}
          </h2>
          <label>
            {t("circulation.comment")}
            <textarea value={text} onChange={(e) => setText(e.target.value)} rows={3} />
          </label>
          <p className="actions">
            {receipt && !receipt.confirmedAt ? (
              <button
                type="button"
                className="primary"
                disabled={busy}
                onClick={() => after(confirm({ id: circulation.id, comment: text.trim() || null }))}
              >
                {t("circulation.confirm")}
              </button>
            ) : null}{" "}
            <button
              type="button"
              disabled={busy || !text.trim()}
              onClick={() => after(comment({ id: circulation.id, body: text.trim() }))}
            >
              {t("circulation.postComment")}
            </button>
          </p>
        </section>
      ) : null}
      <div aria-live="polite">
        <PayloadErrors errors={errors} />
        <MutationError
          error={confirmed.error ?? commented.error ?? reminded.error ?? completed.error}
        />
        {reminded.data?.remindCirculation.errors.length === 0 ? (
          <p className="done">
            {t("notices.remindedCount", { count: reminded.data.remindCirculation.reminded.length })}
          </p>
        ) : null}
      </div>
      {circulation.isSender ? (
        <section className="card wide readers" aria-labelledby="confirmations-title">
          <h2 id="confirmations-title">
            {t("circulation.confirmations")}{" "}
            <span className="read-count">
              {t("notices.readOf", {
                read: circulation.confirmed?.length ?? 0,
                total:
                  (circulation.confirmed?.length ?? 0) + (circulation.unconfirmed?.length ?? 0),
              })}
            </span>
          </h2>
          <div className="columns">
            <div>
              <h3>{t("circulation.confirmedList")}</h3>
              {(circulation.confirmed ?? []).length === 0 ? (
                <p className="empty">{t("notices.nobody")}</p>
              ) : null}
              <ul className="people-times" aria-label={t("circulation.confirmedList")}>
                {(circulation.confirmed ?? []).map((r) => (
                  <li key={r.person.id}>
                    <span>{r.person.name}</span> <Moment value={r.confirmedAt} />
                  </li>
                ))}
              </ul>
            </div>
            <div>
              <h3>{t("circulation.unconfirmedList")}</h3>
              {(circulation.unconfirmed ?? []).length === 0 ? (
                <p className="empty">{t("notices.nobody")}</p>
              ) : null}
              <ul className="people-times" aria-label={t("circulation.unconfirmedList")}>
                {(circulation.unconfirmed ?? []).map((r) => (
                  <li key={r.person.id}>
                    <span>{r.person.name}</span>
                    <small>
                      {" "}
                      {r.openedAt ? t("circulation.opened") : t("circulation.notOpened")}
                      {r.lastRemindedAt ? ` ${t("notices.remindedAt")} ` : ""}
                      {r.lastRemindedAt ? <Moment value={r.lastRemindedAt} /> : null}
                    </small>
                  </li>
                ))}
              </ul>
            </div>
          </div>
          {!done ? (
            <p className="actions">
              <button
                type="button"
                disabled={reminded.fetching || (circulation.unconfirmed ?? []).length === 0}
                onClick={() => void remind({ id: circulation.id }).then(refresh)}
              >
                {t("circulation.remind")}
              </button>{" "}
              <button
                type="button"
                disabled={completed.fetching}
                onClick={() => void complete({ id: circulation.id })}
              >
                {t("circulation.complete")}
              </button>
            </p>
          ) : null}
        </section>
      ) : null}
      <PageSection id="comments-title" title={t("circulation.comments")}>
        {circulation.comments.length === 0 ? (
          <p className="empty">{t("circulation.noComments")}</p>
        ) : (
          <ol className="comments">
            {circulation.comments.map((c, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: comments are listed oldest first and never reordered
              <li key={i}>
                <p className="comment-head">
                  <strong>{c.person.name}</strong> <Moment value={c.createdAt} />
                </p>
                <p className="comment-body">{c.body}</p>
              </li>
            ))}
          </ol>
        )}
      </PageSection>
    </article>
  );
}

/** 回覧: /circulations (folders), /circulations/new (compose), /circulations/<id>. */
export function CirculationsPage({ path, onSignedOut }: { path: string; onSignedOut: () => void }) {
  const rest = path.replace(/^\/circulations\/?/, "");
  if (rest === "") return <Folders onSignedOut={onSignedOut} />;
  if (rest === "new") return <Compose onSignedOut={onSignedOut} />;
  return <Detail key={rest} id={decodeURIComponent(rest)} onSignedOut={onSignedOut} />;
}
