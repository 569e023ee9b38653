import { type KeyboardEvent, useEffect, useId, useMemo, useState } from "react";
import { useI18n } from "../../i18n/language";
import {
  loadMunicipalities,
  type Municipality,
  matchMunicipalities,
  namedMunicipality,
} from "./municipalities";

/** The municipality of a sign-in: typed freely (code or short name, as before), with a
 * list of the deployment's municipalities matching code, name or short name to pick from.
 * An editable combobox with list autocomplete (WAI-ARIA 1.2 combobox pattern): ↓ / ↑ move
 * through the list (↓ opens it), Enter takes the highlighted one, Escape closes it; the
 * focus stays in the field, and a picked municipality fills in its code. */
export function MunicipalityField({
  value,
  onChange,
  errorId,
  load = loadMunicipalities,
}: {
  value: string;
  onChange: (value: string) => void;
  errorId?: string | undefined;
  load?: () => Promise<Municipality[]>;
}) {
  const { t } = useI18n();
  const inputId = useId();
  const listId = useId();
  const hintId = useId();
  const [all, setAll] = useState<Municipality[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);

  useEffect(() => {
    let current = true;
    load().then((list) => {
      if (current) setAll(list);
    });
    return () => {
      current = false;
    };
  }, [load]);

  const matches = useMemo(() => matchMunicipalities(all, value), [all, value]);
  const named = namedMunicipality(all, value);
  const expanded = open && matches.length > 0;

  const choose = (municipality: Municipality) => {
    onChange(municipality.code);
    setOpen(false);
    setActive(-1);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!matches.length) return;
      event.preventDefault();
      const down = event.key === "ArrowDown";
      if (!expanded) {
        setOpen(true);
        setActive(down ? 0 : matches.length - 1);
        return;
      }
      setActive((index) =>
        down ? (index + 1) % matches.length : index <= 0 ? matches.length - 1 : index - 1,
      );
    } else if (event.key === "Enter" && expanded && active >= 0) {
      const municipality = matches[active];
      if (municipality) {
        // Taking the suggestion, not submitting the form.
        event.preventDefault();
        choose(municipality);
      }
    } else if (event.key === "Escape" && expanded) {
      event.preventDefault();
      setOpen(false);
      setActive(-1);
    }
  };

  return (
    <div className="combobox">
      <label htmlFor={inputId}>{t("login.tenant")}</label>
      <input
        id={inputId}
        name="tenant"
        type="text"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && active >= 0 ? `${listId}-${active}` : undefined}
        aria-describedby={[hintId, errorId ?? ""].join(" ").trim()}
        aria-invalid={errorId ? true : undefined}
        autoComplete="organization"
        autoCapitalize="off"
        spellCheck={false}
        required
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => {
          setOpen(false);
          setActive(-1);
        }}
      />
      <small id={hintId}>
        {named ? t("login.tenantNamed", { name: named.name }) : t("login.tenantHint")}
      </small>
      <div
        id={listId}
        role="listbox"
        aria-label={t("login.tenantSuggestions")}
        className="combobox-list"
        hidden={!expanded}
      >
        {expanded &&
          matches.map((municipality, index) => (
            // The input keeps the focus and handles the keys (aria-activedescendant); a
            // mouse press must not take the focus from it before the click picks.
            // biome-ignore lint/a11y/useKeyWithClickEvents: keys are handled by the combobox input
            // biome-ignore lint/a11y/useFocusableInteractive: options of a combobox are reached by aria-activedescendant, the focus stays in the input
            <div
              key={municipality.code}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === active}
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => choose(municipality)}
            >
              <span className="combobox-name">{municipality.name}</span>{" "}
              <span className="combobox-code">{municipality.code}</span>
            </div>
          ))}
      </div>
    </div>
  );
}
