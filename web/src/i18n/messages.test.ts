import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import codes from "./api-codes.json";
import en from "./en.json";
import ja from "./ja.json";
import { errorMessage, translate } from "./messages";

const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff]/;

describe("message catalogues", () => {
  it("has a Japanese and an English message for every error code the API returns", () => {
    // api-codes.json is kept complete by tests/web/test_contract.py on the Python side.
    const missingJa = codes.filter((code) => !(`error.${code}` in ja));
    const missingEn = codes.filter((code) => !(`error.${code}` in en));
    expect(missingJa).toEqual([]);
    expect(missingEn).toEqual([]);
    expect(codes).toContain("ROOM_CONFLICT");
    expect(codes).toContain("UNAUTHENTICATED");
    for (const code of codes) {
      expect(JAPANESE.test(errorMessage("ja", code)), code).toBe(true);
    }
  });

  it("has the same keys in English as in Japanese", () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(ja).sort());
  });

  it("fills placeholders and falls back for unknown codes", () => {
    expect(translate("ja", "error.retryAfter", { seconds: 30 })).toBe(
      "30秒後にもう一度お試しください。",
    );
    expect(errorMessage("ja", "SOMETHING_NEW")).toBe(ja["error.unknown"]);
    expect(errorMessage("en", "ROOM_CONFLICT")).toBe(en["error.ROOM_CONFLICT"]);
  });
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "gql" || name === "i18n" ? [] : sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

describe("components", () => {
  it("have no Japanese literals: text comes from the catalogues", () => {
    const root = join(import.meta.dirname, "..");
    const offenders = sources(root).filter((path) =>
      readFileSync(path, "utf-8")
        .split("\n")
        .some((line) => JAPANESE.test(line) && !/^(\/\/|\/\*|\*)/.test(line.trim())),
    );
    expect(offenders).toEqual([]);
  });
});
