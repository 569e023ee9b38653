import { type FormEvent, useEffect, useId, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatDate, formatWareki, japanDate } from "../../ui/dates";
import { listedPeriod, parseMonthDay } from "./closedDays";
import { AdminHeader, ConfirmDelete, type FieldError, isTenantAdmin, NotAdmin } from "./common";

const AdminClosedDaysQuery = graphql(`
  query AdminClosedDays($start: Date!, $end: Date!) {
    me {
      id
      roles
    }
    annualClosedDays {
      month
      day
      name
    }
    closedDates(start: $start, end: $end) {
      date
      name
    }
  }
`);

const SetAnnualClosedDay = graphql(`
  mutation SetAnnualClosedDay($month: Int!, $day: Int!, $name: String!) {
    setAnnualClosedDay(month: $month, day: $day, name: $name) {
      annualClosedDay {
        month
        day
        name
      }
      errors {
        code
        field
      }
    }
  }
`);

const RemoveAnnualClosedDay = graphql(`
  mutation RemoveAnnualClosedDay($month: Int!, $day: Int!) {
    removeAnnualClosedDay(month: $month, day: $day) {
      errors {
        code
        field
      }
    }
  }
`);

const SetClosedDay = graphql(`
  mutation SetClosedDay($day: Date!, $name: String!) {
    setClosedDay(day: $day, name: $name) {
      closedDay {
        date
        name
      }
      errors {
        code
        field
      }
    }
  }
`);

const RemoveClosedDay = graphql(`
  mutation RemoveClosedDay($day: Date!) {
    removeClosedDay(day: $day) {
      errors {
        code
        field
      }
    }
  }
`);

/** 閉庁日 for administrators: the yearly days (年末年始 by default) and single dates. */
export function ClosedDaysAdmin({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText, language } = useI18n();
  const [period] = useState(() => listedPeriod(japanDate(new Date())));
  const [result, reexecute] = useQuery({
    query: AdminClosedDaysQuery,
    variables: { start: period.start, end: period.end },
    requestPolicy: "cache-and-network",
  });
  const [status, setStatus] = useState("");
  const [, setAnnual] = useMutation(SetAnnualClosedDay);
  const [, removeAnnual] = useMutation(RemoveAnnualClosedDay);
  const [, setDated] = useMutation(SetClosedDay);
  const [, removeDated] = useMutation(RemoveClosedDay);

  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  if (result.error && !result.data) {
    return (
      <p className="error" role="alert">
        {errorText(errorCode(result.error))}
      </p>
    );
  }
  if (!me || !result.data) return <p aria-busy="true">{t("app.loading")}</p>;
  if (!isTenantAdmin(me.roles)) return <NotAdmin />;

  const annual = result.data.annualClosedDays;
  const dated = result.data.closedDates;
  const monthDay = (month: number, day: number) => t("admin.closedDays.monthDay", { month, day });

  // Every change re-reads the lists: the yearly days repeat in every listed year.
  const done = (answer: {
    error?: Parameters<typeof errorCode>[0];
    data?: { errors: readonly FieldError[] } | null;
  }): FieldError[] => {
    if (answer.error) {
      const errors = [{ code: errorCode(answer.error) }];
      setStatus(errorText(errors[0]?.code));
      return errors;
    }
    const errors = [...(answer.data?.errors ?? [])];
    if (errors.length === 0) {
      setStatus(t("admin.saved"));
      reexecute({ requestPolicy: "network-only" });
    }
    return errors;
  };

  return (
    <div className="admin-screen">
      <AdminHeader id="admin-closed-days-title" title={t("admin.closedDays.title")} />
      <p role="status" className="admin-status">
        {status}
      </p>
      <section className="card" aria-labelledby="annual-title">
        <h2 id="annual-title">{t("admin.closedDays.annual")}</h2>
        {annual.length === 0 ? (
          <p className="empty">{t("admin.closedDays.annualNone")}</p>
        ) : (
          <ul className="admin-list">
            {annual.map((a) => (
              <li key={`${a.month}-${a.day}`}>
                <div className="admin-item">
                  <strong>{monthDay(a.month, a.day)}</strong>
                  <span>{a.name}</span>
                </div>
                <ConfirmDelete
                  label={t("admin.closedDays.remove", {
                    name: a.name,
                    when: monthDay(a.month, a.day),
                  })}
                  name={`${monthDay(a.month, a.day)} ${a.name}`}
                  onConfirm={async () => {
                    const answer = await removeAnnual({ month: a.month, day: a.day });
                    done({ error: answer.error, data: answer.data?.removeAnnualClosedDay });
                  }}
                />
              </li>
            ))}
          </ul>
        )}
        <AnnualForm
          onSubmit={async (month, day, name) => {
            const answer = await setAnnual({ month, day, name });
            return done({ error: answer.error, data: answer.data?.setAnnualClosedDay });
          }}
        />
      </section>
      <section className="card" aria-labelledby="dated-title">
        <h2 id="dated-title">{t("admin.closedDays.dated")}</h2>
        <p className="hint">
          {t("admin.closedDays.period", {
            from: formatDate(period.start, language),
            to: formatDate(period.last, language),
          })}
        </p>
        {dated.length === 0 ? (
          <p className="empty">{t("admin.closedDays.datedNone")}</p>
        ) : (
          <ul className="admin-list">
            {dated.map((h) => (
              <li key={h.date}>
                <div className="admin-item">
                  <strong>{formatDate(h.date, language)}</strong>
                  <span>{h.name}</span>
                </div>
                <ConfirmDelete
                  label={t("admin.closedDays.remove", {
                    name: h.name,
                    when: formatDate(h.date, language),
                  })}
                  name={`${formatDate(h.date, language)} ${h.name}`}
                  onConfirm={async () => {
                    const answer = await removeDated({ day: h.date });
                    done({ error: answer.error, data: answer.data?.removeClosedDay });
                  }}
                />
              </li>
            ))}
          </ul>
        )}
        <DatedForm
          onSubmit={async (day, name) => {
            const answer = await setDated({ day, name });
            return done({ error: answer.error, data: answer.data?.setClosedDay });
          }}
        />
      </section>
    </div>
  );
}

