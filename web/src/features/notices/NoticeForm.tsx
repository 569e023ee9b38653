import { type FormEvent, useEffect, useId, useState } from "react";
import { useMutation, useQuery } from "urql";
import { Link, useRouter } from "../../app/router";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { AttachmentPicker, type Uploaded } from "./Attachments";
import { AudiencePicker } from "./AudiencePicker";
import { Failure, Loading, MutationError, PayloadErrors, usePageState } from "./common";
import {
  type AudienceDraft,
  audienceInput,
  audienceIsEmpty,
  EMPTY_AUDIENCE,
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

/** The information form: category, title, body, importance, audience, period, pinned. */
export function NoticeForm({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const id = useId();
  const [result, reexecute] = useQuery({ query: AudienceChoicesQuery });
  const [posted, post] = useMutation(PostNotice);
  const [categoryId, setCategoryId] = useState("");
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [importance, setImportance] = useState<Importance>("NORMAL");
  const [audience, setAudience] = useState<AudienceDraft>(EMPTY_AUDIENCE);
  const [startDate, setStartDate] = useState("");
  const [startTime, setStartTime] = useState("");
  const [endDate, setEndDate] = useState("");
  const [endTime, setEndTime] = useState("");
  const [pinned, setPinned] = useState(false);
  const [files, setFiles] = useState<Uploaded[]>([]);
  const [local, setLocal] = useState<string | null>(null);
  const data = result.data;
  const state = usePageState({
    data,
    error: result.error,
    signedOut: data !== undefined && !data.me,
    onSignedOut,
  });
  const newId = posted.data?.postNotice.notice?.id;
  useEffect(() => {
    if (newId) navigate(`/notices/${newId}`);
  }, [newId, navigate]);
  if (state.failed && result.error) {
    return (
      <Failure error={result.error} retry={() => reexecute({ requestPolicy: "network-only" })} />
    );
  }
  if (!data) return <Loading />;
  const categories = data.noticeCategories.filter((c) => c.canPost);
  const chosenCategory = categoryId || categories[0]?.id || "";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return setLocal("REQUIRED_TITLE");
    if (audienceIsEmpty(audience)) return setLocal("NO_RECIPIENTS");
    setLocal(null);
    void post({
      input: {
        categoryId: chosenCategory,
        title: title.trim(),
        body: textToHtml(body),
        importance,
        audience: audienceInput(audience),
        startsAt: localDateTime(startDate, startTime),
        endsAt: localDateTime(endDate, endTime),
        pinned,
        attachmentIds: files.map((file) => file.id),
      },
    });
  };
  if (categories.length === 0) {
    return (
      <div className="card">
        <h1>{t("notices.new")}</h1>
        <p>{t("notices.noCategory")}</p>
        <Link to="/notices">{t("notices.back")}</Link>
      </div>
    );
  }
  return (
    <form className="card notice-form" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <p>
        <Link to="/notices">{t("notices.back")}</Link>
      </p>
      <h1 id={`${id}-title`}>{t("notices.new")}</h1>
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
        departments={data.organizations}
        groups={data.groups}
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
      <div aria-live="polite">
        {local ? (
          <p className="error" role="alert">
            {local === "REQUIRED_TITLE" ? t("notices.titleRequired") : t("error.NO_RECIPIENTS")}
          </p>
        ) : null}
        <PayloadErrors errors={posted.data?.postNotice.errors} />
        <MutationError error={posted.error} />
      </div>
      <p>
        <button type="submit" className="primary" disabled={posted.fetching}>
          {t("notices.post")}
        </button>
      </p>
    </form>
  );
}
