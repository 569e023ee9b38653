import { type FormEvent, useEffect, useId, useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import { Link, useRouter } from "../../app/router";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { AudiencePicker } from "./AudiencePicker";
import {
  ListHeader,
  Loading,
  Moment,
  MorePages,
  MutationError,
  NotFoundCard,
  PageSection,
  PayloadErrors,
  usePageData,
  useRequeryOnEvents,
} from "./common";
import {
  type AnswerDraft,
  type AudienceDraft,
  answerDrafts,
  answersInput,
  audienceInput,
  audienceIsEmpty,
  EMPTY_AUDIENCE,
  localDateTime,
  missingRequired,
  percent,
  type QuestionDraft,
  type QuestionKind,
  questionsInput,
  textToHtml,
} from "./logic";
import { AudienceChoicesQuery } from "./NoticeForm";
import { AnswerFields, CsvExport, NEW_QUESTION, QuestionsEditor } from "./Questions";
import { SafeHtml } from "./SafeHtml";

const SurveysQuery = graphql(`
  query SurveysPage {
    me {
      id
      roles
    }
    surveys(includeClosed: true, first: 100) {
      ...SurveyRow_survey
    }
    ownedSurveys(first: 50) {
      id
      title
      status
      closesAt
      respondentCount
      recipientCount
    }
  }
`);

const SurveyRowFragment = graphql(`
  fragment SurveyRow_survey on Survey {
    id
    title
    status
    closesAt
    myAnsweredAt
    owner {
      id
      name
    }
  }
`);

// A further page of the surveys I was asked ("more").
const SurveysPageQuery = graphql(`
  query AskedSurveysPage($offset: Int!) {
    surveys(includeClosed: true, first: 100, offset: $offset) {
      ...SurveyRow_survey
    }
  }
`);

const SURVEYS_PAGE = 100;

type SurveyRow = ReturnType<typeof readSurveyRow>;

function readSurveyRow(item: FragmentType<typeof SurveyRowFragment>) {
  return readFragment(SurveyRowFragment, item);
}

function SurveyItems({ items }: { items: readonly SurveyRow[] }) {
  const { t } = useI18n();
  if (items.length === 0) return <p className="empty">{t("survey.none")}</p>;
  return (
    <ul className="item-list">
      {items.map((s) => (
        <li key={s.id} data-survey={s.id}>
          <Link to={`/surveys/${s.id}`}>{s.title}</Link>{" "}
          {s.myAnsweredAt ? (
            <span className="badge">{t("survey.answered")}</span>
          ) : (
            <span className="badge unread">{t("survey.unanswered")}</span>
          )}
          <small>
            {" "}
            {s.owner.name} {t("survey.closesAt")} <Moment value={s.closesAt} />
          </small>
        </li>
      ))}
    </ul>
  );
}

/** One further page of the surveys I was asked. */
function AskedSurveysPage({ offset, report }: { offset: number; report: (count: number) => void }) {
  const [result] = useQuery({ query: SurveysPageQuery, variables: { offset } });
  const count = result.data?.surveys.length;
  useEffect(() => {
    if (count !== undefined) report(count);
  }, [count, report]);
  if (result.error) return <MutationError error={result.error} />;
  if (!result.data) return <Loading />;
  return <SurveyItems items={result.data.surveys.map(readSurveyRow)} />;
}

export const SurveyEvents = graphql(`
  subscription SurveyEvents {
    surveyEvents {
      kind
      version
      survey {
        id
        version
      }
    }
  }
`);

const SurveyQuery = graphql(`
  query SurveyDetail($id: ID!) {
    me {
      id
    }
    survey(id: $id) {
      id
      title
      description
      anonymous
      status
      opensAt
      closesAt
      version
      isOwner
      isRecipient
      myAnsweredAt
      recipientCount
      respondentCount
      owner {
        id
        name
      }
      questions {
        id
        position
        kind
        text
        required
        choices
      }
      myAnswers {
        questionId
        choices
        text
      }
      nonRespondents {
        id
        name
      }
      results {
        answerCount
        numberCount
        numberSum
        numberMin
        numberMax
        numberAverage
        question {
          id
          text
          kind
        }
        choiceCounts {
          choice
          count
        }
        texts {
          text
          person {
            id
            name
          }
        }
        dates {
          date
          count
        }
      }
    }
  }
`);

const AnswerSurvey = graphql(`
  mutation AnswerSurvey($id: ID!, $answers: [SurveyAnswerInput!]!) {
    answerSurvey(id: $id, answers: $answers) {
      survey {
        id
        myAnsweredAt
        myAnswers {
          questionId
          choices
          text
        }
      }
      errors {
        code
        field
      }
    }
  }
`);

const CreateSurvey = graphql(`
  mutation CreateSurvey($input: CreateSurveyInput!) {
    createSurvey(input: $input) {
      survey {
        id
      }
      errors {
        code
        field
      }
    }
  }
`);

const CloseSurvey = graphql(`
  mutation CloseSurvey($id: ID!) {
    closeSurvey(id: $id) {
      survey {
        id
        status
      }
      errors {
        code
      }
    }
  }
`);

const SurveyCsvQuery = graphql(`
  query SurveyResultsCsv($id: ID!, $encoding: CsvEncoding!) {
    surveyResultsCsv(id: $id, encoding: $encoding) {
      filename
      encoding
      contentBase64
      lossy
    }
  }
`);

function useLive(
  reexecute: (opts: { requestPolicy: "network-only" }) => void,
  pause: boolean,
  id?: string,
) {
  useRequeryOnEvents(SurveyEvents, (event) => event.surveyEvents.survey.id, reexecute, pause, id);
}

function SurveyList({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: SurveysQuery, requestPolicy: "cache-and-network" });
  useLive(reexecute, !result.data?.me);
  const { data, placeholder } = usePageData(result, reexecute, onSignedOut);
  if (placeholder) return placeholder;
  const asked = data.surveys.map(readSurveyRow);
  const open = asked.filter((s) => s.status === "OPEN");
  const closed = asked.filter((s) => s.status !== "OPEN");
  return (
    <>
      <ListHeader
        title={t("survey.title")}
        newItem={{ to: "/surveys/new", label: t("survey.new") }}
      />
      <PageSection id="surveys-open" title={t("survey.open")}>
        <SurveyItems items={open} />
      </PageSection>
      {closed.length > 0 ? (
        <PageSection id="surveys-closed" title={t("survey.closed")}>
          <SurveyItems items={closed} />
        </PageSection>
      ) : null}
      {asked.length >= SURVEYS_PAGE ? (
        <PageSection id="surveys-earlier" title={t("survey.earlier")}>
          <MorePages
            pageSize={SURVEYS_PAGE}
            shown={asked.length}
            page={(offset, report) => <AskedSurveysPage offset={offset} report={report} />}
          />
        </PageSection>
      ) : null}
      <PageSection id="surveys-owned" title={t("survey.owned")}>
        {data.ownedSurveys.length === 0 ? (
          <p className="empty">{t("survey.none")}</p>
        ) : (
          <ul className="item-list">
            {data.ownedSurveys.map((s) => (
              <li key={s.id}>
                <Link to={`/surveys/${s.id}`}>{s.title}</Link>{" "}
                <span className="badge">{t(`survey.status.${s.status}`)}</span>
                <small>
                  {" "}
                  {t("survey.respondents", {
                    count: s.respondentCount ?? 0,
                    total: s.recipientCount ?? 0,
                  })}
                </small>
              </li>
            ))}
          </ul>
        )}
      </PageSection>
    </>
  );
}

