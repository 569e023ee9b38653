import { useI18n } from "../../i18n/language";
import { PasswordChangeForm } from "../../ui/PasswordChange";

/** 設定's password card. */
export function PasswordForm() {
  const { t } = useI18n();
  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">{t("settings.password")}</h2>
      <PasswordChangeForm
        currentLabel={t("settings.currentPassword")}
        submitLabel={t("settings.changePassword")}
      />
    </section>
  );
}
