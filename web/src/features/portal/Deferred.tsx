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

/** aria-busy for a panel's section: set while its part is on its way, not once it failed. */
export function busy(waiting: Waiting): true | undefined {
  return waiting.failed === null ? true : undefined;
}

/** What stands in a panel's body until its part comes: 読み込み中…, or why it did not. */
export function WaitingBody({ waiting }: { waiting: Waiting }) {
  const { t, errorText } = useI18n();
  if (waiting.failed !== null) return <p className="error">{errorText(waiting.failed)}</p>;
  return <p className="loading">{t("app.loading")}</p>;
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
