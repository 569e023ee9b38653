import { useEffect } from "react";
import { useQuery } from "urql";
import { Link, useRouter } from "../../app/router";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import type { MessageKey } from "../../i18n/messages";
import "./admin.css";
import { AuditAdmin } from "./AuditAdmin";
import { ClosedDaysAdmin } from "./ClosedDaysAdmin";
import { CouncilAdmin } from "./CouncilAdmin";
import { isTenantAdmin, NotAdmin } from "./common";
import { FacilitiesAdmin } from "./FacilitiesAdmin";
import { ImportAdmin } from "./ImportAdmin";
import { LeaversAdmin } from "./LeaversAdmin";
import { LinksAdmin } from "./LinksAdmin";
import { PasswordsAdmin } from "./PasswordsAdmin";
import { ReorgAdmin } from "./ReorgAdmin";
import { RolesAdmin } from "./RolesAdmin";

/** The sections of the administration index, in menu order: each is a screen of its own
 * under /admin/..., routed below. Add a section here and a branch in AdminPage. */
export const ADMIN_SECTIONS: readonly { path: string; label: MessageKey; summary: MessageKey }[] = [
  { path: "/admin/import", label: "admin.import.title", summary: "admin.import.summary" },
  { path: "/admin/passwords", label: "admin.passwords.title", summary: "admin.passwords.summary" },
  { path: "/admin/roles", label: "admin.roles.title", summary: "admin.roles.summary" },
  { path: "/admin/reorg", label: "admin.reorg.title", summary: "admin.reorg.summary" },
  { path: "/admin/council", label: "admin.council.title", summary: "admin.council.summary" },
  { path: "/admin/links", label: "admin.links.title", summary: "admin.links.summary" },
  {
    path: "/admin/closed-days",
    label: "admin.closedDays.title",
    summary: "admin.closedDays.summary",
  },
  {
    path: "/admin/facilities",
    label: "admin.facilities.title",
    summary: "admin.facilities.summary",
  },
  { path: "/admin/audit", label: "admin.audit.title", summary: "admin.audit.summary" },
  { path: "/admin/leavers", label: "admin.leavers.title", summary: "admin.leavers.summary" },
];

const AdminIndexQuery = graphql(`
  query AdminIndex {
    me {
      id
      roles
    }
  }
`);

/** /admin and everything below it; each screen asks for its own data in one request. */
export function AdminPage({ onSignedOut }: { onSignedOut: () => void }) {
  const { path } = useRouter();
  // Screens of the sections are added here as they are built.
  if (path === "/admin/links") return <LinksAdmin onSignedOut={onSignedOut} />;
  if (path === "/admin/import") return <ImportAdmin onSignedOut={onSignedOut} />;
  if (path === "/admin/passwords") return <PasswordsAdmin onSignedOut={onSignedOut} />;
  if (path === "/admin/roles") return <RolesAdmin onSignedOut={onSignedOut} />;
  if (path === "/admin/reorg") return <ReorgAdmin onSignedOut={onSignedOut} />;
  if (path === "/admin/council") return <CouncilAdmin onSignedOut={onSignedOut} />;
  if (path === "/admin/closed-days") return <ClosedDaysAdmin onSignedOut={onSignedOut} />;
  if (path === "/admin/facilities") return <FacilitiesAdmin onSignedOut={onSignedOut} />;
  if (path === "/admin/audit") return <AuditAdmin onSignedOut={onSignedOut} />;
  if (path === "/admin/leavers") return <LeaversAdmin onSignedOut={onSignedOut} />;
  if (path !== "/admin") return <NotFoundInAdmin />;
  return <AdminIndex onSignedOut={onSignedOut} />;
}

function AdminIndex({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useI18n();
  const [result] = useQuery({ query: AdminIndexQuery, requestPolicy: "cache-and-network" });
  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;
  if (!isTenantAdmin(me.roles)) return <NotAdmin />;
  return (
    <section className="card" aria-labelledby="admin-title">
      <h1 id="admin-title">{t("admin.title")}</h1>
      <p>{t("admin.intro")}</p>
      <ul className="admin-sections">
        {ADMIN_SECTIONS.map((section) => (
          <li key={section.path}>
            <Link to={section.path}>{t(section.label)}</Link>
            <p>{t(section.summary)}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function NotFoundInAdmin() {
  const { t } = useI18n();
  return (
    <section className="card" aria-labelledby="admin-not-found-title">
      <h1 id="admin-not-found-title">{t("notFound.title")}</h1>
      <p>
        <Link to="/admin">{t("admin.back")}</Link>
      </p>
    </section>
  );
}
