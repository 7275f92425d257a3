import fc from "fast-check";
import { isUtf8 } from "node:buffer";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { storageRequestFromJsonBytes, storageRequestFromObject } from "../../src/collect/storage-records.js";
import { detectFormat } from "../../src/collect/formats.js";
import { NOT_HANDLED } from "../../src/collect/record-location.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import {
  accountFromResourceId,
  parseLoggedTime,
  sameTextIgnoringCase,
  withoutPort,
} from "../../src/collect/values.js";
import { stripPort, type StorageRequest } from "../../src/model/storage-request.js";
import {
  storageRequestsToArchiveJsonLines,
  storageRequestsToCsv,
  storageRequestsToLogAnalyticsJsonArray,
  storageRequestsToLogsApiJson,
  storageRequestsToNdjson,
  writeArchiveTree,
} from "../sim/forms.js";
import { archiveLine, defined, gz, readStorage, storageRequestArb, tempDir } from "./helpers.js";

const FORMS: Record<string, (rs: StorageRequest[]) => string | Buffer> = {
  "LA JSON array (strings)": (rs) => storageRequestsToLogAnalyticsJsonArray(rs),
  "LA JSON array (native types, no ServiceType)": (rs) =>
    storageRequestsToLogAnalyticsJsonArray(rs, { nativeTypes: true, omitServiceType: true, pretty: false }),
  NDJSON: (rs) => storageRequestsToNdjson(rs, { quoteUserAgent: true, omitType: true }),
  CSV: (rs) => storageRequestsToCsv(rs),
  "portal CSV": (rs) => storageRequestsToCsv(rs, { portal: true, omitServiceType: true }),
  "Logs API": (rs) => storageRequestsToLogsApiJson(rs),
  "archive JSON Lines": (rs) => storageRequestsToArchiveJsonLines(rs),
  "archive JSON Lines without account/service": (rs) =>
    storageRequestsToArchiveJsonLines(rs, { omitAccountAndService: true }),
  "gzipped NDJSON": (rs) => gz(storageRequestsToNdjson(rs)),
};

describe("round trip: write every form, read back the same requests", () => {
  for (const [name, write] of Object.entries(FORMS)) {
    it(name, async () => {
      const dir = await tempDir();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(storageRequestArb, { maxLength: 12 }), async (requests) => {
          const file = join(dir, `input-${run++}`);
          await writeFile(file, write(requests));
          const { records, rejections } = await readStorage([file]);
          expect(rejections.samples).toEqual([]);
          expect(records.map(defined)).toEqual(requests);
        }),
        { numRuns: 60 },
      );
    });
  }

  it("archive tree", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(storageRequestArb, { minLength: 1, maxLength: 12 }), async (requests) => {
        const root = await tempDir();
        await writeArchiveTree(requests, root);
        const { records, rejections } = await readStorage([root]);
        expect(rejections.count).toBe(0);
        const key = (r: Partial<StorageRequest>) =>
          JSON.stringify(Object.entries(defined(r)).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
        expect(records.map(key).sort()).toEqual(requests.map(key).sort());
      }),
      { numRuns: 25 },
    );
  });
});

/** Physical lines as the splitter sees them, minus blank ones (only spaces, tabs, CRs). */
function countNonBlankLines(bytes: Buffer): number {
  let b = bytes;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
  let count = 0;
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 0x0a) {
      let blank = true;
      for (let j = start; j < i; j++) if (b[j] !== 0x20 && b[j] !== 0x09 && b[j] !== 0x0d) blank = false;
      if (!blank) count++;
      start = i + 1;
    }
  }
  return count;
}

/** Random damage to a valid file: byte flips, inserted junk (incl. newlines and invalid UTF-8), cuts. */
const mutation = fc.array(
  fc.record({
    at: fc.nat(),
    kind: fc.constantFrom("flip", "insert", "delete", "cut"),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
  }),
  { minLength: 1, maxLength: 6 },
);

function mutate(source: Buffer, edits: { at: number; kind: string; bytes: Uint8Array }[]): Buffer {
  let b = Buffer.from(source);
  for (const e of edits) {
    if (b.length === 0) break;
    const at = e.at % b.length;
    if (e.kind === "flip") b[at] = e.bytes[0]!;
    else if (e.kind === "insert") b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
    else if (e.kind === "delete") b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.bytes.length)]);
    else b = b.subarray(0, at);
  }
  return b;
}

