import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatTime } from "../../ui/dates";
import { beginsIn, hours, inHour } from "./grid";

export const DayGridFragment = graphql(`
  fragment DayGrid_group on FacilityGroup {
    id
    name
    facilities {
      id
      name
      capacity
      needsApproval
      reservations(start: $dayStart, end: $dayEnd) {
        id
        start
        end
        status
        purpose
        mine
        requester {
          id
          name
        }
      }
    }
  }
`);

/** Rooms as rows, hours as columns; a free hour is a button that starts a booking there. */
export function DayGrid({
  group,
  date,
  onPick,
}: {
  group: FragmentType<typeof DayGridFragment>;
  date: string;
  onPick: (facilityId: string, hour: number) => void;
}) {
  const { t, language } = useI18n();
  const data = readFragment(DayGridFragment, group);
  const columns = hours();
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: the grid scrolls sideways on a phone, and a scrolling region must be reachable by keyboard (WCAG 2.1.1)
    <section className="day-grid" aria-labelledby="day-grid-title" tabIndex={0}>
      <h2 id="day-grid-title">{data.name}</h2>
      {data.facilities.length === 0 ? (
        <p>{t("facilities.noFacilities")}</p>
      ) : (
        <table className="facility-grid">
          <thead>
            <tr>
              <th scope="col">{t("facilities.facility")}</th>
              {columns.map((hour) => (
                <th scope="col" key={hour}>
                  {t("facilities.hour", { hour })}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.facilities.map((facility) => {
              const active = facility.reservations.filter(
                (r) => r.status === "PENDING" || r.status === "CONFIRMED",
              );
              return (
                <tr key={facility.id} data-facility={facility.id}>
                  <th scope="row">
                    {facility.name}
                    <small className="hint">
                      {" "}
                      {t("facilities.capacity", { count: facility.capacity })}
                      {facility.needsApproval ? ` ${t("facilities.needsApproval")}` : ""}
                    </small>
                  </th>
                  {columns.map((hour) => {
                    const here = inHour(active, date, hour);
                    if (here.length === 0) {
                      return (
                        <td key={hour} className="free">
                          <button
                            type="button"
                            className="slot"
                            aria-label={t("facilities.bookAt", { name: facility.name, hour })}
                            onClick={() => onPick(facility.id, hour)}
                          >
                            <span aria-hidden="true">+</span>
                          </button>
                        </td>
                      );
                    }
                    return (
                      <td
                        key={hour}
                        className={`taken ${here.some((r) => r.status === "PENDING") ? "pending" : ""}`}
                      >
                        {here
                          .filter((r) => beginsIn(r, date, hour))
                          .map((r) => (
                            <span key={r.id} className="booking">
                              {formatTime(r.start, language)}–{formatTime(r.end, language)}{" "}
                              {t(`reservation.${r.status}`)} {r.purpose ?? r.requester.name}
                            </span>
                          ))}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
