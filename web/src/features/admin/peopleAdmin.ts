// Pure parts of the people administration screens (passwords, CSV import, roles), tested
// without a browser.

/** The file's bytes as base64, the way importCsv's contentBase64 takes them. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  // In slices: String.fromCharCode with a whole file's bytes as arguments overflows the stack.
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

/** A base64 answer (a CSV file) as bytes for a download. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// /graphql takes bodies up to 1,000,000 bytes; base64 makes a file a third larger. A
// municipality's staff file (a few thousand rows) is far smaller.
export const MAX_IMPORT_BYTES = 700_000;

export interface Department {
  id: string;
  name: string;
  depth: number;
}

/** Departments as options of a select, indented by their place in the tree (in tree order). */
export function departmentOptions(
  departments: readonly Department[],
): { id: string; label: string }[] {
  return departments.map((d) => ({
    id: d.id,
    // U+3000 (the full-width space) indents as Japanese lists do.
    label: `${"\u3000".repeat(Math.max(0, d.depth))}${d.name}`,
  }));
}

export type IssueMode = "department" | "withoutPassword";

export interface IssueInput {
  organizationId?: string;
  onlyWithoutPassword: boolean;
}

/** What issueInitialPasswords is asked for the choice on the screen; null when incomplete. */
export function issueInput(
  mode: IssueMode,
  departmentId: string,
  onlyWithoutPassword: boolean,
): IssueInput | null {
  if (mode === "withoutPassword") return { onlyWithoutPassword: true };
  if (!departmentId) return null;
  return { organizationId: departmentId, onlyWithoutPassword };
}

export interface CsvRow {
  key: string;
  name: string;
}

export interface CsvChangedRow extends CsvRow {
  changes: readonly { field: string; before: string; after: string }[];
}

export interface ImportPreview {
  addedRows: readonly CsvRow[];
  updatedRows: readonly CsvRow[];
  deactivatedRows: readonly CsvRow[];
  notFromImportRows: readonly CsvRow[];
  unchangedCount: number;
  errors: readonly { line?: number | null; code: string }[];
}

/** The counts a preview leads with, and whether it may be imported as it is. */
export function previewSummary(preview: ImportPreview): {
  added: number;
  updated: number;
  deactivated: number;
  unchanged: number;
  kept: number;
  errors: number;
  importable: boolean;
} {
  const errors = preview.errors.length;
  const writes =
    preview.addedRows.length + preview.updatedRows.length + preview.deactivatedRows.length;
  return {
    added: preview.addedRows.length,
    updated: preview.updatedRows.length,
    deactivated: preview.deactivatedRows.length,
    unchanged: preview.unchangedCount,
    kept: preview.notFromImportRows.length,
    errors,
    importable: errors === 0 && writes > 0,
  };
}

// Columns and flags a change can name (importCsv's CsvFieldChange.field), in the order the
// screen lists them; anything else is shown by its own name.
export const CHANGE_FIELDS = [
  "code",
  "login_id",
  "name",
  "name_kana",
  "parent_code",
  "department_code",
  "additional_department_codes",
  "email",
  "title",
  "title_code",
  "extension",
  "sort_order",
  "is_active",
  "source",
] as const;
export type ChangeField = (typeof CHANGE_FIELDS)[number];

export function isChangeField(field: string): field is ChangeField {
  return (CHANGE_FIELDS as readonly string[]).includes(field);
}

/** Errors in file order (the whole file's first), so the list reads like the file. */
export function errorsByLine<T extends { line?: number | null }>(errors: readonly T[]): T[] {
  return [...errors].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

export const ASSIGNABLE_ROLES = ["TENANT_ADMIN", "FACILITY_ADMIN", "COUNCIL_LIAISON"] as const;
export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];

/** Whether a role (Person.roles) is one an administrator grants (so it has a name to show). */
export function isAssignableRole(role: string): role is AssignableRole {
  return (ASSIGNABLE_ROLES as readonly string[]).includes(role);
}

/** The roles setRoles is sent: the ticked assignable ones (everyone is staff anyway). */
export function rolesToSave(ticked: ReadonlySet<string>): AssignableRole[] {
  return ASSIGNABLE_ROLES.filter((role) => ticked.has(role));
}