function AnswerForm({
  survey,
}: {
  survey: {
    id: string;
    status: string;
    myAnsweredAt?: string | null;
    questions: readonly {
      id: string;
      kind: string;
      text: string;
      required: boolean;
      choices: readonly string[];
    }[];
    myAnswers: readonly {
      questionId: string;
      choices?: readonly number[] | null;
      text?: string | null;
    }[];
  };
}) {
  const { t } = useI18n();
  const formId = useId();
  const questions = survey.questions.map((q) => ({ ...q, kind: q.kind as QuestionKind }));
  const [drafts, setDrafts] = useState<Record<string, AnswerDraft>>(() =>
    answerDrafts(questions, survey.myAnswers),
  );
  const [missing, setMissing] = useState<string[]>([]);
  const [answered, answer] = useMutation(AnswerSurvey);
  const open = survey.status === "OPEN";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const lacking = missingRequired(questions, drafts);
    setMissing(lacking);
    if (lacking.length > 0) return;
    void answer({ id: survey.id, answers: answersInput(questions, drafts) });
  };
  const saved = answered.data?.answerSurvey;
  return (
    <form className="card wide survey-answer" onSubmit={submit} aria-labelledby={`${formId}-t`}>
      <h2 id={`${formId}-t`}>{t("survey.answerTitle")}</h2>
      {survey.myAnsweredAt ? (
        <p className="hint">
          {t("survey.answeredAt")} <Moment value={survey.myAnsweredAt} />
          {open ? ` ${t("survey.editable")}` : ""}
        </p>
      ) : null}
      <AnswerFields
        idPrefix={formId}
        questions={questions}
        drafts={drafts}
        onChange={setDrafts}
        missing={missing}
        disabled={!open}
      />
      <div aria-live="polite">
        {saved && saved.errors.length === 0 ? <p className="done">{t("survey.saved")}</p> : null}
        <PayloadErrors errors={saved?.errors} />
        <MutationError error={answered.error} />
      </div>
      {open ? (
        <p>
          <button type="submit" className="primary" disabled={answered.fetching}>
            {survey.myAnsweredAt ? t("survey.update") : t("survey.submit")}
          </button>
        </p>
      ) : (
        <p className="hint">{t("survey.closedNote")}</p>
      )}
    </form>
  );
}

