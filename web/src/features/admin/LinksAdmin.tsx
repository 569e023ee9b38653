import {
  type FormEvent,
  type KeyboardEvent,
  type RefObject,
  useEffect,
  useId,
  useRef,
  useState,
} from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import "./admin.css";
import {
  AdminHeader,
  ConfirmDelete,
  type FieldError,
  FormErrors,
  isTenantAdmin,
  NotAdmin,
  useFieldError,
} from "./common";
import { byOrder, moveId } from "./order";

const AdminLinksQuery = graphql(`
  query AdminLinks {
    me {
      id
      roles
    }
    links {
      id
      title
      url
      description
      category
      sortOrder
      opensInNewTab
    }
  }
`);

// Another administrator's change shows here too (the exchange relinks Query.links).
const AdminLinksChanged = graphql(`
  subscription AdminLinksChanged {
    linksChanged {
      id
      title
      url
      description
      category
      sortOrder
      opensInNewTab
    }
  }
`);

const SaveLink = graphql(`
  mutation SaveLink($input: SaveLinkInput!) {
    saveLink(input: $input) {
      link {
        id
        title
        url
        description
        category
        sortOrder
        opensInNewTab
      }
      errors {
        code
        field
      }
    }
  }
`);

const DeleteLink = graphql(`
  mutation DeleteLink($id: ID!) {
    deleteLink(id: $id) {
      deletedId
      errors {
        code
        field
      }
    }
  }
`);

const ReorderLinks = graphql(`
  mutation ReorderLinks($ids: [ID!]!) {
    reorderLinks(ids: $ids) {
      links {
        id
        sortOrder
      }
      errors {
        code
        field
      }
    }
  }
`);

interface LinkDraft {
  id: string | null;
  title: string;
  url: string;
  description: string;
  category: string;
  opensInNewTab: boolean;
}

const EMPTY: LinkDraft = {
  id: null,
  title: "",
  url: "",
  description: "",
  category: "",
  opensInNewTab: true,
};
const LINK_FIELDS = ["title", "url", "description", "category"] as const;

