import { useEffect, useId, useRef } from "react";
import { useI18n } from "../../i18n/language";

export type Scope = "THIS" | "FOLLOWING" | "ALL";

/**
 * Which occurrences of a series a new end is for: this one, this and the following, or all
 * (null: none, the resize is given up). A modal <dialog>: Escape gives up, and the focus goes
 * back to the entry that was resized.
 */
export function ResizeScopeDialog({
  title,
  end,
  onChoose,
}: {
  title: string;
  end: string;
  onChoose: (scope: Scope | null) => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (element && !element.open) element.showModal();
    return () => {
      element?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={dialog}
      className="event-dialog scope-dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-text`}
      onCancel={(cancel) => {
        cancel.preventDefault();
        onChoose(null);
      }}
    >
      <h2 id={`${id}-title`}>{t("schedule.scope")}</h2>
      <p id={`${id}-text`}>{t("schedule.resizeScope", { title, end })}</p>
      <div className="dialog-buttons">
        {(["THIS", "FOLLOWING", "ALL"] as const).map((scope) => (
          <button
            key={scope}
            type="button"
            className={scope === "THIS" ? "primary" : undefined}
            onClick={() => onChoose(scope)}
          >
            {t(`schedule.scope.${scope}`)}
          </button>
        ))}
        <button type="button" onClick={() => onChoose(null)}>
          {t("schedule.cancelResize")}
        </button>
      </div>
    </dialog>
  );
}
