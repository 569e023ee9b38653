import { Link } from "../../app/router";
import { useI18n } from "../../i18n/language";

/** A screen that is not built yet says so plainly; it never shows made-up data. */
export function ComingSoon({ screen }: { screen: string }) {
  const { t } = useI18n();
  return (
    <section className="card coming-soon" aria-labelledby="coming-soon-title">
      <h1 id="coming-soon-title">
        {screen} <span className="badge">{t("comingSoon.title")}</span>
      </h1>
      <p>{t("comingSoon.body", { screen })}</p>
      <p>
        <Link to="/">{t("comingSoon.back")}</Link>
      </p>
    </section>
  );
}

export function NotFound() {
  const { t } = useI18n();
  return (
    <section className="card" aria-labelledby="not-found-title">
      <h1 id="not-found-title">{t("notFound.title")}</h1>
      <p>{t("notFound.body")}</p>
      <p>
        <Link to="/">{t("comingSoon.back")}</Link>
      </p>
    </section>
  );
}
