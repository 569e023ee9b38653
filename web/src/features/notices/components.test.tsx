import type { ReactNode } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { I18nProvider } from "../../i18n/language";
import type { Language } from "../../i18n/messages";
import { AttachmentList } from "./Attachments";
import { ImportanceBadge } from "./common";

const render = (node: ReactNode, language: Language = "ja") =>
  renderToStaticMarkup(<I18nProvider initial={language}>{node}</I18nProvider>);

describe("the importance badge", () => {
  it("names each importance in Japanese, as the board shows it", () => {
    const html = ["URGENT", "HIGH", "NORMAL", "LOW"]
      .map((importance) => render(<ImportanceBadge importance={importance} />))
      .join("");
    expect(html).toContain('class="badge importance importance-URGENT">緊急<');
    expect(html).toContain('class="badge importance importance-HIGH">高<');
    expect(html).toContain('class="badge importance importance-NORMAL">標準<');
    expect(html).toContain('class="badge importance importance-LOW">低<');
  });

  it("speaks English when asked", () => {
    expect(render(<ImportanceBadge importance="URGENT" />, "en")).toContain(">Urgent<");
  });
});

describe("attachments", () => {
  it("lists each file as a download under its own name with its size", () => {
    const html = render(
      <AttachmentList
        files={[{ id: "a1", name: "訓練計画.pdf", size: 12_595, url: "/files/notices/a1?t=x" }]}
      />,
    );
    expect(html).toContain(
      '<a href="/files/notices/a1?t=x" download="訓練計画.pdf">訓練計画.pdf</a>',
    );
    expect(html).toContain("(12.3 KB)");
    expect(html).toContain(">添付ファイル<");
  });

  it("shows nothing when there are none", () => {
    expect(render(<AttachmentList files={[]} />)).toBe("");
  });
});
