import type { ReactNode } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { makeFragmentData } from "../../gql";
import { I18nProvider } from "../../i18n/language";
import type { Language } from "../../i18n/messages";
import { FilePicker } from "../../ui/FilePicker";
import { splitAddresses } from "./Compose";
import { MailAttachments, MailAttachmentsFragment } from "./MailAttachments";

const render = (node: ReactNode, language: Language = "ja") =>
  renderToStaticMarkup(<I18nProvider initial={language}>{node}</I18nProvider>);

const file = {
  __typename: "MailAttachment" as const,
  contentType: "application/pdf",
  releaseRequestedAt: null as string | null,
  url: null as string | null,
};

const message = (attachments: (typeof file & Record<string, unknown>)[]) =>
  makeFragmentData(
    { __typename: "MailMessage", id: "m1", attachments } as never,
    MailAttachmentsFragment,
  );

describe("a message's files", () => {
  it("links an available file as a download with its size", () => {
    const html = render(
      <MailAttachments
        message={message([
          {
            ...file,
            id: "a1",
            name: "議事録（第３回）.pdf",
            size: 2_057,
            state: "AVAILABLE",
            url: "/files/mail/a1?t=x",
          },
        ])}
        busy={false}
        onRequestRelease={() => {}}
      />,
    );
    expect(html).toContain(
      '<a href="/files/mail/a1?t=x" download="議事録（第３回）.pdf">議事録（第３回）.pdf</a>',
    );
    expect(html).toContain("(2.0 KB)");
    expect(html).toContain(">添付ファイル<");
  });

  it("shows a held file without a link, with a release request until one is made", () => {
    const held = { ...file, id: "a2", name: "見積書.pdf", size: 4_718_592, state: "HELD" };
    const asking = render(
      <MailAttachments message={message([held])} busy={false} onRequestRelease={() => {}} />,
    );
    expect(asking).not.toContain("<a ");
    expect(asking).toContain("(4.5 MB)");
    expect(asking).toContain("保留中 (メール無害化)");
    expect(asking).toContain('aria-label="見積書.pdf の保留解除を依頼"');
    const asked = render(
      <MailAttachments
        message={message([{ ...held, releaseRequestedAt: "2026-12-04T01:00:00Z" }])}
        busy={false}
        onRequestRelease={() => {}}
      />,
    );
    expect(asked).toContain("解除依頼済み");
    expect(asked).not.toContain("<button");
  });

  it("keeps a deleted file's name, marked 削除済み, and says nothing without files", () => {
    const gone = { ...file, id: "a3", name: "怪しい.zip", size: 10, state: "DELETED" };
    const html = render(
      <MailAttachments message={message([gone])} busy={false} onRequestRelease={() => {}} />,
    );
    expect(html).toContain("怪しい.zip");
    expect(html).toContain("削除済み");
    expect(html).not.toContain("<a ");
    expect(
      render(<MailAttachments message={message([])} busy={false} onRequestRelease={() => {}} />),
    ).toBe("");
  });

  it("speaks English when asked", () => {
    const held = { ...file, id: "a2", name: "quote.pdf", size: 100, state: "HELD" };
    const html = render(
      <MailAttachments message={message([held])} busy={false} onRequestRelease={() => {}} />,
      "en",
    );
    expect(html).toContain("Held (harmless mail)");
    expect(html).toContain(">Ask for release<");
  });
});

describe("the compose form's files", () => {
  it("lists each chosen file with its size and a labelled 削除", () => {
    const html = render(
      <FilePicker
        endpoint="/files/mail"
        value={[{ id: "u1", name: "資料.pdf", size: 820 }]}
        onChange={() => {}}
        text={{
          label: "ファイルを添付",
          hint: "",
          uploading: "",
          list: "添付ファイル",
          remove: "削除",
          removeName: (name) => `${name} を削除`,
        }}
      />,
    );
    expect(html).toMatch(/<label for="([^"]+)-file">ファイルを添付<\/label><input id="\1-file"/);
    expect(html).toContain('type="file" multiple=""');
    expect(html).toContain("資料.pdf <small>(820 B)</small>");
    expect(html).toContain('aria-label="資料.pdf を削除">削除</button>');
  });

  it("splits addresses on commas outside quoted names", () => {
    expect(splitAddresses('a@x.jp, "山田, 太郎" <b@x.jp>、c@x.jp')).toEqual([
      "a@x.jp",
      '"山田, 太郎" <b@x.jp>',
      "c@x.jp",
    ]);
  });
});
