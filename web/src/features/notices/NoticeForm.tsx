import { type FormEvent, useEffect, useId, useState } from "react";
import { type CombinedError, useMutation, useQuery } from "urql";
import { Link, useRouter } from "../../app/router";
import { graphql } from "../../gql";
import type { EditNoticeQuery as EditNoticeData } from "../../gql/graphql";
import { useI18n } from "../../i18n/language";
import { japanDate, japanTime } from "../../ui/dates";
import { AttachmentPicker, type Uploaded } from "./Attachments";
import { AudiencePicker } from "./AudiencePicker";
import { MutationError, NotFoundCard, PayloadErrors, usePageData } from "./common";
import {
  type AudienceDraft,
  audienceInput,
  audienceIsEmpty,
  EMPTY_AUDIENCE,
  htmlToText,
  IMPORTANCES,
  type Importance,
  localDateTime,
  textToHtml,
} from "./logic";

// What the form offers, in one request: the categories I may post in, departments and
// groups for the audience (persons come from the people search as typed).
export const AudienceChoicesQuery = graphql(`
  query NoticeFormChoices {
    me {
      id
    }
    noticeCategories {
      id
      name
      canPost
    }
    organizations {
      id
      name
      depth
    }
    groups {
      id
      name
    }
  }
`);

// Editing asks for the notice as it is, with the form's choices, in the same one request.
const EditNoticeQuery = graphql(`
  query EditNotice($id: ID!) {
    me {
      id
    }
    noticeCategories {
      id
      name
      canPost
    }
    organizations {
      id
      name
      depth
    }
    groups {
      id
      name
    }
    notice(id: $id) {
      id
      title
      body
      importance
      startsAt
      endsAt
      pinned
      canManage
      category {
        id
        name
        canPost
      }
      audience {
        everyone
        groupIds
        departments {
          includeSubDepartments
          department {
            id
            name
          }
        }
        persons {
          id
          name
        }
      }
      attachments {
        id
        name
        size
      }
    }
  }
`);

