import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { containerOf } from "../../src/remedy/evidence.js";

/** What containerOf means: the second non-empty segment, a table entity's key stripped, clipped. */
function byDefinition(objectKey: string | undefined): string | undefined {
  if (!objectKey) return undefined;
  const seg = objectKey.split("/").filter((s) => s.length > 0)[1];
  if (!seg) return undefined;
  const paren = seg.indexOf("(");
  const name = paren > 0 ? seg.slice(0, paren) : seg;
  return name ? name.slice(0, 512) : undefined;
}

describe("containerOf", () => {
  it("names the container, queue, table or share of an ObjectKey", () => {
    expect(containerOf("/stprod/data/events/2024/a.json")).toBe("data");
    expect(containerOf("//stprod//data//a")).toBe("data");
    expect(containerOf("/stprod/Orders(PartitionKey='p',RowKey='r')")).toBe("Orders");
    expect(containerOf("/stprod")).toBeUndefined();
    expect(containerOf("/stprod/(x)")).toBe("(x)");
    expect(containerOf("")).toBeUndefined();
    expect(containerOf(undefined)).toBeUndefined();
  });

  it("agrees with splitting on every path", () => {
    const part = fc.constantFrom("/", "//", "a", "bc", "(", "d(e)", "x".repeat(600), "é");
    fc.assert(
      fc.property(fc.array(part, { maxLength: 8 }), (parts) => {
        const key = parts.join("");
        expect(containerOf(key)).toBe(byDefinition(key));
      }),
      { numRuns: 2000 },
    );
  });
});
