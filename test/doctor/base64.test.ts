import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64, decodeBase64Utf8 } from "../../src/doctor/base64.js";

/** The doctor's browser-safe base64 must decode exactly as Node's Buffer did before it replaced it. */
describe("decodeBase64", () => {
  it("matches Buffer on standard and URL-safe base64 of any bytes, padded or not", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), fc.boolean(), (bytes, urlSafe, pad) => {
        let text = Buffer.from(bytes).toString(urlSafe ? "base64url" : "base64");
        if (!pad) text = text.replace(/=+$/, "");
        expect(decodeBase64(text)).toEqual(new Uint8Array(Buffer.from(text, "base64")));
      }),
      { numRuns: 500 },
    );
  });

  it("matches Buffer on arbitrary text (white space, stray characters, early padding)", () => {
    const chars = fc.constantFrom(..."ABCXYZabcxyz0189+/-_= \n\t.$é");
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 80 }), (text) => {
        expect(decodeBase64(text)).toEqual(new Uint8Array(Buffer.from(text, "base64")));
      }),
      { numRuns: 1000 },
    );
  });

  it("decodes UTF-8 like Buffer's toString, replacing invalid sequences", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = Buffer.from(bytes).toString("base64url");
        expect(decodeBase64Utf8(text)).toBe(Buffer.from(text, "base64").toString("utf8"));
      }),
    );
    expect(decodeBase64Utf8("eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0")).toBe(
      '{"aud":"https://storage.azure.com"}',
    );
  });
});