function validShape(r: StorageRequest): boolean {
  return (
    Number.isFinite(r.timeMs) &&
    typeof r.account === "string" &&
    r.account.length > 0 &&
    ["blob", "queue", "table", "file"].includes(r.service) &&
    typeof r.operation === "string" &&
    (r.statusCode === null || Number.isInteger(r.statusCode)) &&
    typeof r.statusText === "string" &&
    typeof r.authType === "string"
  );
}

/**
 * Records a JSON Lines file holds: one per non-blank line, except a line of two or more JSON objects
 * run together (`jq -j -c .`), which holds each of them. A reference model, independent of the scanner:
 * an object's text ends at the first `}` whose prefix parses.
 */
function objectsRunTogether(line: string): number {
  const isSpace = (ch: string) => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
  let pos = 0;
  let count = 0;
  while (pos < line.length) {
    if (line[pos] !== "{") return 1;
    let end = -1;
    for (let k = line.indexOf("}", pos); k >= 0; k = line.indexOf("}", k + 1)) {
      try {
        JSON.parse(line.slice(pos, k + 1));
        end = k + 1;
        break;
      } catch {
        // not yet the end of this object
      }
    }
    if (end < 0) return 1;
    count++;
    pos = end;
    while (pos < line.length && isSpace(line[pos]!)) pos++;
  }
  return count >= 2 ? count : 1;
}

function countJsonLinesRecords(bytes: Buffer): number {
  let b = bytes;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
  let n = 0;
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i < b.length && b[i] !== 0x0a) continue;
    const line = b.subarray(start, i);
    start = i + 1;
    if (countNonBlankLines(line) === 0) continue;
    // A line that is not UTF-8 is rejected whole.
    n += isUtf8(line) ? objectsRunTogether(line.toString("utf8")) : 1;
  }
  return n;
}

