import { type FormEvent, type RefObject, useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import type { MessageKey } from "../../i18n/messages";
import {
  AdminHeader,
  ConfirmDelete,
  type FieldError,
  FormErrors,
  isTenantAdmin,
  NotAdmin,
  useFieldError,
} from "./common";
import {
  emptyFacilityForm,
  type FacilityForm,
  facilityToForm,
  formToInput,
  type NUMBER_FIELDS,
} from "./facilityForm";
import { byOrder } from "./order";

const AdminFacilitiesQuery = graphql(`
  query AdminFacilities {
    me {
      id
      roles
    }
    organizations {
      id
      name
      depth
    }
    facilityGroups {
      id
      name
      sortOrder
      facilities(includeInactive: true) {
        id
        name
        capacity
        notes
        owningDepartmentId
        poolSize
        sortOrder
        isActive
        openTime
        closeTime
        bookableWeekdays
        maxDaysAhead
        minMinutes
        maxMinutes
        allowedDepartmentIds
        needsApproval
      }
    }
  }
`);

const SaveFacilityGroup = graphql(`
  mutation SaveFacilityGroup($input: SaveFacilityGroupInput!) {
    saveFacilityGroup(input: $input) {
      group {
        id
        name
        sortOrder
      }
      errors {
        code
        field
      }
    }
  }
`);

const DeleteFacilityGroup = graphql(`
  mutation DeleteFacilityGroup($id: ID!) {
    deleteFacilityGroup(id: $id) {
      deletedId
      errors {
        code
        field
      }
    }
  }
`);

const SaveFacility = graphql(`
  mutation SaveFacility($input: SaveFacilityInput!) {
    saveFacility(input: $input) {
      facility {
        id
        name
        isActive
      }
      errors {
        code
        field
      }
    }
  }
`);

const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6] as const;
const FACILITY_FIELDS = [
  "groupId",
  "name",
  "capacity",
  "poolSize",
  "notes",
  "owningDepartmentId",
  "openTime",
  "closeTime",
  "bookableWeekdays",
  "maxDaysAhead",
  "minMinutes",
  "maxMinutes",
  "sortOrder",
] as const;