function SurveyDetail({ id, onSignedOut }: { id: string; onSignedOut: () => void }) {
  const { t } = useI18n();
  const client = useClient();
  const [result, reexecute] = useQuery({
    query: SurveyQuery,
    variables: { id },
    requestPolicy: "cache-and-network",
  });
  useLive(reexecute, !result.data?.survey?.isOwner, id);
  const [closed, close] = useMutation(CloseSurvey);
  const { data, placeholder } = usePageData(result, reexecute, onSignedOut);
  if (placeholder) return placeholder;
  const survey = data.survey;
  if (!survey) {
    return <NotFoundCard title={t("survey.notFound")} back={t("survey.back")} to="/surveys" />;
  }
  return (
    <article className="survey-detail">
      <p>
        <Link to="/surveys">{t("survey.back")}</Link>
      </p>
      <header className="page-header">
        <h1>{survey.title}</h1>
        <span className="badge">{t(`survey.status.${survey.status}`)}</span>
      </header>
      <dl className="facts">
        <dt>{t("survey.owner")}</dt>
        <dd>{survey.owner.name}</dd>
        <dt>{t("survey.period")}</dt>
        <dd>
          <Moment value={survey.opensAt} /> –{" "}
          {survey.closesAt ? <Moment value={survey.closesAt} /> : ""}
        </dd>
        <dt>{t("survey.kind")}</dt>
        <dd>{survey.anonymous ? t("survey.anonymous") : t("survey.named")}</dd>
      </dl>
      {survey.description ? (
        <section className="card wide">
          <SafeHtml html={survey.description} />
        </section>
      ) : null}
      {survey.isRecipient ? <AnswerForm key={survey.id} survey={survey} /> : null}
      {survey.isOwner ? (
        <section className="card wide results" aria-labelledby="results-title">
          <h2 id="results-title">
            {t("survey.results")}{" "}
            <span className="read-count" aria-live="polite">
              {t("survey.respondents", {
                count: survey.respondentCount ?? 0,
                total: survey.recipientCount ?? 0,
              })}
            </span>
          </h2>
          <p className="hint">{t("survey.live")}</p>
          {(survey.results ?? []).map((r, index) => (
            <section key={r.question.id} className="result" data-question={r.question.id}>
              <h3>
                {index + 1}. {r.question.text}
              </h3>
              <p className="hint">{t("survey.answerCount", { count: r.answerCount })}</p>
              {r.choiceCounts.length > 0 ? (
                <table className="result-table">
                  <caption className="visually-hidden">{r.question.text}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("survey.choice")}</th>
                      <th scope="col">{t("survey.count")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.choiceCounts.map((c) => (
                      <tr key={c.choice}>
                        <th scope="row">{c.choice}</th>
                        <td>
                          <span
                            className="bar"
                            style={{ width: `${percent(c.count, r.answerCount)}%` }}
                          />
                          {c.count}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
              {r.question.kind === "NUMBER" && r.numberCount > 0 ? (
                <p>
                  {t("survey.numberSummary", {
                    sum: r.numberSum ?? "",
                    min: r.numberMin ?? "",
                    max: r.numberMax ?? "",
                    average: r.numberAverage ?? "",
                  })}
                </p>
              ) : null}
              {r.dates.length > 0 ? (
                <ul>
                  {r.dates.map((d) => (
                    <li key={d.date}>
                      {d.date}: {d.count}
                    </li>
                  ))}
                </ul>
              ) : null}
              {r.texts.length > 0 ? (
                <ul className="texts">
                  {r.texts.map((answer, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: free-text answers have no identity
                    <li key={i}>
                      {answer.text}
                      {answer.person ? <small> {answer.person.name}</small> : null}
                    </li>
                  ))}
                </ul>
              ) : null}
            </section>
          ))}
          {survey.nonRespondents && survey.nonRespondents.length > 0 ? (
            <p>
              {t("survey.nonRespondents")}: {survey.nonRespondents.map((p) => p.name).join(", ")}
            </p>
          ) : null}
          <CsvExport
            load={async (encoding) => {
              const answer = await client
                .query(SurveyCsvQuery, { id, encoding }, { requestPolicy: "network-only" })
                .toPromise();
              return { file: answer.data?.surveyResultsCsv ?? null, failed: !!answer.error };
            }}
          />
          {survey.status !== "CLOSED" ? (
            <p>
              <button
                type="button"
                disabled={closed.fetching}
                onClick={() => void close({ id: survey.id })}
              >
                {t("survey.close")}
              </button>
            </p>
          ) : null}
          <PayloadErrors errors={closed.data?.closeSurvey.errors} />
          <MutationError error={closed.error} />
        </section>
      ) : null}
    </article>
  );
}

function SurveyForm({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const formId = useId();
  const [choices, reexecute] = useQuery({ query: AudienceChoicesQuery });
  const [created, create] = useMutation(CreateSurvey);
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [anonymous, setAnonymous] = useState(false);
  const [audience, setAudience] = useState<AudienceDraft>(EMPTY_AUDIENCE);
  const [openDate, setOpenDate] = useState("");
  const [openTime, setOpenTime] = useState("");
  const [closeDate, setCloseDate] = useState("");
  const [closeTime, setCloseTime] = useState("17:00");
  const [questions, setQuestions] = useState<QuestionDraft[]>([{ ...NEW_QUESTION }]);
  const [local, setLocal] = useState<string | null>(null);
  const { data, placeholder } = usePageData(choices, reexecute, onSignedOut);
  const newId = created.data?.createSurvey.survey?.id;
  useEffect(() => {
    if (newId) navigate(`/surveys/${newId}`);
  }, [newId, navigate]);
  if (placeholder) return placeholder;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return setLocal(t("survey.titleRequired"));
    if (audienceIsEmpty(audience)) return setLocal(t("error.NO_RECIPIENTS"));
    setLocal(null);
    void create({
      input: {
        title: title.trim(),
        description: textToHtml(description),
        anonymous,
        audience: audienceInput(audience),
        questions: questionsInput(questions),
        opensAt: localDateTime(openDate, openTime),
        closesAt: localDateTime(closeDate, closeTime),
      },
    });
  };
  return (
    <form className="card notice-form" onSubmit={submit} aria-labelledby={`${formId}-title`}>
      <p>
        <Link to="/surveys">{t("survey.back")}</Link>
      </p>
      <h1 id={`${formId}-title`}>{t("survey.new")}</h1>
      <label>
        {t("survey.formTitle")}
        <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} />
      </label>
      <label>
        {t("survey.description")}
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={4} />
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={anonymous}
          onChange={(e) => setAnonymous(e.target.checked)}
        />
        {t("survey.anonymousOption")}
      </label>
      <fieldset className="period">
        <legend>{t("survey.period")}</legend>
        <label>
          {t("notices.startDate")}
          <input type="date" value={openDate} onChange={(e) => setOpenDate(e.target.value)} />
        </label>
        <label>
          {t("notices.startTime")}
          <input type="time" value={openTime} onChange={(e) => setOpenTime(e.target.value)} />
        </label>
        <label>
          {t("notices.endDate")}
          <input type="date" value={closeDate} onChange={(e) => setCloseDate(e.target.value)} />
        </label>
        <label>
          {t("notices.endTime")}
          <input type="time" value={closeTime} onChange={(e) => setCloseTime(e.target.value)} />
        </label>
        <p className="hint">{t("survey.periodHint")}</p>
      </fieldset>
      <AudiencePicker
        value={audience}
        onChange={setAudience}
        departments={data.organizations}
        groups={data.groups}
      />
      <QuestionsEditor questions={questions} onChange={setQuestions} />
      <div aria-live="polite">
        {local ? (
          <p className="error" role="alert">
            {local}
          </p>
        ) : null}
        <PayloadErrors errors={created.data?.createSurvey.errors} />
        <MutationError error={created.error} />
      </div>
      <p>
        <button type="submit" className="primary" disabled={created.fetching}>
          {t("survey.create")}
        </button>
      </p>
    </form>
  );
}

/** アンケート: /surveys (list), /surveys/new (create), /surveys/<id> (answer, results). */
export function SurveysPage({ path, onSignedOut }: { path: string; onSignedOut: () => void }) {
  const rest = path.replace(/^\/surveys\/?/, "");
  if (rest === "") return <SurveyList onSignedOut={onSignedOut} />;
  if (rest === "new") return <SurveyForm onSignedOut={onSignedOut} />;
  return <SurveyDetail key={rest} id={decodeURIComponent(rest)} onSignedOut={onSignedOut} />;
}