describe("fuzzing: no input crashes the run, every record is accounted for", () => {
  it("JSON Lines: yielded + rejected = non-blank lines, for mutated valid files and raw bytes", async () => {
    const dir = await tempDir();
    let checked = 0;
    let run = 0;
    const valid = fc
      .array(storageRequestArb, { minLength: 1, maxLength: 8 })
      .map((rs) =>
        Buffer.from(
          rs.map((_, i) => archiveLine({ operationName: `Op${i}` })).join("\n") +
            "\n" +
            storageRequestsToNdjson(rs),
        ),
      );
    const input = fc.oneof(
      fc.tuple(valid, mutation).map(([b, m]) => mutate(b, m)),
      fc.uint8Array({ maxLength: 400 }).map((u) => Buffer.concat([Buffer.from("{"), u])),
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const file = join(dir, `f${run++}`);
        await writeFile(file, bytes);
        const { records, rejections } = await readStorage([file]);
        for (const r of records) expect(validShape(r)).toBe(true);
        const form = detectFormat(bytes, true);
        if (form === "json-lines") {
          checked++;
          expect(records.length + rejections.count).toBe(countJsonLinesRecords(bytes));
        } else if (form === "json-objects") {
          // Objects spread over lines: no line count to match, but never nothing said about them.
          expect(records.length + rejections.count).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(150);
  });

  it("CSV: yielded + rejected covers every record line when no quotes are involved", async () => {
    const dir = await tempDir();
    let run = 0;
    const valid = fc
      .array(storageRequestArb, { minLength: 1, maxLength: 8 })
      .map((rs) => Buffer.from(storageRequestsToCsv(rs).replace(/"/g, "'")));
    await fc.assert(
      fc.asyncProperty(valid, mutation, async (source, edits) => {
        const bytes = mutate(source, edits).filter((c) => c !== 0x22);
        const data = Buffer.from(bytes);
        if (data.length === 0 || data[0] === 0x7b || data[0] === 0x5b) return;
        const file = join(dir, `f${run++}.csv`);
        await writeFile(file, data);
        const { records, rejections } = await readStorage([file]);
        for (const r of records) expect(validShape(r)).toBe(true);
        const lines = countNonBlankLines(data);
        if (lines === 0) return;
        // The header is one of the lines: either accepted silently or rejected with every row.
        expect([lines - 1, lines]).toContain(records.length + rejections.count);
      }),
      { numRuns: 200 },
    );
  });

  it("JSON array, Logs API and arbitrary bytes: never throw, only valid records come out", async () => {
    const dir = await tempDir();
    let run = 0;
    const requests = fc.array(storageRequestArb, { minLength: 1, maxLength: 6 });
    const input = fc.oneof(
      fc
        .tuple(requests, mutation)
        .map(([rs, m]) => mutate(Buffer.from(storageRequestsToLogAnalyticsJsonArray(rs)), m)),
      fc.tuple(requests, mutation).map(([rs, m]) => mutate(Buffer.from(storageRequestsToLogsApiJson(rs)), m)),
      fc.tuple(requests, mutation).map(([rs, m]) => mutate(gz(storageRequestsToArchiveJsonLines(rs)), m)),
      fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u)),
      fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.concat([Buffer.from("["), u])),
      fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.concat([Buffer.from('{"tables":[{"columns":'), u])),
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const file = join(dir, `f${run++}`);
        await mkdir(dir, { recursive: true });
        await writeFile(file, bytes);
        const { records, rejections } = await readStorage([file]);
        for (const r of records) expect(validShape(r)).toBe(true);
        expect(rejections.count).toBeGreaterThanOrEqual(0);
        expect(rejections.samples.every((s) => s.file === file && s.line >= 1 && s.field.length > 0)).toBe(
          true,
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("fast path agrees with JSON.parse", () => {
  // The fast path only takes ASCII lines.
  const asciiRequest = storageRequestArb.map(
    (r) => JSON.parse(JSON.stringify(r).replace(/[^ -~]/g, "x")) as StorageRequest,
  );
  const lineArb = fc.oneof(
    asciiRequest.map((r) => Buffer.from(storageRequestsToArchiveJsonLines([r]).trim())),
    asciiRequest.map((r) => Buffer.from(storageRequestsToNdjson([r], { nativeTypes: true }).trim())),
    fc
      .tuple(asciiRequest, mutation)
      .map(([r, m]) => mutate(Buffer.from(storageRequestsToArchiveJsonLines([r]).trim()), m)),
    fc
      .tuple(asciiRequest, mutation)
      .map(([r, m]) => mutate(Buffer.from(storageRequestsToNdjson([r]).trim()), m)),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
    fc.object().map((v) => Buffer.from(JSON.stringify({ ...v, time: "2024-01-01T00:00:00Z" }))),
  );

  it("gives the same record or the same rejection, and never accepts what JSON.parse refuses", () => {
    let compared = 0;
    fc.assert(
      fc.property(lineArb, (bytes) => {
        const text = bytes.toString("latin1");
        if (!bytes.every((c) => c < 0x80) || text.includes("\n")) return;
        const at = { file: "f", line: 1 };
        const fastSink = new RejectionCollector();
        const fast = storageRequestFromJsonBytes(bytes, 0, bytes.length, text, at, fastSink);
        if (fast === NOT_HANDLED) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Known leniency: raw control characters inside long strings are not looked for.
          expect([...text].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(true);
          return;
        }
        expect(parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)).toBe(true);
        compared++;
        const slowSink = new RejectionCollector();
        const slow = storageRequestFromObject(parsed as Record<string, unknown>, at, slowSink);
        expect(fast === undefined ? undefined : defined(fast)).toEqual(
          slow === undefined ? undefined : defined(slow),
        );
        expect(fastSink.samples).toEqual(slowSink.samples);
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: most generated lines take the fast path.
    expect(compared).toBeGreaterThan(600);
  });
});

describe("value helpers", () => {
  it("withoutPort equals stripPort", () => {
    const ipish = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.tuple(fc.ipV4(), fc.nat(65535)).map(([ip, p]) => `${ip}:${p}`),
      fc.tuple(fc.ipV6(), fc.nat(65535)).map(([ip, p]) => `[${ip}]:${p}`),
      fc.string({ unit: "grapheme" }),
      fc.string({ unit: fc.constantFrom(":", "[", "]", " ", "\u00a0", "1", "\u3000") }),
    );
    fc.assert(
      fc.property(ipish, (s) => {
        expect(withoutPort(s)).toBe(stripPort(s));
      }),
      { numRuns: 3000 },
    );
  });

  it("accountFromResourceId reads the first storageAccounts segment in any casing", () => {
    // The reading it must give: lower-case the id, take the first segment.
    const reference = (id: string) => {
      const at = id.toLowerCase().indexOf("/storageaccounts/");
      if (at < 0) return undefined;
      const rest = id.slice(at + "/storageaccounts/".length);
      const acct = rest.includes("/") ? rest.slice(0, rest.indexOf("/")) : rest;
      return acct.length > 0 ? acct : undefined;
    };
    const part = fc.oneof(
      fc.constantFrom("/storageAccounts/", "/STORAGEACCOUNTS/", "/storageaccounts/", "/StorageAccounts/"),
      fc.constantFrom(
        "/subscriptions/s",
        "/resourceGroups/rg",
        "/providers/Microsoft.Storage",
        "/blobServices",
      ),
      fc.stringMatching(/^[a-z0-9/]{0,8}$/),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 8 }), (parts) => {
        const id = parts.join("");
        expect(accountFromResourceId(id)).toBe(reference(id));
      }),
      { numRuns: 3000 },
    );
  });

  it("sameTextIgnoringCase says what comparing the lower-cased texts says", () => {
    // Letters, the characters a case bit away from them, and characters whose lower case is longer,
    // shorter or not ASCII.
    const char = fc.constantFrom(..."aAzZmM09@[`{_-/İiıIßẞΣσςKK".split(""));
    const text = fc.array(char, { maxLength: 10 }).map((cs) => cs.join(""));
    const pair = fc.oneof(
      fc.tuple(text, text),
      text.chain((t) =>
        fc.tuple(
          fc.constant(t),
          fc
            .array(fc.boolean(), { minLength: t.length, maxLength: t.length })
            .map((up) => [...t].map((c, i) => (up[i] ? c.toUpperCase() : c.toLowerCase())).join("")),
        ),
      ),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(sameTextIgnoringCase(a, b), `${a} ${b}`).toBe(a.toLowerCase() === b.toLowerCase());
      }),
      { numRuns: 5000 },
    );
    expect(sameTextIgnoringCase("stprod01", "STPROD01")).toBe(true);
    expect(sameTextIgnoringCase("a@", "a`")).toBe(false);
  });

  it("parses ISO times with any fractional digits like Date.parse, and portal times", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date(Date.UTC(1971, 0, 1)),
          max: new Date(Date.UTC(2099, 0, 1)),
          noInvalidDate: true,
        }),
        (d) => {
          const iso = d.toISOString();
          expect(parseLoggedTime(iso)).toBe(d.getTime());
          expect(parseLoggedTime(iso.replace("Z", "4567Z"))).toBe(d.getTime());
          expect(parseLoggedTime(iso.replace("Z", "+00:00"))).toBe(d.getTime());
          expect(parseLoggedTime(iso.replace("Z", ""))).toBe(d.getTime());
        },
      ),
      { numRuns: 2000 },
    );
    // Rows of one hour in any order, as an hourly archive file holds them (the parser remembers the hour),
    // with seconds and minutes past 59 that must stay invalid.
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 61 }),
            fc.integer({ min: 0, max: 61 }),
            fc.integer({ min: 0, max: 9_999_999 }),
          ),
          { minLength: 1, maxLength: 40 },
        ),
        fc.integer({ min: 0, max: 23 }),
        (times, hour) => {
          for (const [mi, sec, frac] of times) {
            const two = (n: number) => String(n).padStart(2, "0");
            const text = `2024-05-01T${two(hour)}:${two(mi)}:${two(sec)}.${String(frac).padStart(7, "0")}Z`;
            const expected =
              mi > 59 || sec > 59 ? NaN : Date.UTC(2024, 4, 1, hour, mi, sec, Math.floor(frac / 10_000));
            expect(parseLoggedTime(text)).toBe(expected);
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(parseLoggedTime("5/23/2024, 8:41:12.283 PM")).toBe(Date.UTC(2024, 4, 23, 20, 41, 12, 283));
    expect(parseLoggedTime("5/23/2024, 12:01:00 AM")).toBe(Date.UTC(2024, 4, 23, 0, 1, 0));
    expect(parseLoggedTime("2024-05-01T10:00:00+02:00")).toBe(Date.UTC(2024, 4, 1, 8));
    for (const bad of [
      "1",
      "yesterday",
      "2024-13-01T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2024-05-01T10:00:00Zjunk",
      "",
    ])
      expect(parseLoggedTime(bad)).toBeNaN();
  });
});
