import { describe, expect, it } from "vitest";
import {
  answerDrafts,
  answersInput,
  answerText,
  audienceInput,
  audienceIsEmpty,
  base64Bytes,
  EMPTY_AUDIENCE,
  formatSize,
  htmlToText,
  localDateTime,
  mayMessageCouncil,
  missingRequired,
  percent,
  type Question,
  questionsInput,
  safeHref,
  textToHtml,
  toggleChoice,
} from "./logic";

describe("the plain body editor", () => {
  it("makes paragraphs of blank-line-separated text and line breaks of single breaks", () => {
    expect(textToHtml("一行目\n二行目\n\n次の段落")).toBe("<p>一行目<br>二行目</p><p>次の段落</p>");
  });

  it("never turns typed text into markup", () => {
    const html = textToHtml('<script>alert(1)</script> & "x"');
    expect(html).toBe("<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;</p>");
    expect(html).not.toContain("<script");
  });

  it("drops empty paragraphs and reads Windows line ends", () => {
    expect(textToHtml("\r\n\r\na\r\n\r\n\r\n")).toBe("<p>a</p>");
    expect(textToHtml("   ")).toBe("");
  });

  it("gives a stored body back as text for a draft", () => {
    expect(htmlToText(textToHtml("a < b\nc\n\nd"))).toBe("a < b\nc\n\nd");
  });
});

describe("links in a body", () => {
  it("follows web, mail and same-site addresses only", () => {
    expect(safeHref("https://example.lg.jp/")).toBe("https://example.lg.jp/");
    expect(safeHref("mailto:a@b.jp")).toBe("mailto:a@b.jp");
    expect(safeHref("/notices")).toBe("/notices");
    expect(safeHref("javascript:alert(1)")).toBeNull();
    expect(safeHref(" JavaScript:alert(1)")).toBeNull();
    expect(safeHref("//evil.example/")).toBeNull();
    expect(safeHref("data:text/html,x")).toBeNull();
  });
});

describe("the audience", () => {
  it("is empty until someone is chosen", () => {
    expect(audienceIsEmpty(EMPTY_AUDIENCE)).toBe(true);
    expect(audienceIsEmpty({ ...EMPTY_AUDIENCE, groupIds: ["g"] })).toBe(false);
  });

  it("becomes the API's input with departments' sub-department flags and person IDs", () => {
    expect(
      audienceInput({
        everyone: false,
        departments: [{ id: "d1", name: "総務課", includeSubDepartments: true }],
        groupIds: ["g1"],
        persons: [{ id: "p1", name: "山田" }],
      }),
    ).toEqual({
      everyone: false,
      departments: [{ id: "d1", includeSubDepartments: true }],
      groupIds: ["g1"],
      personIds: ["p1"],
    });
  });

  it("dates a form's date and time in Japan time, none when the date is empty", () => {
    expect(localDateTime("2026-12-03", "09:30")).toBe("2026-12-03T09:30:00+09:00");
    expect(localDateTime("2026-12-03", "")).toBe("2026-12-03T00:00:00+09:00");
    expect(localDateTime("", "09:30")).toBeNull();
  });
});

const questions: Question[] = [
  { id: "q1", kind: "SINGLE_CHOICE", required: true, choices: ["はい", "いいえ"] },
  { id: "q2", kind: "MULTIPLE_CHOICE", required: false, choices: ["a", "b", "c"] },
  { id: "q3", kind: "TEXT", required: true, choices: [] },
  { id: "q4", kind: "NUMBER", required: false, choices: [] },
  { id: "q5", kind: "DATE", required: false, choices: [] },
];

