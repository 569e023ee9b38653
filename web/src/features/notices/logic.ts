// Pure pieces of the notices screens (information, circulation, surveys): what the forms
// send, how a body typed as plain text becomes the allowed HTML, what an answer lacks.
// Kept free of React so vitest checks them directly.

export type Importance = "URGENT" | "HIGH" | "NORMAL" | "LOW";
export const IMPORTANCES: readonly Importance[] = ["URGENT", "HIGH", "NORMAL", "LOW"];

/** Escape text for HTML (element content and attribute values). */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * A body typed in a plain text area as the server's allowed HTML: a blank line starts a
 * paragraph, a single line break stays a line break. Nothing typed becomes markup.
 */
export function textToHtml(text: string): string {
  const paragraphs = text
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t\u3000]*\n+/)
    .map((paragraph) => paragraph.replace(/^\n+|\n+$/g, ""))
    .filter((paragraph) => paragraph.trim() !== "");
  return paragraphs
    .map((paragraph) => `<p>${paragraph.split("\n").map(escapeHtml).join("<br>")}</p>`)
    .join("");
}

/** Elements a sanitised body may show; anything else is shown as its text only. */
export const ALLOWED_TAGS: ReadonlySet<string> = new Set([
  "p",
  "br",
  "strong",
  "b",
  "em",
  "i",
  "u",
  "s",
  "ul",
  "ol",
  "li",
  "a",
  "h3",
  "h4",
  "blockquote",
  "pre",
  "code",
  "hr",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
]);

