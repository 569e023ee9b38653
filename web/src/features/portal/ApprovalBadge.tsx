import { useSubscription } from "urql";
import { Link } from "../../app/router";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";

// The count lives in the cache as Query.pendingReservationCount; each event carries the
// decider's count after it, and api/client.ts writes it there.
const PendingReservationsChanged = graphql(`
  subscription PendingReservationsChanged {
    pendingReservationsChanged {
      reservationId
      version
      pendingCount
    }
  }
`);

/** 承認待ち for 施設管理者 and tenant administrators: how many 仮予約 wait for them, live. */
export function ApprovalBadge({ count }: { count: number }) {
  const { t } = useI18n();
  useSubscription({ query: PendingReservationsChanged });
  return (
    <section className="card approval" aria-labelledby="approval-title">
      <h2 id="approval-title">{t("portal.approvals")}</h2>
      <p>
        <Link to="/facilities" className="approval-link">
          <span className={count > 0 ? "count count-waiting" : "count"}>{count}</span>{" "}
          {t("portal.approvalsWaiting")}
        </Link>
      </p>
    </section>
  );
}
