import { describe, expect, it } from "vitest";
import {
  currentCursor,
  FIRST_PAGE,
  hasPrevious,
  nextPage,
  pageNumber,
  previousPage,
  range,
} from "./paging";
import { buildTree, pathTo } from "./tree";

const flat = [
  { id: "a", name: "総務部", parent: null },
  { id: "a1", name: "総務課", parent: { id: "a" } },
  { id: "a1x", name: "庶務係", parent: { id: "a1" } },
  { id: "a2", name: "財政課", parent: { id: "a" } },
  { id: "b", name: "建設部", parent: null },
  { id: "orphan", name: "旧課", parent: { id: "gone" } },
];

describe("the organisation tree", () => {
  it("nests the pre-ordered list under parents, keeping the order", () => {
    const roots = buildTree(flat);
    expect(roots.map((r) => r.organization.id)).toEqual(["a", "b", "orphan"]);
    const [first] = roots;
    expect(first?.children.map((c) => c.organization.id)).toEqual(["a1", "a2"]);
    expect(first?.children[0]?.children.map((c) => c.organization.id)).toEqual(["a1x"]);
    expect(roots[1]?.children).toEqual([]);
  });

  it("keeps a department whose parent is missing as a root", () => {
    expect(buildTree(flat).some((r) => r.organization.id === "orphan")).toBe(true);
  });

  it("gives the branches to open above a department", () => {
    expect(pathTo(flat, "a1x")).toEqual(["a", "a1", "a1x"]);
    expect(pathTo(flat, "b")).toEqual(["b"]);
    expect(pathTo(flat, "nope")).toEqual([]);
  });

  it("survives a parent cycle", () => {
    const cyclic = [
      { id: "x", name: "x", parent: { id: "y" } },
      { id: "y", name: "y", parent: { id: "x" } },
    ];
    expect(pathTo(cyclic, "x")).toEqual(["y", "x"]);
    expect(() => buildTree(cyclic)).not.toThrow();
  });
});

describe("cursor paging", () => {
  it("goes forward by endCursor and back by the cursors seen", () => {
    let pages = FIRST_PAGE;
    expect(currentCursor(pages)).toBeNull();
    expect(hasPrevious(pages)).toBe(false);
    pages = nextPage(pages, "c50");
    pages = nextPage(pages, "c100");
    expect(currentCursor(pages)).toBe("c100");
    expect(pageNumber(pages)).toBe(3);
    pages = previousPage(pages);
    expect(currentCursor(pages)).toBe("c50");
    pages = previousPage(previousPage(pages));
    expect(currentCursor(pages)).toBeNull();
    expect(pageNumber(pages)).toBe(1);
  });

  it("stays put without a cursor to go to", () => {
    expect(nextPage(FIRST_PAGE, null)).toBe(FIRST_PAGE);
  });

  it("numbers the rows shown", () => {
    const third = nextPage(nextPage(FIRST_PAGE, "x"), "y");
    expect(range(third, 20, 5)).toEqual({ from: 41, to: 45 });
    expect(range(FIRST_PAGE, 20, 0)).toEqual({ from: 0, to: 0 });
  });
});