/** Whether a link target may be followed: web, mail and same-site addresses only. */
export function safeHref(href: string | null | undefined): string | null {
  if (!href) return null;
  const value = href.trim();
  if (/^(https?:|mailto:)/i.test(value)) return value;
  if (/^[/#?]/.test(value) && !value.startsWith("//")) return value;
  return null;
}

export interface AudienceDepartmentDraft {
  id: string;
  name: string;
  includeSubDepartments: boolean;
}

export interface AudienceDraft {
  everyone: boolean;
  departments: AudienceDepartmentDraft[];
  groupIds: string[];
  persons: { id: string; name: string }[];
}

export const EMPTY_AUDIENCE: AudienceDraft = {
  everyone: false,
  departments: [],
  groupIds: [],
  persons: [],
};

/** The API's AudienceInput for what the picker holds. */
export function audienceInput(draft: AudienceDraft) {
  return {
    everyone: draft.everyone,
    departments: draft.departments.map((d) => ({
      id: d.id,
      includeSubDepartments: d.includeSubDepartments,
    })),
    groupIds: [...draft.groupIds],
    personIds: draft.persons.map((p) => p.id),
  };
}

/** Whether nobody has been chosen yet (the server would answer NO_RECIPIENTS). */
export function audienceIsEmpty(draft: AudienceDraft): boolean {
  return (
    !draft.everyone &&
    draft.departments.length === 0 &&
    draft.groupIds.length === 0 &&
    draft.persons.length === 0
  );
}

/** A Japan-time date and time of a form as the API's DateTime; empty: none. */
export function localDateTime(date: string, time: string): string | null {
  if (!date) return null;
  return `${date}T${time || "00:00"}:00+09:00`;
}

// --- surveys -------------------------------------------------------------------------------

export type QuestionKind = "SINGLE_CHOICE" | "MULTIPLE_CHOICE" | "TEXT" | "NUMBER" | "DATE";
export const QUESTION_KINDS: readonly QuestionKind[] = [
  "SINGLE_CHOICE",
  "MULTIPLE_CHOICE",
  "TEXT",
  "NUMBER",
  "DATE",
];

export function isChoice(kind: QuestionKind): boolean {
  return kind === "SINGLE_CHOICE" || kind === "MULTIPLE_CHOICE";
}

export interface QuestionDraft {
  kind: QuestionKind;
  text: string;
  required: boolean;
  /** One choice a line, as typed. */
  choices: string;
}

/** The API's SurveyQuestionInput list: choices one a line, blank lines dropped. */
export function questionsInput(drafts: readonly QuestionDraft[]) {
  return drafts.map((draft) => ({
    kind: draft.kind,
    text: draft.text.trim(),
    required: draft.required,
    choices: isChoice(draft.kind)
      ? draft.choices
          .split("\n")
          .map((choice) => choice.trim())
          .filter((choice) => choice !== "")
      : [],
  }));
}

export interface Question {
  id: string;
  kind: QuestionKind;
  required: boolean;
  choices: readonly string[];
}

/** An answer as the form holds it: chosen indexes, or the text of the input. */
export interface AnswerDraft {
  choices: number[];
  text: string;
}

/** The form's starting state from my earlier answers (the API sends numbers as text). */
export function answerDrafts(
  questions: readonly Question[],
  mine: readonly { questionId: string; choices?: readonly number[] | null; text?: string | null }[],
): Record<string, AnswerDraft> {
  const byQuestion = new Map(mine.map((answer) => [answer.questionId, answer]));
  const drafts: Record<string, AnswerDraft> = {};
  for (const question of questions) {
    const answer = byQuestion.get(question.id);
    drafts[question.id] = { choices: [...(answer?.choices ?? [])], text: answer?.text ?? "" };
  }
  return drafts;
}

/** Questions marked required that the draft leaves empty, in order. */
export function missingRequired(
  questions: readonly Question[],
  drafts: Record<string, AnswerDraft>,
): string[] {
  return questions
    .filter((question) => question.required)
    .filter((question) => {
      const draft = drafts[question.id];
      if (!draft) return true;
      return isChoice(question.kind) ? draft.choices.length === 0 : draft.text.trim() === "";
    })
    .map((question) => question.id);
}

/** The API's SurveyAnswerInput list: each answered question with the field of its kind. */
export function answersInput(questions: readonly Question[], drafts: Record<string, AnswerDraft>) {
  const answers: {
    questionId: string;
    choices?: number[];
    text?: string;
    number?: number;
    date?: string;
  }[] = [];
  for (const question of questions) {
    const draft = drafts[question.id];
    if (!draft) continue;
    if (isChoice(question.kind)) {
      if (draft.choices.length > 0) {
        answers.push({
          questionId: question.id,
          choices: [...draft.choices].sort((a, b) => a - b),
        });
      }
      continue;
    }
    const text = draft.text.trim();
    if (text === "") continue;
    if (question.kind === "NUMBER") answers.push({ questionId: question.id, number: Number(text) });
    else if (question.kind === "DATE") answers.push({ questionId: question.id, date: text });
    else answers.push({ questionId: question.id, text });
  }
  return answers;
}

/** A choice toggled in a draft: single choice replaces, multiple choice adds or removes. */
export function toggleChoice(
  kind: QuestionKind,
  chosen: readonly number[],
  index: number,
): number[] {
  if (kind === "SINGLE_CHOICE") return [index];
  return chosen.includes(index) ? chosen.filter((i) => i !== index) : [...chosen, index];
}

/** The bytes of a base64 string (the CSV export comes so). */
export function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** What share of the answers a count is, as a whole percentage (0 when none answered). */
export function percent(count: number, total: number): number {
  return total > 0 ? Math.round((count / total) * 100) : 0;
}

/** A stored body back as plain text for the text area (a draft opened again). */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>\s*<p[^>]*>/gi, "\n\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .trim();
}

// A file's size as people read it: shared with mail (web/src/ui/files.tsx).
export { formatSize } from "../../ui/files";

/** Whether these roles may send to the council: administrators and council liaisons. */
export function mayMessageCouncil(roles: readonly string[] | null | undefined): boolean {
  return (roles ?? []).some((role) => role === "TENANT_ADMIN" || role === "COUNCIL_LIAISON");
}

/** An answer as a cell shows it: chosen choices' names joined with 、, or its text. */
export function answerText(
  question: { kind: QuestionKind; choices: readonly string[] },
  answer: { choices?: readonly number[] | null; text?: string | null } | undefined,
): string {
  if (!answer) return "";
  if (isChoice(question.kind)) {
    return (answer.choices ?? [])
      .map((index) => question.choices[index])
      .filter((choice) => choice !== undefined)
      .join("、");
  }
  return answer.text ?? "";
}
