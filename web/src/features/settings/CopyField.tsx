import { useId, useRef, useState } from "react";
import { useI18n } from "../../i18n/language";

/** A secret shown once: read-only, selected on focus, with a copy button that says whether
 * it worked (the clipboard API needs a secure context; 127.0.0.1 and HTTPS are). */
export function CopyField({ label, value, name }: { label: string; value: string; name: string }) {
  const { t } = useI18n();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const copy = async () => {
    input.current?.select();
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  };
  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="search-row">
        <input
          id={id}
          ref={input}
          name={name}
          readOnly
          value={value}
          spellCheck={false}
          onFocus={(event) => event.target.select()}
        />
        <button type="button" onClick={copy}>
          {t("settings.copy")}
        </button>
      </div>
      <p role="status" className={copied === "no" ? "error" : "hint"}>
        {copied === "yes" ? t("settings.copied") : copied === "no" ? t("settings.copyFailed") : ""}
      </p>
    </div>
  );
}
