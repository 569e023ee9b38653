import { useId, useState } from "react";
import { useI18n } from "../../i18n/language";
import { PeoplePicker } from "../../ui/PeoplePicker";
import type { AudienceDraft } from "./logic";

export interface Choosable {
  id: string;
  name: string;
  depth?: number;
}

/**
 * Who an information item, circulation or survey is for: the whole municipality,
 * departments (with or without their sub-departments), groups and persons.
 */
export function AudiencePicker({
  value,
  onChange,
  departments,
  groups,
  allowEveryone = true,
}: {
  value: AudienceDraft;
  onChange: (next: AudienceDraft) => void;
  departments: readonly Choosable[];
  groups: readonly Choosable[];
  allowEveryone?: boolean;
}) {
  const { t } = useI18n();
  const id = useId();
  const [department, setDepartment] = useState("");
  const [withSub, setWithSub] = useState(true);
  const addDepartment = () => {
    const found = departments.find((d) => d.id === department);
    if (!found || value.departments.some((d) => d.id === found.id)) return;
    onChange({
      ...value,
      departments: [
        ...value.departments,
        { id: found.id, name: found.name, includeSubDepartments: withSub },
      ],
    });
    setDepartment("");
  };
  return (
    <fieldset className="audience">
      <legend>{t("notices.audience")}</legend>
      {allowEveryone ? (
        <label className="check">
          <input
            type="checkbox"
            checked={value.everyone}
            onChange={(e) => onChange({ ...value, everyone: e.target.checked })}
          />
          {t("notices.audienceEveryone")}
        </label>
      ) : null}
      {value.departments.length > 0 ? (
        <ul className="picked" aria-label={t("notices.audienceChosen")}>
          {value.departments.map((d) => (
            <li key={`d-${d.id}`}>
              {d.name}
              {d.includeSubDepartments ? ` ${t("notices.withSubDepartments")}` : ""}
              <button
                type="button"
                className="remove"
                aria-label={t("notices.remove", { name: d.name })}
                onClick={() =>
                  onChange({
                    ...value,
                    departments: value.departments.filter((o) => o.id !== d.id),
                  })
                }
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="audience-department">
        <label htmlFor={`${id}-department`}>{t("notices.audienceDepartment")}</label>
        <select
          id={`${id}-department`}
          value={department}
          onChange={(e) => setDepartment(e.target.value)}
        >
          <option value="">{t("notices.choose")}</option>
          {departments.map((d) => (
            <option key={d.id} value={d.id}>
              {"\u3000".repeat(d.depth ?? 0)}
              {d.name}
            </option>
          ))}
        </select>
        <label className="check">
          <input type="checkbox" checked={withSub} onChange={(e) => setWithSub(e.target.checked)} />
          {t("notices.includeSubDepartments")}
        </label>
        <button type="button" onClick={addDepartment} disabled={!department}>
          {t("notices.addDepartment")}
        </button>
      </div>
      {groups.length > 0 ? (
        <fieldset className="audience-groups">
          <legend>{t("notices.audienceGroups")}</legend>
          {groups.map((g) => (
            <label key={g.id} className="check">
              <input
                type="checkbox"
                checked={value.groupIds.includes(g.id)}
                onChange={(e) =>
                  onChange({
                    ...value,
                    groupIds: e.target.checked
                      ? [...value.groupIds, g.id]
                      : value.groupIds.filter((other) => other !== g.id),
                  })
                }
              />
              {g.name}
            </label>
          ))}
        </fieldset>
      ) : null}
      <PeoplePicker
        picked={value.persons}
        onChange={(persons) => onChange({ ...value, persons })}
        label={t("notices.audiencePeople")}
        pickedLabel={t("notices.audiencePersons")}
      />
    </fieldset>
  );
}
