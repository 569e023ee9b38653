import { type FormEvent, useId, useState } from "react";
import { useMutation } from "urql";
import { errorCode } from "../../api/errors";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatDate } from "../../ui/dates";
import { ConfirmButton } from "./ConfirmButton";
import { CopyField } from "./CopyField";

export const AccessTokenFragment = graphql(`
  fragment AccessTokenRow_token on AccessToken {
    id
    name
    hint
    createdAt
    expiresAt
    lastUsedAt
    revokedAt
  }
`);

const CreateAccessToken = graphql(`
  mutation CreateAccessToken($name: String!, $expiresInDays: Int) {
    createAccessToken(name: $name, expiresInDays: $expiresInDays) {
      token
      accessToken {
        ...AccessTokenRow_token
      }
      errors {
        code
        field
      }
    }
  }
`);

const RevokeAccessToken = graphql(`
  mutation RevokeAccessToken($id: ID!) {
    revokeAccessToken(id: $id) {
      accessToken {
        ...AccessTokenRow_token
      }
      errors {
        code
      }
    }
  }
`);

// A year at most by default choice: a forgotten token should not work forever unless the
// person decides so explicitly.
export const EXPIRY_CHOICES = [30, 90, 365, 0] as const;

export function tokenState(
  token: { revokedAt?: string | null; expiresAt?: string | null },
  now: Date,
): "revoked" | "expired" | "active" {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && new Date(token.expiresAt) <= now) return "expired";
  return "active";
}

export function AccessTokens({
  tokens,
}: {
  tokens: readonly FragmentType<typeof AccessTokenFragment>[];
}) {
  const { t, errorText, language } = useI18n();
  const ids = { name: useId(), expiry: useId() };
  const [created, create] = useMutation(CreateAccessToken);
  const [revoked, revoke] = useMutation(RevokeAccessToken);
  const [name, setName] = useState("");
  const [days, setDays] = useState<number>(90);
  // The secret lives only in this component's memory until dismissed: it is never cached.
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const rows = tokens.map((token) => readFragment(AccessTokenFragment, token));
  const now = new Date();

  const refused =
    created.data?.createAccessToken.errors[0]?.code ??
    revoked.data?.revokeAccessToken.errors[0]?.code;
  const failed = created.error ?? revoked.error;
  const failure = failed ? errorText(errorCode(failed)) : refused ? errorText(refused) : "";

  const onCreate = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({ name: name.trim(), expiresInDays: days || null });
    const token = result.data?.createAccessToken.token;
    if (token) {
      setSecret({ name: name.trim(), token });
      setName("");
    }
  };

  return (
    <section className="card wide" aria-labelledby="tokens-title">
      <h2 id="tokens-title">{t("settings.tokens")}</h2>
      <p>{t("settings.tokensIntro")}</p>
      <form className="inline-form" onSubmit={onCreate}>
        <span>
          <label htmlFor={ids.name}>{t("settings.tokenName")}</label>
          <input
            id={ids.name}
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        </span>
        <span>
          <label htmlFor={ids.expiry}>{t("settings.tokenExpiry")}</label>
          <select
            id={ids.expiry}
            value={days}
            onChange={(event) => setDays(Number(event.target.value))}
          >
            {EXPIRY_CHOICES.map((choice) => (
              <option key={choice} value={choice}>
                {choice ? t("settings.tokenDays", { days: choice }) : t("settings.tokenNoExpiry")}
              </option>
            ))}
          </select>
        </span>
        <button type="submit" disabled={created.fetching}>
          {t("settings.createToken")}
        </button>
      </form>
      <p role="status" className="error">
        {failure}
      </p>
      {secret ? (
        <section className="secret" aria-labelledby="token-created-title">
          <h3 id="token-created-title">{t("settings.tokenCreated", { name: secret.name })}</h3>
          <p className="warning">{t("settings.tokenOnce")}</p>
          <CopyField label={t("settings.tokenValue")} value={secret.token} name="new-token" />
          <button type="button" onClick={() => setSecret(null)}>
            {t("settings.dismiss")}
          </button>
        </section>
      ) : null}
      <h3 id="token-list-title">{t("settings.tokenList")}</h3>
      {rows.length === 0 ? (
        <p>{t("settings.noTokens")}</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: it scrolls sideways on a phone, and a scrolling region must be reachable by keyboard (WCAG 2.1.1)
        <section className="table-scroll" aria-labelledby="token-list-title" tabIndex={0}>
          <table className="tokens">
            <thead>
              <tr>
                <th scope="col">{t("settings.tokenColName")}</th>
                <th scope="col">{t("settings.tokenColHint")}</th>
                <th scope="col">{t("settings.tokenColCreated")}</th>
                <th scope="col">{t("settings.tokenColExpires")}</th>
                <th scope="col">{t("settings.tokenColLastUsed")}</th>
                <th scope="col">{t("settings.tokenColState")}</th>
                <th scope="col">{t("settings.tokenColAction")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((token) => {
                const state = tokenState(token, now);
                return (
                  <tr key={token.id} data-token={token.id}>
                    <th scope="row">{token.name}</th>
                    <td>
                      <code>{token.hint}…</code>
                    </td>
                    <td>{formatDate(token.createdAt, language)}</td>
                    <td>
                      {token.expiresAt
                        ? formatDate(token.expiresAt, language)
                        : t("settings.tokenNoExpiry")}
                    </td>
                    <td>{token.lastUsedAt ? formatDate(token.lastUsedAt, language) : "—"}</td>
                    <td>{t(`settings.${state}`)}</td>
                    <td>
                      {state === "active" ? (
                        <ConfirmButton
                          label={t("settings.revoke")}
                          question={t("settings.revokeTokenConfirm", { name: token.name })}
                          disabled={revoked.fetching}
                          onConfirm={() => void revoke({ id: token.id })}
                        />
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}
