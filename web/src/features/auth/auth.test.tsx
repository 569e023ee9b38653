import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { I18nProvider } from "../../i18n/language";
import { failureText, LoginPage } from "./LoginPage";
import { signIn } from "./session";

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return async () => new Response(JSON.stringify(body), { status, headers });
}
const credentials = { tenant: "402125", loginId: "0669950", password: "x" };

describe("signIn", () => {
  it("is ok when the server says so", async () => {
    expect(await signIn(credentials, answer(200, { ok: true }))).toEqual({ ok: true });
  });

  it("passes on the server's code and how long to wait", async () => {
    const result = await signIn(
      credentials,
      answer(
        429,
        { ok: false, error: "too_many_attempts", retryAfter: 30 },
        { "Retry-After": "30" },
      ),
    );
    expect(result).toEqual({ ok: false, code: "too_many_attempts", retryAfter: 30 });
    expect(
      await signIn(credentials, answer(401, { ok: false, error: "invalid_credentials" })),
    ).toEqual({
      ok: false,
      code: "invalid_credentials",
      retryAfter: undefined,
    });
  });

  it("says network when the server cannot be reached", async () => {
    const offline = async () => {
      throw new TypeError("Failed to fetch");
    };
    expect(await signIn(credentials, offline)).toEqual({ ok: false, code: "network" });
  });
});

describe("LoginPage", () => {
  it("labels every field and has one submit button", () => {
    const html = renderToStaticMarkup(
      <I18nProvider initial="ja">
        <LoginPage onSignedIn={() => {}} />
      </I18nProvider>,
    );
    // The municipality is a combobox (typeahead) whose label points at it.
    const municipality = html.match(/<label for="([^"]+)">自治体\(団体コードまたは略称\)<\/label>/);
    expect(municipality).not.toBeNull();
    const input = html.match(new RegExp(`<input id="${municipality?.[1]}"[^>]*>`))?.[0] ?? "";
    expect(input).toContain('role="combobox"');
    expect(input).toContain('name="tenant"');
    expect(input).toContain('aria-expanded="false"');
    const listbox = input.match(/aria-controls="([^"]+)"/)?.[1];
    expect(html).toContain(`<div id="${listbox}" role="listbox"`);
    expect(html).toContain('name="loginId"');
    expect(html).toMatch(/<label>パスワード<input name="password"[^>]*type="password"/);
    expect(html.match(/type="submit"/g)).toHaveLength(1);
  });
});

describe("failureText", () => {
  it("says in Japanese why, and how long to wait when throttled", () => {
    expect(failureText({ ok: false, code: "too_many_attempts", retryAfter: 30 }, "ja")).toBe(
      "サインインの失敗が続いたため、一時的にサインインできません。 30秒後にもう一度お試しください。",
    );
    expect(failureText({ ok: false, code: "invalid_credentials" }, "ja")).toBe(
      "自治体、ログインID、またはパスワードが正しくありません。",
    );
    expect(failureText({ ok: false, code: "network" }, "en")).toBe(
      "Cannot reach the server. Check the network.",
    );
  });
});