describe("a survey answer", () => {
  it("starts from my earlier answers", () => {
    const drafts = answerDrafts(questions, [
      { questionId: "q2", choices: [0, 2], text: null },
      { questionId: "q4", choices: null, text: "12.5" },
    ]);
    expect(drafts.q2).toEqual({ choices: [0, 2], text: "" });
    expect(drafts.q4).toEqual({ choices: [], text: "12.5" });
    expect(drafts.q1).toEqual({ choices: [], text: "" });
  });

  it("names the required questions left empty", () => {
    const drafts = answerDrafts(questions, []);
    expect(missingRequired(questions, drafts)).toEqual(["q1", "q3"]);
    drafts.q1 = { choices: [1], text: "" };
    drafts.q3 = { choices: [], text: "  " };
    expect(missingRequired(questions, drafts)).toEqual(["q3"]);
  });

  it("sends each answered question with the field of its kind", () => {
    const drafts = answerDrafts(questions, []);
    drafts.q1 = { choices: [1], text: "" };
    drafts.q2 = { choices: [2, 0], text: "" };
    drafts.q3 = { choices: [], text: " 意見 " };
    drafts.q4 = { choices: [], text: "3.5" };
    drafts.q5 = { choices: [], text: "2026-12-24" };
    expect(answersInput(questions, drafts)).toEqual([
      { questionId: "q1", choices: [1] },
      { questionId: "q2", choices: [0, 2] },
      { questionId: "q3", text: "意見" },
      { questionId: "q4", number: 3.5 },
      { questionId: "q5", date: "2026-12-24" },
    ]);
  });

  it("single choice replaces, multiple choice adds and removes", () => {
    expect(toggleChoice("SINGLE_CHOICE", [0], 1)).toEqual([1]);
    expect(toggleChoice("MULTIPLE_CHOICE", [0], 1)).toEqual([0, 1]);
    expect(toggleChoice("MULTIPLE_CHOICE", [0, 1], 0)).toEqual([1]);
  });
});

describe("the survey editor", () => {
  it("sends choices one a line without blanks, none for other kinds", () => {
    expect(
      questionsInput([
        { kind: "MULTIPLE_CHOICE", text: " 好きな色 ", required: true, choices: "赤\n\n 青 \n" },
        { kind: "TEXT", text: "自由", required: false, choices: "ignored" },
      ]),
    ).toEqual([
      { kind: "MULTIPLE_CHOICE", text: "好きな色", required: true, choices: ["赤", "青"] },
      { kind: "TEXT", text: "自由", required: false, choices: [] },
    ]);
  });
});

describe("results", () => {
  it("decodes the CSV's base64 into its bytes (CP932 stays bytes)", () => {
    expect(Array.from(base64Bytes("gqAsMQ0K"))).toEqual([0x82, 0xa0, 0x2c, 0x31, 0x0d, 0x0a]);
  });

  it("shows file sizes as people read them", () => {
    expect(formatSize(820)).toBe("820 B");
    expect(formatSize(12_595)).toBe("12.3 KB");
    expect(formatSize(4_718_592)).toBe("4.5 MB");
  });

  it("gives shares as whole percentages, 0 when nobody answered", () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(0, 0)).toBe(0);
  });
});

describe("the council screens", () => {
  it("show an answer as its choices' names or its text", () => {
    const choice = {
      kind: "MULTIPLE_CHOICE" as const,
      choices: ["令和7年度", "令和8年度", "未定"],
    };
    expect(answerText(choice, { choices: [0, 2] })).toBe("令和7年度、未定");
    expect(answerText(choice, { choices: [9] })).toBe("");
    expect(answerText({ kind: "TEXT", choices: [] }, { text: "課題なし" })).toBe("課題なし");
    expect(answerText({ kind: "NUMBER", choices: [] }, undefined)).toBe("");
  });

  it("offer sending to administrators and council liaisons only", () => {
    expect(mayMessageCouncil(["STAFF", "COUNCIL_LIAISON"])).toBe(true);
    expect(mayMessageCouncil(["TENANT_ADMIN"])).toBe(true);
    expect(mayMessageCouncil(["STAFF", "FACILITY_ADMIN"])).toBe(false);
    expect(mayMessageCouncil(undefined)).toBe(false);
  });
});