/** リンク集 for administrators: add, edit, delete, and order by buttons or Alt+arrows. */
export function LinksAdmin({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText } = useI18n();
  const [result, reexecute] = useQuery({
    query: AdminLinksQuery,
    requestPolicy: "cache-and-network",
  });
  const [draft, setDraft] = useState<LinkDraft>(EMPTY);
  const [status, setStatus] = useState("");
  const [errors, setErrors] = useState<readonly FieldError[]>([]);
  const [saveState, save] = useMutation(SaveLink);
  const [, remove] = useMutation(DeleteLink);
  const [reorderState, reorder] = useMutation(ReorderLinks);
  const focusAfterMove = useRef<string | null>(null);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const formTitle = useRef<HTMLHeadingElement>(null);
  useSubscription({ query: AdminLinksChanged, pause: !isTenantAdmin(result.data?.me?.roles) });

  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  const links = byOrder(result.data?.links ?? []);
  // After a move, the focus stays on the button that moved the link, at its new place.
  useEffect(() => {
    const key = focusAfterMove.current;
    const button = key ? buttons.current.get(key) : undefined;
    if (button && !button.disabled) {
      button.focus();
      if (document.activeElement === button) focusAfterMove.current = null;
    }
  });

  if (result.error && !result.data) {
    return (
      <p className="error" role="alert">
        {errorText(errorCode(result.error))}
      </p>
    );
  }
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;
  if (!isTenantAdmin(me.roles)) return <NotAdmin />;

  const refresh = () => reexecute({ requestPolicy: "network-only" });

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setStatus("");
    const answer = await save({
      input: {
        id: draft.id,
        title: draft.title,
        url: draft.url,
        description: draft.description,
        category: draft.category,
        opensInNewTab: draft.opensInNewTab,
      },
    });
    if (answer.error) {
      setErrors([{ code: errorCode(answer.error) }]);
      return;
    }
    const payload = answer.data?.saveLink;
    setErrors(payload?.errors ?? []);
    if (payload?.link) {
      setDraft(EMPTY);
      setStatus(t("admin.saved"));
      if (!draft.id) refresh();
    }
  };

  const move = async (index: number, delta: number, key: string) => {
    const ids = moveId(
      links.map((link) => link.id),
      index,
      delta,
    );
    const link = links[index];
    // One move at a time: the buttons stay enabled (a disabled one would drop the focus).
    if (!link || ids[index] === link.id || reorderState.fetching) return;
    focusAfterMove.current = key;
    const answer = await reorder({ ids });
    const payload = answer.data?.reorderLinks;
    if (answer.error || !payload || payload.errors.length > 0) {
      setStatus(errorText(answer.error ? errorCode(answer.error) : payload?.errors[0]?.code));
      refresh();
      return;
    }
    setStatus(t("admin.links.moved", { name: link.title, position: ids.indexOf(link.id) + 1 }));
  };

  const onDelete = async (id: string) => {
    const answer = await remove({ id });
    const payload = answer.data?.deleteLink;
    if (answer.error || !payload || payload.errors.length > 0) {
      setStatus(errorText(answer.error ? errorCode(answer.error) : payload?.errors[0]?.code));
    } else {
      setStatus(t("admin.deleted"));
      if (draft.id === id) setDraft(EMPTY);
    }
    refresh();
  };

  const arrows = (index: number, key: string) => (event: KeyboardEvent<HTMLButtonElement>) => {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    event.preventDefault();
    void move(index, event.key === "ArrowUp" ? -1 : 1, key);
  };
  const register = (key: string) => (element: HTMLButtonElement | null) => {
    if (element) buttons.current.set(key, element);
    else buttons.current.delete(key);
  };

  return (
    <div className="admin-screen">
      <AdminHeader id="admin-links-title" title={t("admin.links.title")} />
      <p role="status" className="admin-status">
        {status}
      </p>
      <section className="card" aria-labelledby="admin-links-list">
        <h2 id="admin-links-list">{t("admin.links.order")}</h2>
        <p className="hint">{t("admin.links.keyboardHint")}</p>
        {links.length === 0 ? (
          <p className="empty">{t("admin.links.none")}</p>
        ) : (
          <ol className="admin-list">
            {links.map((link, index) => (
              <li key={link.id}>
                <div className="admin-item">
                  <strong>{link.title}</strong>
                  {link.category ? <span className="tag">{link.category}</span> : null}
                  <span className="url">{link.url}</span>
                </div>
                <div className="admin-actions">
                  <button
                    type="button"
                    ref={register(`${link.id}-up`)}
                    aria-label={t("admin.links.moveUp", { name: link.title })}
                    disabled={index === 0}
                    onClick={() => void move(index, -1, `${link.id}-up`)}
                    onKeyDown={arrows(index, `${link.id}-up`)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    ref={register(`${link.id}-down`)}
                    aria-label={t("admin.links.moveDown", { name: link.title })}
                    disabled={index === links.length - 1}
                    onClick={() => void move(index, 1, `${link.id}-down`)}
                    onKeyDown={arrows(index, `${link.id}-down`)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    ref={register(`${link.id}-edit`)}
                    onKeyDown={arrows(index, `${link.id}-edit`)}
                    onClick={() => {
                      setDraft({
                        id: link.id,
                        title: link.title,
                        url: link.url,
                        description: link.description,
                        category: link.category,
                        opensInNewTab: link.opensInNewTab,
                      });
                      setErrors([]);
                      formTitle.current?.focus();
                    }}
                  >
                    {t("admin.edit")}
                    <span className="visually-hidden"> {link.title}</span>
                  </button>
                  <ConfirmDelete
                    label={t("admin.delete")}
                    name={link.title}
                    onConfirm={() => void onDelete(link.id)}
                  />
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>
      <LinkForm
        draft={draft}
        onDraft={setDraft}
        errors={errors}
        busy={saveState.fetching}
        onSubmit={onSubmit}
        onCancel={() => {
          setDraft(EMPTY);
          setErrors([]);
        }}
        titleRef={formTitle}
      />
    </div>
  );
}

function LinkForm({
  draft,
  onDraft,
  errors,
  busy,
  onSubmit,
  onCancel,
  titleRef,
}: {
  draft: LinkDraft;
  onDraft: (draft: LinkDraft) => void;
  errors: readonly FieldError[];
  busy: boolean;
  onSubmit: (event: FormEvent) => void;
  onCancel: () => void;
  titleRef: RefObject<HTMLHeadingElement>;
}) {
  const { t } = useI18n();
  const base = useId();
  const fieldError = useFieldError(errors);
  const field = (name: (typeof LINK_FIELDS)[number], label: string, props: object = {}) => {
    const id = `${base}-${name}`;
    const message = fieldError(name);
    return (
      <>
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          value={draft[name]}
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? `${id}-error` : undefined}
          onChange={(event) => onDraft({ ...draft, [name]: event.target.value })}
          {...props}
        />
        {message ? (
          <p id={`${id}-error`} className="error">
            {message}
          </p>
        ) : null}
      </>
    );
  };
  return (
    <section className="card" aria-labelledby={`${base}-heading`}>
      <h2 id={`${base}-heading`} ref={titleRef} tabIndex={-1}>
        {draft.id ? t("admin.links.editing") : t("admin.links.add")}
      </h2>
      <FormErrors errors={errors} fields={LINK_FIELDS} />
      <form className="stacked" onSubmit={onSubmit} noValidate>
        {field("title", t("admin.links.linkTitle"), { required: true, maxLength: 100 })}
        {field("url", t("admin.links.url"), {
          type: "url",
          required: true,
          maxLength: 500,
          placeholder: "https://",
          title: t("admin.links.urlHint"),
        })}
        {field("category", t("admin.links.category"), { maxLength: 50 })}
        {field("description", t("admin.links.description"), { maxLength: 200 })}
        <label className="check">
          <input
            type="checkbox"
            checked={draft.opensInNewTab}
            onChange={(event) => onDraft({ ...draft, opensInNewTab: event.target.checked })}
          />{" "}
          {t("admin.links.newTab")}
        </label>
        <div className="admin-actions">
          <button type="submit" disabled={busy}>
            {t("admin.save")}
          </button>
          {draft.id ? (
            <button type="button" onClick={onCancel}>
              {t("admin.cancel")}
            </button>
          ) : null}
        </div>
      </form>
    </section>
  );
}
