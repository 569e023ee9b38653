import { useEffect, useRef, useState } from "react";
import { useI18n } from "../../i18n/language";

/** A destructive action asked twice, in place: the question and two buttons replace the
 * first button, and the keyboard focus moves to "cancel" so Enter by habit does no harm. */
export function ConfirmButton({
  label,
  question,
  onConfirm,
  disabled,
}: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) cancel.current?.focus();
    else if (wasAsking.current) first.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" ref={first} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <fieldset className="confirm">
      <legend>{question}</legend>
      <button
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {t("settings.revokeYes")}
      </button>{" "}
      <button type="button" ref={cancel} onClick={() => setAsking(false)}>
        {t("settings.revokeNo")}
      </button>
    </fieldset>
  );
}
