import { describe, expect, it } from "vitest";
import { loadMunicipalities, matchMunicipalities, namedMunicipality } from "./municipalities";

const ALL = [
  { code: "401005", name: "北九州市", slug: "kitakyushu" },
  { code: "402125", name: "大川市", slug: "okawa" },
  { code: "406210", name: "苅田町", slug: "kanda" },
];

describe("matchMunicipalities", () => {
  it("matches the start of a code, typed in any width", () => {
    expect(matchMunicipalities(ALL, "40").map((m) => m.code)).toEqual([
      "401005",
      "402125",
      "406210",
    ]);
    expect(matchMunicipalities(ALL, "４０６").map((m) => m.code)).toEqual(["406210"]);
  });

  it("matches a part of the name and the start of the short name, any case", () => {
    expect(matchMunicipalities(ALL, "大川").map((m) => m.code)).toEqual(["402125"]);
    expect(matchMunicipalities(ALL, "九州").map((m) => m.code)).toEqual(["401005"]);
    expect(matchMunicipalities(ALL, "Ka").map((m) => m.code)).toEqual(["406210"]);
    expect(matchMunicipalities(ALL, "ＯＫＡ").map((m) => m.code)).toEqual(["402125"]);
  });

  it("offers everything for an empty field, nothing for a stranger", () => {
    expect(matchMunicipalities(ALL, " ")).toHaveLength(3);
    expect(matchMunicipalities(ALL, "tokyo")).toEqual([]);
    expect(matchMunicipalities(ALL, "40", 2)).toHaveLength(2);
  });
});

describe("namedMunicipality", () => {
  it("names the municipality of a complete code or short name only", () => {
    expect(namedMunicipality(ALL, "402125")?.name).toBe("大川市");
    expect(namedMunicipality(ALL, " Kanda ")?.name).toBe("苅田町");
    expect(namedMunicipality(ALL, "4021")).toBeUndefined();
  });
});

describe("loadMunicipalities", () => {
  it("reads the list, and gives none when the server cannot", async () => {
    const ok = async () => new Response(JSON.stringify({ municipalities: ALL }), { status: 200 });
    expect(await loadMunicipalities(ok as typeof fetch)).toEqual(ALL);
    const down = async () => {
      throw new TypeError("network");
    };
    expect(await loadMunicipalities(down as typeof fetch)).toEqual([]);
    const refused = async () => new Response("no", { status: 503 });
    expect(await loadMunicipalities(refused as typeof fetch)).toEqual([]);
  });
});