function AnnualForm({
  onSubmit,
}: {
  onSubmit: (month: number, day: number, name: string) => Promise<FieldError[]>;
}) {
  const { t, errorText } = useI18n();
  const id = useId();
  const [month, setMonth] = useState("");
  const [day, setDay] = useState("");
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<FieldError[]>([]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseMonthDay(month, day);
    if (!parsed) {
      setErrors([{ code: "INVALID", field: "day" }]);
      return;
    }
    if (!name.trim()) {
      setErrors([{ code: "REQUIRED", field: "name" }]);
      return;
    }
    const found = await onSubmit(parsed.month, parsed.day, name.trim());
    setErrors(found);
    if (found.length === 0) {
      setMonth("");
      setDay("");
      setName("");
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="visually-hidden">
        {t("admin.closedDays.addAnnual")}
      </h3>
      <div>
        <label htmlFor={`${id}-month`}>{t("admin.closedDays.month")}</label>
        <input
          id={`${id}-month`}
          inputMode="numeric"
          size={3}
          value={month}
          onChange={(event) => setMonth(event.target.value)}
        />
      </div>
      <div>
        <label htmlFor={`${id}-day`}>{t("admin.closedDays.day")}</label>
        <input
          id={`${id}-day`}
          inputMode="numeric"
          size={3}
          value={day}
          onChange={(event) => setDay(event.target.value)}
        />
      </div>
      <div>
        <label htmlFor={`${id}-name`}>{t("admin.closedDays.name")}</label>
        <input
          id={`${id}-name`}
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
      </div>
      <button type="submit">{t("admin.closedDays.addAnnual")}</button>
      {errors.length > 0 ? (
        <p className="error" role="alert">
          {errors.map((e) => errorText(e.code)).join(" ")}
        </p>
      ) : null}
    </form>
  );
}

function DatedForm({
  onSubmit,
}: {
  onSubmit: (day: string, name: string) => Promise<FieldError[]>;
}) {
  const { t, errorText, language } = useI18n();
  const id = useId();
  const [day, setDay] = useState("");
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<FieldError[]>([]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      setErrors([{ code: "REQUIRED", field: "day" }]);
      return;
    }
    if (!name.trim()) {
      setErrors([{ code: "REQUIRED", field: "name" }]);
      return;
    }
    const found = await onSubmit(day, name.trim());
    setErrors(found);
    if (found.length === 0) {
      setDay("");
      setName("");
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="visually-hidden">
        {t("admin.closedDays.addDated")}
      </h3>
      <div>
        <label htmlFor={`${id}-date`}>{t("admin.closedDays.date")}</label>
        <input
          id={`${id}-date`}
          type="date"
          value={day}
          aria-describedby={`${id}-wareki`}
          onChange={(event) => setDay(event.target.value)}
        />
        <span id={`${id}-wareki`} className="hint">
          {/^\d{4}-\d{2}-\d{2}$/.test(day) ? formatWareki(day, language) : ""}
        </span>
      </div>
      <div>
        <label htmlFor={`${id}-name`}>{t("admin.closedDays.name")}</label>
        <input
          id={`${id}-name`}
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
      </div>
      <button type="submit">{t("admin.closedDays.addDated")}</button>
      {errors.length > 0 ? (
        <p className="error" role="alert">
          {errors.map((e) => errorText(e.code)).join(" ")}
        </p>
      ) : null}
    </form>
  );
}
