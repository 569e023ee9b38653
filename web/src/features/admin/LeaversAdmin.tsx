import { type FormEvent, useEffect, useId, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import type { MessageKey } from "../../i18n/messages";
import { formatDate } from "../../ui/dates";
import { PeoplePicker, type Picked } from "../../ui/PeoplePicker";
import "./admin.css";
import "./leavers.css";
import { AdminHeader, FormErrors, isTenantAdmin, NotAdmin } from "./common";

const LeaverFields = graphql(`
  fragment LeaverFields on Leaver {
    personId
    loginId
    name
    leftAt
    purgeDueAt
    purgedAt
    mailbox
    successorName
    removed {
      kind
      count
    }
    kept {
      kind
      reason
    }
  }
`);

const LeaversQuery = graphql(`
  query AdminLeavers {
    me {
      id
      roles
    }
    leaverReport {
      retentionDays
      retentionIsDefault
      leavers {
        ...LeaverFields
      }
    }
  }
`);

const DecideMailbox = graphql(`
  mutation DecideLeaverMailbox($personId: ID!, $mailbox: LeaverMailbox!, $successorId: ID) {
    decideLeaverMailbox(personId: $personId, mailbox: $mailbox, successorId: $successorId) {
      leaver {
        ...LeaverFields
      }
      errors {
        code
        field
      }
    }
  }
`);

const SetRetention = graphql(`
  mutation SetLeaverRetention($days: Int) {
    setLeaverRetention(days: $days) {
      report {
        retentionDays
        retentionIsDefault
      }
      errors {
        code
        field
      }
    }
  }
`);

/** 退職者: people who left, when their personal data goes (or went), what was removed and
 * what is kept and why; their personal mailbox handed over to a colleague or archived; how
 * long the municipality keeps a leaver's personal data. */
export function LeaversAdmin({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText } = useI18n();
  const [result, refetch] = useQuery({ query: LeaversQuery, requestPolicy: "cache-and-network" });
  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);

  if (result.error && !result.data) {
    const code = errorCode(result.error);
    if (code === "FORBIDDEN") return <NotAdmin />;
    return (
      <p className="error" role="alert">
        {errorText(code)}
      </p>
    );
  }
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;
  if (!isTenantAdmin(me.roles)) return <NotAdmin />;
  const report = result.data?.leaverReport;
  if (!report) return <p aria-busy="true">{t("app.loading")}</p>;
  const leavers = report.leavers;

  return (
    <section className="admin-screen" aria-labelledby="leavers-title">
      <AdminHeader title={t("admin.leavers.title")} id="leavers-title" />
      <p>{t("admin.leavers.intro")}</p>
      <Retention
        days={report.retentionDays}
        isDefault={report.retentionIsDefault}
        onSaved={() => refetch({ requestPolicy: "network-only" })}
      />
      <section className="card" aria-labelledby="leavers-list">
        <h2 id="leavers-list">{t("admin.leavers.list", { count: leavers.length })}</h2>
        {leavers.length === 0 ? <p>{t("admin.leavers.none")}</p> : null}
        <ul className="leaver-list">
          {leavers.map((data) => (
            <LeaverItem key={readFragment(LeaverFields, data).personId} data={data} />
          ))}
        </ul>
      </section>
    </section>
  );
}

function Retention({
  days,
  isDefault,
  onSaved,
}: {
  days: number;
  isDefault: boolean;
  onSaved: () => void;
}) {
  const { t, errorText } = useI18n();
  const id = useId();
  const [typed, setTyped] = useState(String(days));
  const [state, save] = useMutation(SetRetention);
  const [status, setStatus] = useState("");
  const errors = state.data?.setLeaverRetention.errors;
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setStatus("");
    const answer = await save({ days: typed.trim() === "" ? null : Number(typed) });
    if (answer.error) setStatus(errorText(errorCode(answer.error)));
    else if (!answer.data?.setLeaverRetention.errors.length) {
      setStatus(t("admin.saved"));
      onSaved();
    }
  };
  return (
    <form className="card inline-form" onSubmit={onSubmit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t("admin.leavers.retention")}</h2>
      <div>
        <label htmlFor={id}>{t("admin.leavers.retentionDays")}</label>
        <input
          id={id}
          type="number"
          min={0}
          max={3650}
          inputMode="numeric"
          value={typed}
          aria-describedby={`${id}-hint`}
          onChange={(event) => setTyped(event.target.value)}
        />
      </div>
      <button type="submit" disabled={state.fetching}>
        {t("admin.save")}
      </button>
      <p id={`${id}-hint`} className="hint">
        {isDefault ? t("admin.leavers.retentionDefault") : t("admin.leavers.retentionOwn")}
      </p>
      <FormErrors errors={errors} fields={[]} />
      <p role="status" className="hint">
        {status}
      </p>
    </form>
  );
}