/** 施設 for administrators: groups, and facilities with their booking rules. */
export function FacilitiesAdmin({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText } = useI18n();
  const [result, reexecute] = useQuery({
    query: AdminFacilitiesQuery,
    requestPolicy: "cache-and-network",
  });
  const [status, setStatus] = useState("");
  const [form, setForm] = useState<FacilityForm | null>(null);
  const [group, setGroup] = useState<{ id: string | null; name: string; sortOrder: string }>({
    id: null,
    name: "",
    sortOrder: "0",
  });
  const formHeading = useRef<HTMLHeadingElement>(null);
  const groupHeading = useRef<HTMLHeadingElement>(null);
  const [, deleteGroup] = useMutation(DeleteFacilityGroup);

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

  const groups = byOrder(result.data.facilityGroups);
  const departments = result.data.organizations;
  const departmentName = new Map(departments.map((d) => [d.id, d.name]));
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const firstGroup = groups[0]?.id ?? "";

  return (
    <div className="admin-screen">
      <AdminHeader id="admin-facilities-title" title={t("admin.facilities.title")} />
      <p role="status" className="admin-status">
        {status}
      </p>
      {groups.length === 0 ? <p className="empty">{t("admin.facilities.noGroups")}</p> : null}
      {groups.map((g) => (
        <section className="card" key={g.id} aria-labelledby={`group-${g.id}`}>
          <h2 id={`group-${g.id}`}>{g.name}</h2>
          <div className="admin-actions">
            <button
              type="button"
              onClick={() => {
                setForm(emptyFacilityForm(g.id));
                formHeading.current?.focus();
              }}
            >
              {t("admin.facilities.addFacility")}
              <span className="visually-hidden"> {g.name}</span>
            </button>
            <button
              type="button"
              onClick={() => {
                setGroup({ id: g.id, name: g.name, sortOrder: String(g.sortOrder) });
                groupHeading.current?.focus();
              }}
            >
              {t("admin.facilities.editGroup")}
              <span className="visually-hidden"> {g.name}</span>
            </button>
            {g.facilities.length === 0 ? (
              <ConfirmDelete
                label={t("admin.delete")}
                name={g.name}
                onConfirm={async () => {
                  const answer = await deleteGroup({ id: g.id });
                  const payload = answer.data?.deleteFacilityGroup;
                  if (answer.error || !payload || payload.errors.length > 0) {
                    setStatus(
                      errorText(answer.error ? errorCode(answer.error) : payload?.errors[0]?.code),
                    );
                  } else {
                    setStatus(`${t("admin.deleted")} ${g.name}`);
                  }
                  refresh();
                }}
              />
            ) : null}
          </div>
          {g.facilities.length === 0 ? (
            <p className="empty">{t("admin.facilities.none")}</p>
          ) : (
            <ul className="admin-list">
              {byOrder(g.facilities).map((f) => (
                <li key={f.id}>
                  <div className="admin-item">
                    <strong>{f.name}</strong>
                    {f.isActive ? null : (
                      <span className="tag">{t("admin.facilities.inactive")}</span>
                    )}
                    {f.needsApproval ? (
                      <span className="tag">{t("admin.facilities.approval")}</span>
                    ) : null}
                    <span className="rules">
                      {f.openTime && f.closeTime
                        ? t("admin.facilities.hours", {
                            open: f.openTime.slice(0, 5),
                            close: f.closeTime.slice(0, 5),
                          })
                        : t("admin.facilities.anyTime")}
                      {f.bookableWeekdays.length > 0
                        ? ` ${f.bookableWeekdays
                            .map((d) => t(`admin.weekday.${d}` as MessageKey))
                            .join("")}`
                        : ""}
                      {f.capacity > 0 ? ` ${t("admin.facilities.capacity")} ${f.capacity}` : ""}
                      {f.poolSize > 1 ? ` ${t("admin.facilities.poolSize")} ${f.poolSize}` : ""}
                      {f.owningDepartmentId
                        ? ` ${departmentName.get(f.owningDepartmentId) ?? ""}`
                        : ""}
                    </span>
                  </div>
                  <button
                    type="button"
                    onClick={() => {
                      setForm(facilityToForm(g.id, f));
                      formHeading.current?.focus();
                    }}
                  >
                    {t("admin.edit")}
                    <span className="visually-hidden"> {f.name}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
      <FacilityEditor
        form={form ?? emptyFacilityForm(firstGroup)}
        setForm={setForm}
        groups={groups}
        departments={departments}
        headingRef={formHeading}
        onSaved={(name) => {
          setStatus(`${t("admin.saved")} ${name}`);
          setForm(null);
          refresh();
        }}
      />
      <GroupEditor
        value={group}
        onChange={setGroup}
        headingRef={groupHeading}
        onSaved={(name) => {
          setStatus(`${t("admin.saved")} ${name}`);
          setGroup({ id: null, name: "", sortOrder: "0" });
          refresh();
        }}
      />
    </div>
  );
}

function GroupEditor({
  value,
  onChange,
  headingRef,
  onSaved,
}: {
  value: { id: string | null; name: string; sortOrder: string };
  onChange: (value: { id: string | null; name: string; sortOrder: string }) => void;
  headingRef: RefObject<HTMLHeadingElement>;
  onSaved: (name: string) => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const [state, save] = useMutation(SaveFacilityGroup);
  const [errors, setErrors] = useState<readonly FieldError[]>([]);
  const fieldError = useFieldError(errors);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const order = Number(value.sortOrder.trim() || "0");
    if (!Number.isInteger(order)) {
      setErrors([{ code: "NOT_INTEGER", field: "sortOrder" }]);
      return;
    }
    const answer = await save({ input: { id: value.id, name: value.name, sortOrder: order } });
    if (answer.error) {
      setErrors([{ code: errorCode(answer.error) }]);
      return;
    }
    const payload = answer.data?.saveFacilityGroup;
    setErrors(payload?.errors ?? []);
    if (payload?.group) onSaved(payload.group.name);
  };
  const nameError = fieldError("name");
  const orderError = fieldError("sortOrder");
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
        {value.id ? t("admin.facilities.editGroup") : t("admin.facilities.addGroup")}
      </h2>
      <FormErrors errors={errors} fields={["name", "sortOrder"]} />
      <form className="stacked" onSubmit={submit} noValidate>
        <label htmlFor={`${id}-name`}>{t("admin.facilities.groupName")}</label>
        <input
          id={`${id}-name`}
          value={value.name}
          maxLength={100}
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? `${id}-name-error` : undefined}
          onChange={(event) => onChange({ ...value, name: event.target.value })}
        />
        {nameError ? (
          <p id={`${id}-name-error`} className="error">
            {nameError}
          </p>
        ) : null}
        <label htmlFor={`${id}-order`}>{t("admin.facilities.sortOrder")}</label>
        <input
          id={`${id}-order`}
          inputMode="numeric"
          value={value.sortOrder}
          aria-invalid={orderError ? true : undefined}
          aria-describedby={orderError ? `${id}-order-error` : undefined}
          onChange={(event) => onChange({ ...value, sortOrder: event.target.value })}
        />
        {orderError ? (
          <p id={`${id}-order-error`} className="error">
            {orderError}
          </p>
        ) : null}
        <div className="admin-actions">
          <button type="submit" disabled={state.fetching}>
            {t("admin.save")}
          </button>
          {value.id ? (
            <button
              type="button"
              onClick={() => {
                setErrors([]);
                onChange({ id: null, name: "", sortOrder: "0" });
              }}
            >
              {t("admin.cancel")}
            </button>
          ) : null}
        </div>
      </form>
    </section>
  );
}

function FacilityEditor({
  form,
  setForm,
  groups,
  departments,
  headingRef,
  onSaved,
}: {
  form: FacilityForm;
  setForm: (form: FacilityForm | null) => void;
  groups: readonly { id: string; name: string }[];
  departments: readonly { id: string; name: string; depth: number }[];
  headingRef: RefObject<HTMLHeadingElement>;
  onSaved: (name: string) => void;
}) {
  const { t } = useI18n();
  const base = useId();
  const [state, save] = useMutation(SaveFacility);
  const [errors, setErrors] = useState<readonly FieldError[]>([]);
  const fieldError = useFieldError(errors);
  const change = (patch: Partial<FacilityForm>) => setForm({ ...form, ...patch });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = formToInput(form);
    if (!parsed.input) {
      setErrors(parsed.invalid.map((field) => ({ code: "NOT_A_NUMBER", field })));
      return;
    }
    const answer = await save({ input: parsed.input });
    if (answer.error) {
      setErrors([{ code: errorCode(answer.error) }]);
      return;
    }
    const payload = answer.data?.saveFacility;
    setErrors(payload?.errors ?? []);
    if (payload?.facility) onSaved(payload.facility.name);
  };

  const message = (field: string) => {
    const found = errors.find((e) => e.field === field);
    if (!found) return null;
    return found.code === "NOT_A_NUMBER" ? t("admin.facilities.notANumber") : fieldError(field);
  };
  const describedBy = (field: string) =>
    message(field) ? { "aria-invalid": true, "aria-describedby": `${base}-${field}-error` } : {};
  const errorLine = (field: string) => {
    const text = message(field);
    return text ? (
      <p id={`${base}-${field}-error`} className="error">
        {text}
      </p>
    ) : null;
  };
  const textField = (
    field: "name" | "notes" | (typeof NUMBER_FIELDS)[number],
    label: MessageKey,
    numeric = false,
  ) => (
    <>
      <label htmlFor={`${base}-${field}`}>{t(label)}</label>
      <input
        id={`${base}-${field}`}
        value={form[field]}
        inputMode={numeric ? "numeric" : undefined}
        onChange={(event) => change({ [field]: event.target.value })}
        {...describedBy(field)}
      />
      {errorLine(field)}
    </>
  );

  return (
    <section className="card" aria-labelledby={`${base}-title`}>
      <h2 id={`${base}-title`} ref={headingRef} tabIndex={-1}>
        {form.id ? t("admin.facilities.editFacility") : t("admin.facilities.addFacility")}
      </h2>
      <FormErrors errors={errors} fields={FACILITY_FIELDS} />
      <form className="stacked" onSubmit={submit} noValidate>
        <label htmlFor={`${base}-groupId`}>{t("admin.facilities.group")}</label>
        <select
          id={`${base}-groupId`}
          value={form.groupId}
          onChange={(event) => change({ groupId: event.target.value })}
          {...describedBy("groupId")}
        >
          {groups.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
        {errorLine("groupId")}
        {textField("name", "admin.facilities.name")}
        {textField("capacity", "admin.facilities.capacity", true)}
        {textField("poolSize", "admin.facilities.poolSize", true)}
        <label htmlFor={`${base}-owner`}>{t("admin.facilities.owner")}</label>
        <select
          id={`${base}-owner`}
          value={form.owningDepartmentId}
          onChange={(event) => change({ owningDepartmentId: event.target.value })}
          {...describedBy("owningDepartmentId")}
        >
          <option value="">{t("admin.facilities.noOwner")}</option>
          {departments.map((d) => (
            <option key={d.id} value={d.id}>
              {`${"\u3000".repeat(d.depth)}${d.name}`}
            </option>
          ))}
        </select>
        {errorLine("owningDepartmentId")}
        <label htmlFor={`${base}-openTime`}>{t("admin.facilities.openTime")}</label>
        <input
          id={`${base}-openTime`}
          type="time"
          step={900}
          value={form.openTime}
          onChange={(event) => change({ openTime: event.target.value })}
          {...describedBy("openTime")}
        />
        {errorLine("openTime")}
        <label htmlFor={`${base}-closeTime`}>{t("admin.facilities.closeTime")}</label>
        <input
          id={`${base}-closeTime`}
          type="time"
          step={900}
          value={form.closeTime}
          onChange={(event) => change({ closeTime: event.target.value })}
          {...describedBy("closeTime")}
        />
        {errorLine("closeTime")}
        <fieldset className="weekdays" {...describedBy("bookableWeekdays")}>
          <legend>{t("admin.facilities.weekdays")}</legend>
          {WEEKDAYS.map((day) => (
            <label key={day} className="check">
              <input
                type="checkbox"
                checked={form.bookableWeekdays.includes(day)}
                onChange={(event) =>
                  change({
                    bookableWeekdays: event.target.checked
                      ? [...form.bookableWeekdays, day]
                      : form.bookableWeekdays.filter((d) => d !== day),
                  })
                }
              />
              {t(`admin.weekday.${day}` as MessageKey)}
            </label>
          ))}
        </fieldset>
        {errorLine("bookableWeekdays")}
        {textField("maxDaysAhead", "admin.facilities.maxDaysAhead", true)}
        {textField("minMinutes", "admin.facilities.minMinutes", true)}
        {textField("maxMinutes", "admin.facilities.maxMinutes", true)}
        <label className="check">
          <input
            type="checkbox"
            checked={form.needsApproval}
            onChange={(event) => change({ needsApproval: event.target.checked })}
          />
          {t("admin.facilities.needsApproval")}
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={form.isActive}
            onChange={(event) => change({ isActive: event.target.checked })}
          />
          {t("admin.facilities.isActive")}
        </label>
        {textField("notes", "admin.facilities.notes")}
        {textField("sortOrder", "admin.facilities.sortOrder", true)}
        <div className="admin-actions">
          <button type="submit" disabled={state.fetching || !form.groupId}>
            {t("admin.save")}
          </button>
          {form.id ? (
            <button
              type="button"
              onClick={() => {
                setErrors([]);
                setForm(null);
              }}
            >
              {t("admin.cancel")}
            </button>
          ) : null}
        </div>
      </form>
    </section>
  );
}
