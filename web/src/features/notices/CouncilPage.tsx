import { type FormEvent, useEffect, useId, useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import { Link, useRouter } from "../../app/router";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { COUNCIL_PURPOSES, type CouncilPurpose } from "../../ui/councilPurposes";
import {
  ListHeader,
  Moment,
  MutationError,
  NotFoundCard,
  PageSection,
  PayloadErrors,
  usePageData,
  useRequeryOnEvents,
} from "./common";
import {
  type AnswerDraft,
  answerDrafts,
  answersInput,
  answerText,
  localDateTime,
  mayMessageCouncil,
  missingRequired,
  type QuestionDraft,
  type QuestionKind,
  questionsInput,
  textToHtml,
} from "./logic";
import { AnswerFields, CsvExport, NEW_QUESTION, QuestionsEditor } from "./Questions";
import { SafeHtml } from "./SafeHtml";

// 協議会: requests my side sent (every town's response) and those my town received that I
// handle (my town's response only), in one request.
const CouncilListQuery = graphql(`
  query CouncilList {
    me {
      id
      roles
    }
    councilRequests(first: 100) {
      id
      kind
      title
      status
      closesAt
      createdAt
      isSender
      senderMunicipalityName
      respondedCount
      deliveries {
        id
      }
      myDelivery {
        id
        respondedAt
      }
    }
  }
`);

const CouncilDetailQuery = graphql(`
  query CouncilDetail($id: ID!) {
    me {
      id
    }
    councilRequest(id: $id) {
      id
      kind
      purpose
      title
      body
      status
      closesAt
      createdAt
      completedAt
      version
      senderMunicipalityName
      isSender
      sender {
        id
        name
      }
      questions {
        id
        kind
        text
        required
        choices
      }
      myDelivery {
        id
        municipalityName
        respondedAt
        respondedByName
        comment
        answers {
          questionId
          choices
          text
        }
      }
      deliveries {
        id
        municipalityCode
        municipalityName
        respondedAt
        respondedByName
        comment
        answers {
          questionId
          choices
          text
        }
      }
      respondedCount
    }
  }
`);

export const CouncilEvents = graphql(`
  subscription CouncilEvents {
    councilRequestEvents {
      kind
      version
      request {
        id
        version
      }
    }
  }
`);

const SendCouncilRequest = graphql(`
  mutation SendCouncilRequest($input: SendCouncilRequestInput!) {
    sendCouncilRequest(input: $input) {
      request {
        id
      }
      errors {
        code
        field
      }
    }
  }
`);

const RespondToCouncilRequest = graphql(`
  mutation RespondToCouncilRequest($id: ID!, $comment: String, $answers: [SurveyAnswerInput!]) {
    respondToCouncilRequest(id: $id, comment: $comment, answers: $answers) {
      request {
        id
        version
        myDelivery {
          id
          respondedAt
          respondedByName
          comment
          answers {
            questionId
            choices
            text
          }
        }
      }
      errors {
        code
        field
      }
    }
  }
`);

const CompleteCouncilRequest = graphql(`
  mutation CompleteCouncilRequest($id: ID!) {
    completeCouncilRequest(id: $id) {
      request {
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

const CouncilCsvQuery = graphql(`
  query CouncilResultsCsv($id: ID!, $encoding: CsvEncoding!) {
    councilResultsCsv(id: $id, encoding: $encoding) {
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
  useRequeryOnEvents(
    CouncilEvents,
    (event) => event.councilRequestEvents.request.id,
    reexecute,
    pause,
    id,
  );
}

function CouncilList({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({
    query: CouncilListQuery,
    requestPolicy: "cache-and-network",
  });
  useLive(reexecute, !result.data?.me);
  const { data, placeholder } = usePageData(result, reexecute, onSignedOut);
  if (placeholder) return placeholder;
  const sent = data.councilRequests.filter((r) => r.isSender);
  const received = data.councilRequests.filter((r) => r.myDelivery);
  const kindAndStatus = (r: (typeof data.councilRequests)[number]) => (
    <>
      <span className="badge">{t(`council.kind.${r.kind}`)}</span>{" "}
      {r.status === "COMPLETED" ? (
        <span className="badge">{t("council.status.COMPLETED")}</span>
      ) : null}
    </>
  );
  return (
    <>
      <ListHeader
        title={t("council.title")}
        newItem={
          mayMessageCouncil(data.me?.roles)
            ? { to: "/council/new", label: t("council.new") }
            : undefined
        }
      />
      <p className="hint">{t("council.intro")}</p>
      <PageSection id="council-received" title={t("council.received")}>
        {received.length === 0 ? (
          <p className="empty">{t("council.none")}</p>
        ) : (
          <ul className="item-list">
            {received.map((r) => (
              <li key={r.id} data-council={r.id}>
                {kindAndStatus(r)}
                <Link to={`/council/${r.id}`}>{r.title}</Link>{" "}
                {r.myDelivery?.respondedAt ? (
                  <span className="badge">{t("council.responded")}</span>
                ) : (
                  <span className="badge unread">{t("council.notResponded")}</span>
                )}
                <small>
                  {" "}
                  {r.senderMunicipalityName} {t("survey.closesAt")} <Moment value={r.closesAt} />
                </small>
              </li>
            ))}
          </ul>
        )}
      </PageSection>
      {sent.length > 0 ? (
        <PageSection id="council-sent" title={t("council.sent")}>
          <ul className="item-list">
            {sent.map((r) => (
              <li key={r.id} data-council={r.id}>
                {kindAndStatus(r)}
                <Link to={`/council/${r.id}`}>{r.title}</Link>
                <small>
                  {" "}
                  {t("council.respondedOf", {
                    count: r.respondedCount ?? 0,
                    total: r.deliveries?.length ?? 0,
                  })}{" "}
                  <Moment value={r.createdAt} />
                </small>
              </li>
            ))}
          </ul>
        </PageSection>
      ) : null}
    </>
  );
}

type Detail = NonNullable<NonNullable<ReturnType<typeof useDetail>[0]["data"]>["councilRequest"]>;

function useDetail(id: string) {
  return useQuery({
    query: CouncilDetailQuery,
    variables: { id },
    requestPolicy: "cache-and-network",
  });
}

/** A receiving town's response: answers of a survey and a comment, or a confirmation. */
function RespondForm({ request }: { request: Detail }) {
  const { t } = useI18n();
  const formId = useId();
  const mine = request.myDelivery;
  const questions = request.questions.map((q) => ({ ...q, kind: q.kind as QuestionKind }));
  const [drafts, setDrafts] = useState<Record<string, AnswerDraft>>(() =>
    answerDrafts(questions, mine?.answers ?? []),
  );
  const [comment, setComment] = useState(mine?.comment ?? "");
  const [missing, setMissing] = useState<string[]>([]);
  const [responded, respond] = useMutation(RespondToCouncilRequest);
  const open =
    request.status === "OPEN" && (!request.closesAt || new Date(request.closesAt) > new Date());
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const lacking = missingRequired(questions, drafts);
    setMissing(lacking);
    if (lacking.length > 0) return;
    void respond({
      id: request.id,
      comment: comment.trim() || null,
      answers: request.kind === "SURVEY" ? answersInput(questions, drafts) : null,
    });
  };
  const saved = responded.data?.respondToCouncilRequest;
  return (
    <form className="card wide survey-answer" onSubmit={submit} aria-labelledby={`${formId}-t`}>
      <h2 id={`${formId}-t`}>
        {t("council.respondTitle", { name: mine?.municipalityName ?? "" })}
      </h2>
      {mine?.respondedAt ? (
        <p className="hint">
          {t("council.respondedBy", { name: mine.respondedByName ?? "" })}{" "}
          <Moment value={mine.respondedAt} />
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
      <label>
        {t("council.comment")}
        <textarea
          value={comment}
          rows={3}
          maxLength={2000}
          disabled={!open}
          onChange={(e) => setComment(e.target.value)}
        />
      </label>
      <div aria-live="polite">
        {saved && saved.errors.length === 0 ? <p className="done">{t("council.saved")}</p> : null}
        <PayloadErrors errors={saved?.errors} />
        <MutationError error={responded.error} />
      </div>
      {open ? (
        <p>
          <button type="submit" className="primary" disabled={responded.fetching}>
            {mine?.respondedAt
              ? t("council.update")
              : request.kind === "SURVEY"
                ? t("council.submit")
                : t("council.confirm")}
          </button>
        </p>
      ) : (
        <p className="hint">{t("council.closedNote")}</p>
      )}
    </form>
  );
}

/** The sender's side: every town's response in one table, CSV, completion. */
function Responses({ request }: { request: Detail }) {
  const { t } = useI18n();
  const client = useClient();
  const [completed, complete] = useMutation(CompleteCouncilRequest);
  const deliveries = request.deliveries ?? [];
  const questions = request.questions.map((q) => ({ ...q, kind: q.kind as QuestionKind }));
  return (
    <section className="card wide" aria-labelledby="council-responses">
      <h2 id="council-responses">
        {t("council.responses")}{" "}
        <small>
          {t("council.respondedOf", {
            count: request.respondedCount ?? 0,
            total: deliveries.length,
          })}
        </small>
      </h2>
      <div className="table-scroll">
        <table className="notice-list council-responses">
          <caption className="visually-hidden">{t("council.responses")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("council.municipality")}</th>
              <th scope="col">{t("council.respondedAtColumn")}</th>
              {questions.map((q, i) => (
                <th scope="col" key={q.id}>{`Q${i + 1} ${q.text}`}</th>
              ))}
              <th scope="col">{t("council.comment")}</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id} data-municipality={d.municipalityCode}>
                <th scope="row">{d.municipalityName}</th>
                <td>
                  {d.respondedAt ? (
                    <>
                      <Moment value={d.respondedAt} /> {d.respondedByName}
                    </>
                  ) : (
                    <span className="badge unread">{t("council.notResponded")}</span>
                  )}
                </td>
                {questions.map((q) => (
                  <td key={q.id}>
                    {answerText(
                      q,
                      d.answers.find((a) => a.questionId === q.id),
                    )}
                  </td>
                ))}
                <td>{d.comment}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <CsvExport
        load={async (encoding) => {
          const answer = await client
            .query(CouncilCsvQuery, { id: request.id, encoding }, { requestPolicy: "network-only" })
            .toPromise();
          return { file: answer.data?.councilResultsCsv ?? null, failed: !!answer.error };
        }}
      />
      {request.status === "OPEN" ? (
        <p>
          <button
            type="button"
            disabled={completed.fetching}
            onClick={() => void complete({ id: request.id })}
          >
            {t("council.complete")}
          </button>
        </p>
      ) : null}
      <div aria-live="polite">
        <PayloadErrors errors={completed.data?.completeCouncilRequest.errors} />
        <MutationError error={completed.error} />
      </div>
    </section>
  );
}

function CouncilDetail({ id, onSignedOut }: { id: string; onSignedOut: () => void }) {
  const { t } = useI18n();
  const [result, reexecute] = useDetail(id);
  useLive(reexecute, !result.data?.me, id);
  const { data, placeholder } = usePageData(result, reexecute, onSignedOut);
  if (placeholder) return placeholder;
  const request = data.councilRequest;
  if (!request) {
    return <NotFoundCard title={t("council.notFound")} back={t("council.back")} to="/council" />;
  }
  return (
    <article className="notice-detail" aria-labelledby="council-detail-title">
      <p>
        <Link to="/council">{t("council.back")}</Link>
      </p>
      <header className="card wide">
        <h1 id="council-detail-title">{request.title}</h1>
        <p>
          <span className="badge">{t(`council.kind.${request.kind}`)}</span>{" "}
          <span className="badge">{t(`council.status.${request.status}`)}</span>{" "}
          {t(`council.purpose.${request.purpose}`)}
        </p>
        <dl className="facts">
          <dt>{t("council.from")}</dt>
          <dd>
            {request.senderMunicipalityName}
            {request.sender ? ` ${request.sender.name}` : ""}
          </dd>
          <dt>{t("survey.closesAt")}</dt>
          <dd>
            <Moment value={request.closesAt} />
          </dd>
        </dl>
        <SafeHtml html={request.body} />
      </header>
      {request.myDelivery ? <RespondForm request={request} /> : null}
      {request.isSender ? <Responses request={request} /> : null}
    </article>
  );
}

/** A new council survey or circulation, to one purpose's contacts in every member town. */
function CouncilForm({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const formId = useId();
  const [me, reexecute] = useQuery({ query: CouncilListQuery, requestPolicy: "cache-first" });
  const [sent, send] = useMutation(SendCouncilRequest);
  const [kind, setKind] = useState<"SURVEY" | "CIRCULATION">("SURVEY");
  const [purpose, setPurpose] = useState<CouncilPurpose>("INFORMATION_SYSTEMS");
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [closeDate, setCloseDate] = useState("");
  const [closeTime, setCloseTime] = useState("17:00");
  const [questions, setQuestions] = useState<QuestionDraft[]>([{ ...NEW_QUESTION }]);
  const [local, setLocal] = useState<string | null>(null);
  const { data, placeholder } = usePageData(me, reexecute, onSignedOut);
  const newId = sent.data?.sendCouncilRequest.request?.id;
  useEffect(() => {
    if (newId) navigate(`/council/${newId}`);
  }, [newId, navigate]);
  if (placeholder) return placeholder;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return setLocal(t("survey.titleRequired"));
    setLocal(null);
    void send({
      input: {
        kind,
        purpose,
        title: title.trim(),
        body: textToHtml(body),
        questions: kind === "SURVEY" ? questionsInput(questions) : [],
        closesAt: localDateTime(closeDate, closeTime),
      },
    });
  };
  return (
    <form className="card notice-form" onSubmit={submit} aria-labelledby={`${formId}-title`}>
      <p>
        <Link to="/council">{t("council.back")}</Link>
      </p>
      <h1 id={`${formId}-title`}>{t("council.new")}</h1>
      {mayMessageCouncil(data.me?.roles) ? null : (
        <p className="error" role="alert">
          {t("error.NOT_COUNCIL_SENDER")}
        </p>
      )}
      <fieldset>
        <legend>{t("council.kindLegend")}</legend>
        {(["SURVEY", "CIRCULATION"] as const).map((k) => (
          <label key={k} className="check">
            <input
              type="radio"
              name={`${formId}-kind`}
              checked={kind === k}
              onChange={() => setKind(k)}
            />
            {t(`council.kind.${k}`)}
          </label>
        ))}
      </fieldset>
      <label>
        {t("council.purposeLabel")}
        <select value={purpose} onChange={(e) => setPurpose(e.target.value as CouncilPurpose)}>
          {COUNCIL_PURPOSES.map((p) => (
            <option key={p} value={p}>
              {t(`council.purpose.${p}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("survey.formTitle")}
        <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} />
      </label>
      <label>
        {t("council.body")}
        <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={4} />
      </label>
      <fieldset className="period">
        <legend>{t("council.closes")}</legend>
        <label>
          {t("notices.endDate")}
          <input type="date" value={closeDate} onChange={(e) => setCloseDate(e.target.value)} />
        </label>
        <label>
          {t("notices.endTime")}
          <input type="time" value={closeTime} onChange={(e) => setCloseTime(e.target.value)} />
        </label>
      </fieldset>
      {kind === "SURVEY" ? <QuestionsEditor questions={questions} onChange={setQuestions} /> : null}
      <div aria-live="polite">
        {local ? (
          <p className="error" role="alert">
            {local}
          </p>
        ) : null}
        <PayloadErrors errors={sent.data?.sendCouncilRequest.errors} />
        <MutationError error={sent.error} />
      </div>
      <p>
        <button type="submit" className="primary" disabled={sent.fetching}>
          {t("council.send")}
        </button>
      </p>
    </form>
  );
}

/** 協議会: /council (list), /council/new (send), /council/<id> (respond, or every response). */
export function CouncilPage({ path, onSignedOut }: { path: string; onSignedOut: () => void }) {
  const rest = path.replace(/^\/council\/?/, "");
  if (rest === "") return <CouncilList onSignedOut={onSignedOut} />;
  if (rest === "new") return <CouncilForm onSignedOut={onSignedOut} />;
  return <CouncilDetail key={rest} id={decodeURIComponent(rest)} onSignedOut={onSignedOut} />;
}
