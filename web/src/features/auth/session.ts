// Sign-in and sign-out go to the server's own endpoints (POST /auth/login and /auth/logout,
// JSON), not GraphQL: they set and clear the session cookie.
import { csrfToken } from "../../api/csrf";
import { requestLanguage } from "../../i18n/request-language";

export type SignInResult =
  | { ok: true }
  | { ok: false; code: string; retryAfter?: number | undefined };

export interface Credentials {
  tenant: string;
  loginId: string;
  password: string;
}

export async function signIn(credentials: Credentials, fetcher = fetch): Promise<SignInResult> {
  let response: Response;
  try {
    response = await fetcher("/auth/login", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        // The server's message (beside the code the page shows) in the page's language.
        "Accept-Language": requestLanguage(),
      },
      body: JSON.stringify(credentials),
    });
  } catch {
    return { ok: false, code: "network" };
  }
  const body = (await response.json().catch(() => null)) as {
    ok?: boolean;
    error?: string;
    retryAfter?: number;
  } | null;
  if (response.ok && body?.ok) return { ok: true };
  const header = Number(response.headers.get("Retry-After"));
  const retryAfter =
    body?.retryAfter ?? (Number.isFinite(header) && header > 0 ? header : undefined);
  return {
    ok: false,
    code: body?.error ?? (response.status === 429 ? "too_many_attempts" : "unknown"),
    retryAfter,
  };
}

export async function signOut(fetcher = fetch): Promise<void> {
  await fetcher("/auth/logout", {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
  }).catch(() => undefined);
}
