import { gql } from "urql";
import { describe, expect, it } from "vitest";
import { createApiClient, onPasswordChangeRequired } from "../../api/client";
import {
  base64ToBytes,
  bytesToBase64,
  departmentOptions,
  errorsByLine,
  isChangeField,
  issueInput,
  previewSummary,
  rolesToSave,
} from "./peopleAdmin";

describe("base64 for CSV files", () => {
  it("round-trips bytes that are not text, also beyond one slice", () => {
    // CP932 for a header and bytes of every value, 100,000 of them (more than a slice).
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 7) % 256);
    const text = bytesToBase64(bytes);
    expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Array.from(base64ToBytes(text))).toEqual(Array.from(bytes));
    expect(bytesToBase64(new Uint8Array([0x83, 0x8d, 0x83, 0x4f]))).toBe("g42DTw==");
  });
});

describe("departmentOptions", () => {
  it("indents by depth with full-width spaces, in the order given", () => {
    const options = departmentOptions([
      { id: "a", name: "A", depth: 0 },
      { id: "b", name: "B", depth: 2 },
    ]);
    expect(options).toEqual([
      { id: "a", label: "A" },
      { id: "b", label: "\u3000\u3000B" },
    ]);
  });
});

describe("issueInput", () => {
  it("asks for everyone without a password, or a department, never an unfinished choice", () => {
    expect(issueInput("withoutPassword", "d1", false)).toEqual({ onlyWithoutPassword: true });
    expect(issueInput("department", "", true)).toBeNull();
    expect(issueInput("department", "d1", true)).toEqual({
      organizationId: "d1",
      onlyWithoutPassword: true,
    });
    expect(issueInput("department", "d1", false)).toEqual({
      organizationId: "d1",
      onlyWithoutPassword: false,
    });
  });
});

describe("previewSummary", () => {
  const row = (key: string) => ({ key, name: key });
  it("counts and allows importing only an error-free file that changes something", () => {
    const clean = {
      addedRows: [row("1")],
      updatedRows: [row("2"), row("3")],
      deactivatedRows: [],
      notFromImportRows: [row("admin")],
      unchangedCount: 4,
      errors: [],
    };
    expect(previewSummary(clean)).toEqual({
      added: 1,
      updated: 2,
      deactivated: 0,
      unchanged: 4,
      kept: 1,
      errors: 0,
      importable: true,
    });
    expect(previewSummary({ ...clean, errors: [{ line: 3, code: "REQUIRED" }] }).importable).toBe(
      false,
    );
    expect(
      previewSummary({ ...clean, addedRows: [], updatedRows: [], deactivatedRows: [] }).importable,
    ).toBe(false);
  });

  it("lists errors in file order, the whole file's first", () => {
    const sorted = errorsByLine([
      { line: 9, code: "B" },
      { line: null, code: "A" },
      { line: 3, code: "C" },
    ]);
    expect(sorted.map((e) => e.code)).toEqual(["A", "C", "B"]);
  });

  it("knows the columns a change names", () => {
    expect(isChangeField("department_code")).toBe(true);
    expect(isChangeField("source")).toBe(true);
    expect(isChangeField("password")).toBe(false);
  });
});

describe("rolesToSave", () => {
  it("sends only the assignable roles that are ticked", () => {
    expect(rolesToSave(new Set(["STAFF", "FACILITY_ADMIN"]))).toEqual(["FACILITY_ADMIN"]);
    expect(rolesToSave(new Set(["TENANT_ADMIN", "FACILITY_ADMIN"]))).toEqual([
      "TENANT_ADMIN",
      "FACILITY_ADMIN",
    ]);
    expect(rolesToSave(new Set())).toEqual([]);
  });
});

describe("the forced password change", () => {
  const answer = (body: unknown) =>
    new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" } });
  const Portal = gql`
    query Portal {
      me {
        id
        name
      }
      holidays(start: "2026-12-01", end: "2026-12-31") {
        date
      }
    }
  `;

  it("is told to the app when any answer carries PASSWORD_CHANGE_REQUIRED, and only then", async () => {
    let calls = 0;
    const stop = onPasswordChangeRequired(() => {
      calls += 1;
    });
    const refused = {
      data: { me: { __typename: "Person", id: "p1", name: "N" }, holidays: null },
      errors: [
        { message: "choose", path: ["holidays"], extensions: { code: "PASSWORD_CHANGE_REQUIRED" } },
      ],
    };
    const client = createApiClient({
      forwardSubscription: () => ({ subscribe: () => ({ unsubscribe: () => {} }) }),
      fetch: async () => answer(refused),
    });
    await client.query(Portal, {}, { requestPolicy: "network-only" }).toPromise();
    expect(calls).toBe(1);

    const other = createApiClient({
      forwardSubscription: () => ({ subscribe: () => ({ unsubscribe: () => {} }) }),
      fetch: async () =>
        answer({ data: null, errors: [{ message: "x", extensions: { code: "FORBIDDEN" } }] }),
    });
    await other.query(Portal, {}, { requestPolicy: "network-only" }).toPromise();
    expect(calls).toBe(1);
    stop();
  });
});
