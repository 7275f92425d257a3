import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonStreamScanner, type CaptureProblem, type JsonFrame } from "../../src/collect/json-scanner.js";

/**
 * The stream scanner finds where each captured object or array closes in WebAssembly
 * (src/collect/skim/container-ends.ts), carrying its walk (depth, inside a string, after a backslash)
 * from one push to the next. Held to the elements themselves: however the input is cut into pushes,
 * whatever strings hold (brackets, quotes, backslashes, text past ASCII), each element is captured whole
 * and exactly, and an element over the size cap is refused without losing the ones after it.
 */

interface Captured {
  text?: string;
  problem?: CaptureProblem;
}

/** A scanner of a top-level array capturing its elements, and what it captured. */
function arrayScanner(maxValueBytes?: number): { scanner: JsonStreamScanner; captured: Captured[] } {
  const captured: Captured[] = [];
  const scanner = new JsonStreamScanner(
    {
      decide: (frames: readonly JsonFrame[]) => (frames.length === 0 ? "descend" : "capture"),
      value: (_frames, text, problem) => captured.push(text === undefined ? { problem: problem! } : { text }),
      fail: (_frames, reason) => captured.push({ text: `failed: ${reason}` }),
    },
    maxValueBytes,
  );
  return { scanner, captured };
}

/** `bytes` cut at `cuts` (positions, any order, out of range ignored). */
function piecesOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    pieces.push(bytes.subarray(from, c));
    from = c;
  }
  return pieces;
}

const tricky = fc.constantFrom('"', "\\", "{", "}", "[", "]", '\\"', "\\\\", "é", "名", "😀", "\n", ",", ":");
const text = fc.array(fc.oneof(tricky, fc.string({ maxLength: 4 })), { maxLength: 8 }).map((p) => p.join(""));
const element = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    text,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(text, tie("value"), { maxKeys: 4 }),
  ),
})).value;
const container = fc.oneof(fc.array(element, { maxLength: 4 }), fc.dictionary(text, element, { maxKeys: 5 }));

describe("container ends in WebAssembly", () => {
  it("captures every element whole, however the input is cut and written", () => {
    fc.assert(
      fc.property(
        fc.array(container, { maxLength: 6 }),
        fc.constantFrom(undefined, 1, "\t"),
        fc.array(fc.nat(), { maxLength: 12 }),
        (elements, indent, cuts) => {
          const input = Buffer.from(JSON.stringify(elements, null, indent), "utf8");
          const { scanner, captured } = arrayScanner();
          for (const piece of piecesOf(input, cuts)) scanner.push(piece);
          scanner.end();
          expect(captured.map((c) => JSON.parse(c.text!) as unknown)).toEqual(elements);
          if (indent === undefined)
            expect(captured.map((c) => c.text)).toEqual(elements.map((e) => JSON.stringify(e)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("refuses an element over the cap and still finds where it ends", () => {
    fc.assert(
      fc.property(
        fc.array(container, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (elements, cuts) => {
          const cap = 40;
          const input = Buffer.from(JSON.stringify(elements), "utf8");
          const { scanner, captured } = arrayScanner(cap);
          for (const piece of piecesOf(input, cuts)) scanner.push(piece);
          scanner.end();
          expect(captured).toEqual(
            elements.map((e) => {
              const t = JSON.stringify(e);
              return Buffer.byteLength(t) > cap ? { problem: "too-large" } : { text: t };
            }),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads a push larger than the module holds at once, elements straddling its windows", () => {
    // Some 3 MB in one push: the module copies a read chunk (1 MiB) at a time.
    const elements = Array.from({ length: 7000 }, (_, i) => ({
      i,
      note: `{[${"x".repeat(i % 700)}\\"]} "quoted" é`,
      nested: { list: [i, `]${i}[`, { deep: "}" }] },
    }));
    const input = Buffer.from(JSON.stringify(elements), "utf8");
    expect(input.length).toBeGreaterThan(2.5 * 1024 * 1024);
    const { scanner, captured } = arrayScanner();
    scanner.push(input);
    scanner.end();
    expect(captured.map((c) => JSON.parse(c.text!) as unknown)).toEqual(elements);
  });

  it("keeps each scanner's walk apart when two read by turns", () => {
    const a = [{ a: '"}{' }, ["]", { b: "\\" }], { c: [1, 2, { d: "é]" }] }];
    const b = [{ x: "[[[" }, { y: '\\"}' }, ["z", { w: null }]];
    const inputA = Buffer.from(JSON.stringify(a));
    const inputB = Buffer.from(JSON.stringify(b, null, 1));
    const one = arrayScanner();
    const two = arrayScanner();
    // Cut every 5 bytes, so each push of one ends inside an element that the other's push follows.
    const cutsOf = (n: number) => Array.from({ length: Math.ceil(n / 5) }, (_, k) => k * 5);
    const piecesA = piecesOf(inputA, cutsOf(inputA.length));
    const piecesB = piecesOf(inputB, cutsOf(inputB.length));
    for (let k = 0; k < Math.max(piecesA.length, piecesB.length); k++) {
      if (piecesA[k]) one.scanner.push(piecesA[k]!);
      if (piecesB[k]) two.scanner.push(piecesB[k]!);
    }
    one.scanner.end();
    two.scanner.end();
    expect(one.captured.map((c) => JSON.parse(c.text!) as unknown)).toEqual(a);
    expect(two.captured.map((c) => JSON.parse(c.text!) as unknown)).toEqual(b);
  });

  it("names an element the input ends inside", () => {
    const { scanner, captured } = arrayScanner();
    scanner.push(Buffer.from('[{"a":1},{"b":"}]'));
    scanner.end();
    expect(captured).toEqual([
      { text: '{"a":1}' },
      { text: "failed: the file ends inside a value (truncated)" },
    ]);
  });
});
