import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatTime } from "../../ui/dates";

export const TodayReservationFragment = graphql(`
  fragment TodayReservation_reservation on Reservation {
    id
    start
    end
    status
    facility {
      id
      name
    }
  }
`);

/** My bookings of rooms, cars and equipment today, with 仮予約 marked. */
export function TodayReservations({
  reservations,
}: {
  reservations: readonly FragmentType<typeof TodayReservationFragment>[];
}) {
  const { t, language } = useI18n();
  const items = reservations.map((item) => readFragment(TodayReservationFragment, item));
  return (
    <section className="card" aria-labelledby="reservations-title">
      <h2 id="reservations-title">{t("portal.reservations")}</h2>
      {items.length === 0 ? (
        <p className="empty">{t("portal.noReservations")}</p>
      ) : (
        <ul className="schedule">
          {items.map((reservation) => (
            <li key={reservation.id}>
              <span className="when">
                {formatTime(reservation.start, language)}–{formatTime(reservation.end, language)}
              </span>
              <span className="what">{reservation.facility.name}</span>
              <span className={`reservation reservation-${reservation.status}`}>
                {t(`reservation.${reservation.status}`)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