function LeaverItem({ data }: { data: FragmentType<typeof LeaverFields> }) {
  const { t, errorText } = useI18n();
  const leaver = readFragment(LeaverFields, data);
  const id = useId();
  const [choice, setChoice] = useState<"HANDOVER" | "ARCHIVE">("HANDOVER");
  const [successor, setSuccessor] = useState<Picked[]>([]);
  const [state, decide] = useMutation(DecideMailbox);
  const [status, setStatus] = useState("");
  const errors = state.data?.decideLeaverMailbox.errors;
  const onDecide = async (event: FormEvent) => {
    event.preventDefault();
    setStatus("");
    const answer = await decide({
      personId: leaver.personId,
      mailbox: choice,
      successorId: choice === "HANDOVER" ? (successor[0]?.id ?? null) : null,
    });
    if (answer.error) setStatus(errorText(errorCode(answer.error)));
    else if (!answer.data?.decideLeaverMailbox.errors.length) setStatus(t("admin.saved"));
  };
  const mailboxText =
    leaver.mailbox === "HANDOVER"
      ? t("admin.leavers.mailbox.HANDOVER", { name: leaver.successorName ?? "" })
      : t(`admin.leavers.mailbox.${leaver.mailbox}` as MessageKey);
  const removed = leaver.removed.filter((item) => item.count > 0);
  return (
    <li>
      <div className="admin-item">
        <strong>{t("admin.leavers.name", { name: leaver.name })}</strong>
        <span className="tag">{leaver.loginId}</span>
        <span>{t("admin.leavers.left", { date: formatDate(leaver.leftAt) })}</span>
        <span>
          {leaver.purgedAt
            ? t("admin.leavers.purged", { date: formatDate(leaver.purgedAt) })
            : t("admin.leavers.due", { date: formatDate(leaver.purgeDueAt) })}
        </span>
        <span>{mailboxText}</span>
      </div>
      <details>
        <summary>{t("admin.leavers.details")}</summary>
        <h3>{t("admin.leavers.removed")}</h3>
        {removed.length ? (
          <ul>
            {removed.map((item) => (
              <li key={item.kind}>
                {t(`admin.leavers.kind.${item.kind}` as MessageKey)}: {item.count}
              </li>
            ))}
          </ul>
        ) : (
          <p>{t("admin.leavers.nothingRemoved")}</p>
        )}
        <h3>{t("admin.leavers.kept")}</h3>
        <ul>
          {leaver.kept.map((item) => (
            <li key={item.kind}>{item.reason}</li>
          ))}
        </ul>
      </details>
      {leaver.purgedAt && leaver.mailbox === "ARCHIVE" ? null : (
        <form className="stacked" onSubmit={onDecide} aria-labelledby={`${id}-legend`}>
          <fieldset>
            <legend id={`${id}-legend`}>{t("admin.leavers.decide", { name: leaver.name })}</legend>
            <div className="check">
              <input
                id={`${id}-handover`}
                type="radio"
                name={`${id}-choice`}
                checked={choice === "HANDOVER"}
                onChange={() => setChoice("HANDOVER")}
              />
              <label htmlFor={`${id}-handover`}>{t("admin.leavers.handover")}</label>
            </div>
            <div className="check">
              <input
                id={`${id}-archive`}
                type="radio"
                name={`${id}-choice`}
                checked={choice === "ARCHIVE"}
                onChange={() => setChoice("ARCHIVE")}
              />
              <label htmlFor={`${id}-archive`}>{t("admin.leavers.archive")}</label>
            </div>
          </fieldset>
          {choice === "HANDOVER" ? (
            <PeoplePicker
              picked={successor}
              onChange={(people) => setSuccessor(people.slice(-1))}
              label={t("admin.leavers.successorSearch", { name: leaver.name })}
              pickedLabel={t("admin.leavers.successor")}
            />
          ) : null}
          <FormErrors errors={errors} fields={[]} />
          <div>
            <button type="submit" disabled={state.fetching}>
              {t("admin.leavers.decideSubmit")}
            </button>{" "}
            <span role="status" className="hint">
              {status}
            </span>
          </div>
        </form>
      )}
    </li>
  );
}
