import { describe, expect, it } from "vitest";
import { actionKey, auditChanges, auditVariables, NO_FILTER, periodIsBackwards } from "./audit";

describe("the audit screen's filter", () => {
  it("asks for whole Japan-time days, the end day included", () => {
    expect(
      auditVariables({ since: "2026-04-01", until: "2026-04-30", actor: " 0656 ", action: "" }),
    ).toEqual({
      since: "2026-04-01T00:00:00+09:00",
      until: "2026-05-01T00:00:00+09:00",
      actor: "0656",
      action: null,
    });
    expect(auditVariables(NO_FILTER)).toEqual({
      since: null,
      until: null,
      actor: null,
      action: null,
    });
  });

  it("finds a period that ends before it starts", () => {
    expect(periodIsBackwards({ ...NO_FILTER, since: "2026-04-02", until: "2026-04-01" })).toBe(
      true,
    );
    expect(periodIsBackwards({ ...NO_FILTER, since: "2026-04-01", until: "2026-04-01" })).toBe(
      false,
    );
  });
});

describe("before → after", () => {
  it("lines up the fields of both sides", () => {
    expect(
      auditChanges('{"roles": ["STAFF"]}', '{"roles": ["STAFF", "TENANT_ADMIN"], "x": 1}'),
    ).toEqual([
      { field: "roles", before: '["STAFF"]', after: '["STAFF","TENANT_ADMIN"]' },
      { field: "x", before: null, after: "1" },
    ]);
  });

  it("says nothing for a record without state (a sign-in)", () => {
    expect(auditChanges(null, null)).toEqual([]);
  });

  it("names known actions and leaves unknown ones as codes", () => {
    expect(actionKey("signin.failed")).toBe("admin.audit.action.signin.failed");
    expect(actionKey("something.new")).toBeNull();
  });
});
