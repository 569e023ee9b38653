import type { ReactNode } from "react";
import type { TypedDocumentNode } from "urql";
import type { FragmentType } from "../../gql";
import { useI18n } from "../../i18n/language";

/**
 * A panel whose part of the page is deferred (`@defer` in the portal's query) and has not
 * arrived: `failed` is null while it is on its way, else the error code of an answer that
 * ended without it.
 */
export interface Waiting {
  failed: string | null;
}

export const STILL_COMING: Waiting = { failed: null };

/**
 * A portal card whose body is a deferred part of the page: its heading (and `note`) at once,
 * the body once `value` has come (not null). Until then the card is aria-busy and says
 * 読み込み中…, or, when the answer ended without its part, why.
 */
export function DeferredCard<T>({
  className,
  titleId,
  title,
  note,
  value,
  waiting,
  children,
}: {
  className: string;
  titleId: string;
  title: ReactNode;
  note?: ReactNode;
  value: T | null;
  waiting: Waiting;
  /** The body, for the value that has come. */
  children: (value: T) => ReactNode;
}) {
  const { t, errorText } = useI18n();
  const pending = value === null && waiting.failed === null;
  return (
    <section className={className} aria-labelledby={titleId} aria-busy={pending || undefined}>
      <h2 id={titleId}>{title}</h2>
      {note}
      {value !== null ? (
        children(value)
      ) : waiting.failed !== null ? (
        <p className="error">{errorText(waiting.failed)}</p>
      ) : (
        <p className="loading">{t("app.loading")}</p>
      )}
    </section>
  );
}

/**
 * Whether a deferred fragment's part is in `data`: every field the fragment selects at its
 * top level is there, under its alias. (The generated isFragmentReady looks fields up by
 * name, so it never finds an aliased one such as `portalNotices: notices`.)
 */
export function arrived<D extends TypedDocumentNode<unknown, unknown>>(
  fragment: D,
  data: unknown,
): data is FragmentType<D> {
  if (typeof data !== "object" || data === null) return false;
  const definition = fragment.definitions[0];
  if (!definition || !("selectionSet" in definition)) return false;
  // Kinds compared as strings: graphql's Kind enum is a runtime import the bundle can do
  // without (urql parses with its own small parser).
  return definition.selectionSet.selections.every((selection) => {
    if ((selection.kind as string) !== "Field" || !("name" in selection)) return true;
    const key = ("alias" in selection && selection.alias ? selection.alias : selection.name).value;
    return key in data;
  });
}
