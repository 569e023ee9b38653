import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatTime } from "../../ui/dates";

export const PresenceBoardFragment = graphql(`
  fragment PresenceBoard_organization on Organization {
    id
    name
    members {
      id
      name
      title
      extension
      presence {
        status
        message
        updatedAt
      }
    }
  }
`);

/** A department's members and where they are; presenceChanged keeps the cache current. */
export function PresenceBoard({
  department,
  onPerson,
}: {
  department: FragmentType<typeof PresenceBoardFragment>;
  onPerson: (id: string) => void;
}) {
  const { t, language } = useI18n();
  const data = readFragment(PresenceBoardFragment, department);
  return (
    <section className="card presence-board" aria-labelledby="presence-board-title">
      <h2 id="presence-board-title">{t("directory.board", { name: data.name })}</h2>
      <p className="hint">{t("portal.live")}</p>
      {data.members.length === 0 ? (
        <p>{t("portal.noMembers")}</p>
      ) : (
        <table className="members board">
          <thead>
            <tr>
              <th scope="col">{t("portal.memberName")}</th>
              <th scope="col">{t("portal.memberTitle")}</th>
              <th scope="col">{t("portal.memberPresence")}</th>
              <th scope="col">{t("directory.extension")}</th>
            </tr>
          </thead>
          <tbody>
            {data.members.map((member) => (
              <tr key={member.id} data-person={member.id}>
                <th scope="row">
                  <button type="button" className="link" onClick={() => onPerson(member.id)}>
                    {member.name}
                  </button>
                </th>
                <td>{member.title}</td>
                <td>
                  <span className={`presence presence-${member.presence?.status ?? "unknown"}`}>
                    {member.presence ? t(`presence.${member.presence.status}`) : "—"}
                  </span>
                  {member.presence?.message ? ` ${member.presence.message}` : ""}
                  {member.presence?.updatedAt ? (
                    <small className="since">
                      {" "}
                      {t("portal.presenceSince", {
                        time: formatTime(member.presence.updatedAt, language),
                      })}
                    </small>
                  ) : null}
                </td>
                <td>{member.extension}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
