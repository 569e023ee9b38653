import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { makeFragmentData } from "../../gql";
import { I18nProvider } from "../../i18n/language";
import { LinksPanel, LinksPanelFragment } from "./LinksPanel";
import { groupLinks, isSafeHref } from "./links";

const link = (id: string, title: string, url: string, category = "", opensInNewTab = true) =>
  makeFragmentData(
    { id, title, url, description: "", category, opensInNewTab },
    LinksPanelFragment,
  );

describe("groupLinks", () => {
  it("keeps the administrator's order, a heading where its first link is", () => {
    const groups = groupLinks([
      { id: "1", category: "業務システム" },
      { id: "2", category: "規程・様式" },
      { id: "3", category: "業務システム " },
      { id: "4", category: "" },
    ]);
    expect(groups.map((g) => [g.category, g.links.map((l) => l.id)])).toEqual([
      ["業務システム", ["1", "3"]],
      ["規程・様式", ["2"]],
      ["", ["4"]],
    ]);
  });
});

describe("isSafeHref", () => {
  it("takes http and https only", () => {
    expect(isSafeHref("http://zaimu.okawa.lgwan.local/")).toBe(true);
    expect(isSafeHref("https://reiki.example.lg.jp/")).toBe(true);
    expect(isSafeHref("javascript:alert(1)")).toBe(false);
    expect(isSafeHref(" JavaScript:alert(1)")).toBe(false);
    expect(isSafeHref("data:text/html,x")).toBe(false);
    expect(isSafeHref("not a url")).toBe(false);
  });
});

describe("LinksPanel", () => {
  it("lists links under their headings, saying which open a new tab", () => {
    const html = renderToStaticMarkup(
      <I18nProvider initial="ja">
        <LinksPanel
          links={[
            link("1", "財務会計システム", "http://zaimu.okawa.lgwan.local/", "業務システム"),
            link("2", "例規集", "https://reiki.example.lg.jp/", "", false),
          ]}
        />
      </I18nProvider>,
    );
    expect(html).toContain('<h2 id="links-title">リンク集</h2>');
    expect(html).toContain("<h3>業務システム</h3>");
    expect(html).toContain("<h3>その他</h3>");
    expect(html).toContain(
      '<a href="http://zaimu.okawa.lgwan.local/" target="_blank" rel="noopener noreferrer">財務会計システム<span class="visually-hidden">(新しいタブで開きます)</span></a>',
    );
    expect(html).toContain('<a href="https://reiki.example.lg.jp/" rel="noreferrer">例規集</a>');
  });

  it("never makes an anchor of a script URL, and says when there are none", () => {
    const html = renderToStaticMarkup(
      <I18nProvider initial="en">
        <LinksPanel links={[link("1", "bad", "javascript:alert(1)")]} />
      </I18nProvider>,
    );
    expect(html).not.toContain("javascript:");
    expect(html).toContain("<span>bad</span>");
    const empty = renderToStaticMarkup(
      <I18nProvider initial="en">
        <LinksPanel links={[]} />
      </I18nProvider>,
    );
    expect(empty).toContain("No links yet.");
  });
});
