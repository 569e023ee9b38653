import { Link } from "../../app/router";
import { useI18n } from "../../i18n/language";

/** Whether the roles (Person.roles) make someone a tenant administrator. */
export function isTenantAdmin(roles: readonly string[] | null | undefined): boolean {
  return (roles ?? []).includes("TENANT_ADMIN");
}

/** What a colleague who is not a tenant administrator sees at an administration address. */
export function NotAdmin() {
  const { t } = useI18n();
  return (
    <section className="card" aria-labelledby="not-admin-title">
      <h1 id="not-admin-title">{t("admin.title")}</h1>
      <p role="alert">{t("admin.notAdmin")}</p>
      <p>
        <Link to="/">{t("comingSoon.back")}</Link>
      </p>
    </section>
  );
}

/** The heading of an administration screen, with the way back to the index. */
export function AdminHeader({ title, id }: { title: string; id: string }) {
  const { t } = useI18n();
  return (
    <header className="page-header">
      <p className="breadcrumb">
        <Link to="/admin">{t("admin.back")}</Link>
      </p>
      <h1 id={id}>{title}</h1>
    </header>
  );
}