const UpdateNotice = graphql(`
  mutation UpdateNotice($input: UpdateNoticeInput!) {
    updateNotice(input: $input) {
      notice {
        id
        version
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

const PostNotice = graphql(`
  mutation PostNotice($input: PostNoticeInput!) {
    postNotice(input: $input) {
      notice {
        id
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

type Choices = {
  noticeCategories: readonly { id: string; name: string; canPost: boolean }[];
  organizations: readonly { id: string; name: string; depth: number }[];
  groups: readonly { id: string; name: string }[];
};
type Editable = NonNullable<EditNoticeData["notice"]>;

/** The form's starting values: empty for a new notice, the notice's own when editing. */
function initial(notice: Editable | undefined) {
  const date = (value: string | null | undefined) => (value ? japanDate(new Date(value)) : "");
  const time = (value: string | null | undefined) => (value ? japanTime(new Date(value)) : "");
  const audience: AudienceDraft = notice
    ? {
        everyone: notice.audience.everyone,
        departments: notice.audience.departments.map((d) => ({
          id: d.department.id,
          name: d.department.name,
          includeSubDepartments: d.includeSubDepartments,
        })),
        groupIds: [...notice.audience.groupIds],
        persons: notice.audience.persons.map((p) => ({ id: p.id, name: p.name })),
      }
    : EMPTY_AUDIENCE;
  return {
    title: notice?.title ?? "",
    body: notice ? htmlToText(notice.body) : "",
    importance: (notice?.importance ?? "NORMAL") as Importance,
    audience,
    startDate: date(notice?.startsAt),
    startTime: time(notice?.startsAt),
    endDate: date(notice?.endsAt),
    endTime: time(notice?.endsAt),
    pinned: notice?.pinned ?? false,
    files: notice ? notice.attachments.map((a) => ({ ...a })) : [],
  };
}

/** The information form: category, title, body, importance, audience, period, pinned;
 * posts a new notice, or with `notice` changes that one (its category stays). */
function NoticeFields({
  choices,
  notice,
  saving,
  errors,
  error,
  onSave,
}: {
  choices: Choices;
  notice?: Editable;
  saving: boolean;
  errors: readonly { code: string; field?: string | null }[] | undefined;
  error: CombinedError | undefined;
  onSave: (values: NoticeValues) => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const [start] = useState(() => initial(notice));
  const [categoryId, setCategoryId] = useState("");
  const [title, setTitle] = useState(start.title);
  const [body, setBody] = useState(start.body);
  const [importance, setImportance] = useState<Importance>(start.importance);
  const [audience, setAudience] = useState<AudienceDraft>(start.audience);
  const [startDate, setStartDate] = useState(start.startDate);
  const [startTime, setStartTime] = useState(start.startTime);
  const [endDate, setEndDate] = useState(start.endDate);
  const [endTime, setEndTime] = useState(start.endTime);
  const [pinned, setPinned] = useState(start.pinned);
  const [files, setFiles] = useState<Uploaded[]>(start.files);
  const [significant, setSignificant] = useState(false);
  const [local, setLocal] = useState<string | null>(null);
  const categories = choices.noticeCategories.filter((c) => c.canPost);
  const chosenCategory = notice?.category.id ?? (categoryId || categories[0]?.id || "");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return setLocal("REQUIRED_TITLE");
    if (audienceIsEmpty(audience)) return setLocal("NO_RECIPIENTS");
    setLocal(null);
    onSave({
      categoryId: chosenCategory,
      title: title.trim(),
      body: textToHtml(body),
      importance,
      audience: audienceInput(audience),
      startsAt: localDateTime(startDate, startTime),
      endsAt: localDateTime(endDate, endTime),
      pinned,
      attachmentIds: files.map((file) => file.id),
      significantChange: significant,
    });
  };
  if (!notice && categories.length === 0) {
    return (
      <div className="card">
        <h1>{t("notices.new")}</h1>
        <p>{t("notices.noCategory")}</p>
        <Link to="/notices">{t("notices.back")}</Link>
      </div>
    );
  }
  const heading = notice ? t("notices.edit") : t("notices.new");
  return (
    <form className="card notice-form" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <p>
        <Link to={notice ? `/notices/${notice.id}` : "/notices"}>{t("notices.back")}</Link>
      </p>
      <h1 id={`${id}-title`}>{heading}</h1>
      {notice ? (
        <p>
          {t("notices.category")}: {notice.category.name}
        </p>
      ) : (
        <label>
          {t("notices.category")}
          <select value={chosenCategory} onChange={(e) => setCategoryId(e.target.value)}>
            {categories.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        {t("notices.formTitle")}
        <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
      </label>
      <label>
        {t("notices.body")}
        <textarea
          value={body}
          onChange={(e) => setBody(e.target.value)}
          rows={8}
          aria-describedby={`${id}-body-hint`}
        />
      </label>
      <p id={`${id}-body-hint`} className="hint">
        {t("notices.bodyHint")}
      </p>
      <AttachmentPicker value={files} onChange={setFiles} />
      <label>
        {t("notices.importance")}
        <select value={importance} onChange={(e) => setImportance(e.target.value as Importance)}>
          {IMPORTANCES.map((value) => (
            <option key={value} value={value}>
              {t(`notices.importance.${value}`)}
            </option>
          ))}
        </select>
      </label>
      <AudiencePicker
        value={audience}
        onChange={setAudience}
        departments={choices.organizations}
        groups={choices.groups}
      />
      <fieldset className="period">
        <legend>{t("notices.period")}</legend>
        <label>
          {t("notices.startDate")}
          <input type="date" value={startDate} onChange={(e) => setStartDate(e.target.value)} />
        </label>
        <label>
          {t("notices.startTime")}
          <input type="time" value={startTime} onChange={(e) => setStartTime(e.target.value)} />
        </label>
        <label>
          {t("notices.endDate")}
          <input type="date" value={endDate} onChange={(e) => setEndDate(e.target.value)} />
        </label>
        <label>
          {t("notices.endTime")}
          <input type="time" value={endTime} onChange={(e) => setEndTime(e.target.value)} />
        </label>
        <p className="hint">{t("notices.periodHint")}</p>
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={pinned} onChange={(e) => setPinned(e.target.checked)} />
        {t("notices.pinThis")}
      </label>
      {notice ? (
        <label className="check">
          <input
            type="checkbox"
            checked={significant}
            onChange={(e) => setSignificant(e.target.checked)}
            aria-describedby={`${id}-significant-hint`}
          />
          {t("notices.significantChange")}
        </label>
      ) : null}
      {notice ? (
        <p id={`${id}-significant-hint`} className="hint">
          {t("notices.significantChangeHint")}
        </p>
      ) : null}
      <div aria-live="polite">
        {local ? (
          <p className="error" role="alert">
            {local === "REQUIRED_TITLE" ? t("notices.titleRequired") : t("error.NO_RECIPIENTS")}
          </p>
        ) : null}
        <PayloadErrors errors={errors} />
        <MutationError error={error} />
      </div>
      <p>
        <button type="submit" className="primary" disabled={saving}>
          {notice ? t("notices.saveChanges") : t("notices.post")}
        </button>
      </p>
    </form>
  );
}

type NoticeValues = {
  categoryId: string;
  title: string;
  body: string;
  importance: Importance;
  audience: ReturnType<typeof audienceInput>;
  startsAt: string | null;
  endsAt: string | null;
  pinned: boolean;
  attachmentIds: string[];
  significantChange: boolean;
};

/** /notices/new: post a notice. */
export function NoticeForm({ onSignedOut }: { onSignedOut: () => void }) {
  const { navigate } = useRouter();
  const [result, reexecute] = useQuery({ query: AudienceChoicesQuery });
  const [posted, post] = useMutation(PostNotice);
  const { data, placeholder } = usePageData(result, reexecute, onSignedOut);
  const newId = posted.data?.postNotice.notice?.id;
  useEffect(() => {
    if (newId) navigate(`/notices/${newId}`);
  }, [newId, navigate]);
  if (placeholder) return placeholder;
  return (
    <NoticeFields
      choices={data}
      saving={posted.fetching}
      errors={posted.data?.postNotice.errors}
      error={posted.error}
      onSave={({ significantChange: _, ...input }) => void post({ input })}
    />
  );
}

/** /notices/<id>/edit: change a notice (its author or an administrator). */
export function NoticeEditForm({ id, onSignedOut }: { id: string; onSignedOut: () => void }) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const [result, reexecute] = useQuery({
    query: EditNoticeQuery,
    variables: { id },
    requestPolicy: "network-only",
  });
  const [updated, update] = useMutation(UpdateNotice);
  const { data, placeholder } = usePageData(result, reexecute, onSignedOut);
  const done = updated.data?.updateNotice.notice?.version;
  useEffect(() => {
    if (done) navigate(`/notices/${id}`);
  }, [done, id, navigate]);
  if (placeholder) return placeholder;
  if (!data.notice?.canManage) {
    return <NotFoundCard title={t("notices.notFound")} back={t("notices.back")} to="/notices" />;
  }
  return (
    <NoticeFields
      choices={data}
      notice={data.notice}
      saving={updated.fetching}
      errors={updated.data?.updateNotice.errors}
      error={updated.error}
      onSave={({ categoryId: _, ...values }) => void update({ input: { id, ...values } })}
    />
  );
}
