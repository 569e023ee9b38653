import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { DeferredCard, STILL_COMING, type Waiting } from "./Deferred";

export const DepartmentPresenceFragment = graphql(`
  fragment DepartmentPresence_organization on Organization {
    id
    name
    members {
      id
      name
      title
      presence {
        status
        message
      }
    }
  }
`);

/** Who of my department is where, live (the cache is updated by presenceChanged). */
export function DepartmentPresence({
  department,
  waiting = STILL_COMING,
}: {
  /** Null until the deferred part of the page with the members has arrived. */
  department: FragmentType<typeof DepartmentPresenceFragment> | null;
  /** What to show while `department` is null. */
  waiting?: Waiting;
}) {
  const { t } = useI18n();
  const data = department ? readFragment(DepartmentPresenceFragment, department) : null;
  return (
    <DeferredCard
      className="card wide"
      titleId="department-title"
      title={`${t("portal.department")}${data ? `: ${data.name}` : ""}`}
      note={<p className="hint">{t("portal.live")}</p>}
      value={data}
      waiting={waiting}
    >
      {(found) =>
        found.members.length === 0 ? (
          <p>{t("portal.noMembers")}</p>
        ) : (
          <table className="members">
            <thead>
              <tr>
                <th scope="col">{t("portal.memberName")}</th>
                <th scope="col">{t("portal.memberTitle")}</th>
                <th scope="col">{t("portal.memberPresence")}</th>
              </tr>
            </thead>
            <tbody>
              {found.members.map((member) => (
                <tr key={member.id} data-person={member.id}>
                  <th scope="row">{member.name}</th>
                  <td>{member.title}</td>
                  <td>
                    <span className={`presence presence-${member.presence?.status ?? "unknown"}`}>
                      {member.presence ? t(`presence.${member.presence.status}`) : "—"}
                    </span>
                    {member.presence?.message ? ` ${member.presence.message}` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
    </DeferredCard>
  );
}
