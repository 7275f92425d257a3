import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keySlotOf } from "../../src/model/storage-request.js";

describe("keySlotOf", () => {
  it("reads the key slot of an AuthenticationHash as the pattern /^\\s*(key[12])\\(/i does", () => {
    // Spaces of every kind \s takes (and one it does not), the slot in any case, what may follow.
    const part = fc.constantFrom(" ", "\t", "\u00a0", "\u2003", "\ufeff", "\u200b", "k", "K", "e", "E", "y");
    const text = fc
      .tuple(
        fc.array(part, { maxLength: 4 }),
        fc.constantFrom("key1(", "KEY2(", "Key3(", "key1", "kez2("),
        fc.string(),
      )
      .map(([lead, slot, rest]) => lead.join("") + slot + rest);
    fc.assert(
      fc.property(fc.oneof(text, fc.string()), (authHash) => {
        const m = /^\s*(key[12])\(/i.exec(authHash);
        expect(keySlotOf(authHash)).toBe(m ? m[1]!.toLowerCase() : undefined);
      }),
      { numRuns: 3000 },
    );
    expect(keySlotOf(undefined)).toBeUndefined();
    expect(keySlotOf(" key2(ABC)")).toBe("key2");
  });
});
