import fc from "fast-check";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compileFieldSet,
  extractFields,
  type FieldSet,
  type Latin1Buffer,
} from "../../src/collect/json-fields.js";
import { FieldLocator } from "../../src/collect/skim/field-locator.js";
import { STORAGE_FIELDS } from "../../src/collect/storage-records.js";
import {
  storageRequestsToArchiveJsonLines,
  storageRequestsToLogAnalyticsJsonArray,
  storageRequestsToNdjson,
} from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { archiveLine, storageRequestArb } from "./helpers.js";

/**
 * The field locator in WebAssembly (src/collect/skim/field-locator.ts) reads a declined line's fields
 * for the full reader: wherever it answers, it answers what the JavaScript walk (extractFields, with
 * copies) answers, and it answers for the lines Storage and its exports write.
 */

const storage = new FieldLocator(STORAGE_FIELDS);

/** A set with nested and check-only fields, as the lean reader compiles STORAGE_FIELDS' spec. */
const checkOnlySet = compileFieldSet(
  STORAGE_FIELDS.spec,
  new Set(["Uri", "uri", "identity.requester.upn", "AuthorizationDetails", "identity.authorization"]),
);
const checkOnly = new FieldLocator(checkOnlySet);

function bytesOf(line: string): Latin1Buffer {
  return Buffer.from(line, "latin1") as Latin1Buffer;
}

/** Same values slot by slot: equal primitives and symbols, equal JSON for parsed containers. */
function sameValues(located: unknown[], walked: unknown[] | undefined): boolean {
  if (walked === undefined || located.length !== walked.length) return false;
  for (let k = 0; k < located.length; k++) {
    const a = located[k];
    const b = walked[k];
    if (a !== null && typeof a === "object" ? JSON.stringify(a) !== JSON.stringify(b) : !Object.is(a, b))
      return false;
  }
  return true;
}

/** Checks one line (in a larger buffer, as lines come); true when the locator answered. */
function agrees(line: string, locator = storage, set: FieldSet = STORAGE_FIELDS): boolean {
  const buffer = bytesOf(`xx\n${line}\nyy`);
  const located = locator.fields(buffer, 3, 3 + line.length);
  if (located === undefined) return false;
  const walked = extractFields(buffer, 3, 3 + line.length, undefined, set, true);
  // Compared whole when they differ, for the message.
  if (!sameValues(located, walked)) expect({ line, located }).toStrictEqual({ line, located: walked });
  return true;
}

function linesOf(text: string): string[] {
  return text.split("\n").filter((l) => l.length > 0);
}

const data = generateAll({ seed: 11 });

describe("the field locator in WebAssembly", () => {
  it("answers for every line of the stories in archive and Log Analytics forms, with the JavaScript walk's values", () => {
    const forms = [
      storageRequestsToArchiveJsonLines(data.requests),
      storageRequestsToNdjson(data.requests),
      storageRequestsToNdjson(data.requests, { nativeTypes: true }),
      storageRequestsToNdjson(data.requests, { omitType: true }),
    ];
    for (const form of forms) {
      const lines = linesOf(form);
      expect(lines.length).toBeGreaterThan(1000);
      // Lines with raw bytes past ASCII are the JavaScript walk's alone; every other line is answered.
      const ascii = lines.filter((l) => /^[\x20-\x7e]*$/.test(l));
      expect(ascii.length / lines.length).toBeGreaterThan(0.9);
      for (const line of ascii) expect(agrees(line), line).toBe(true);
      for (const line of lines) agrees(line);
    }
  });

  it("answers for every line of the bundled archive samples, and for pretty-printed rows", async () => {
    const root = join(import.meta.dirname, "..", "..", "samples", "logs", "archive");
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThan(0);
    let answered = 0;
    for (const f of files)
      for (const line of linesOf(await readFile(join(root, f), "latin1"))) {
        expect(agrees(line), `${f}: ${line}`).toBe(true);
        answered++;
      }
    expect(answered).toBeGreaterThan(10);
    // Spacing and line breaks between tokens, as a pretty-printed export writes each row.
    const rows = JSON.parse(storageRequestsToLogAnalyticsJsonArray(data.requests.slice(0, 200))) as unknown[];
    for (const row of rows) expect(agrees(JSON.stringify(row, null, 2))).toBe(true);
  });

  it("agrees with the JavaScript walk on random requests, their fields typed only or read", () => {
    fc.assert(
      fc.property(fc.array(storageRequestArb, { minLength: 1, maxLength: 6 }), (requests) => {
        for (const line of [
          ...linesOf(storageRequestsToArchiveJsonLines(requests)),
          ...linesOf(storageRequestsToNdjson(requests, { nativeTypes: true })),
        ]) {
          agrees(line);
          agrees(line, checkOnly, checkOnlySet);
        }
      }),
      { numRuns: 200 },
    );
  });

  /** Keys the set reads, at the top and nested, and keys it does not. */
  const keys = fc.constantFrom(
    "time",
    "statusCode",
    "StatusCode",
    "uri",
    "Uri",
    "AuthorizationDetails",
    "identity",
    "properties",
    "requester",
    "authorization",
    "upn",
    "accountName",
    "other",
    "",
    "statusCod",
  );
  const scalar = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('"a\\"b"', '"\\u0041\\n"', '"\\/"', '"\\x"', '"\\u00g1"', '"bad\u0001"', '"caf\u00e9"'),
    fc.integer().map(String),
    fc.constantFrom("0", "-0", "1.5e3", "1E-2", "-12.25", "01", "1.", "-", "1e", "401", "12345678901234567"),
    fc.constantFrom("true", "false", "null", "nul", "tru", "falsy"),
  );
  const raw: fc.Arbitrary<string> = fc.letrec<{ value: string; object: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      scalar.map((s) => (s.startsWith('"') || /^[-0-9tfn]/.test(s) ? s : JSON.stringify(s))),
      tie("object"),
      fc.array(tie("value"), { maxLength: 3 }).map((items) => `[${items.join(",")}]`),
    ),
    object: fc
      .array(fc.tuple(keys, tie("value"), fc.constantFrom("", " ", "\t", "\r\n  ")), { maxLength: 6 })
      .map((entries) => `{${entries.map(([k, v, sp]) => `${sp}"${k}"${sp}:${sp}${v}`).join(",")}}`),
  })).object;

  it("never answers otherwise than the JavaScript walk, whatever the line", () => {
    let answered = 0;
    fc.assert(
      fc.property(
        raw,
        fc.constantFrom("", " ", "\t ", "\r"),
        fc.nat(),
        fc.nat(255),
        (object, space, at, byte) => {
          // Spacing around the object too, as some writers leave it.
          const line = space + object + space;
          if (agrees(line)) answered++;
          agrees(line, checkOnly, checkOnlySet);
          // One byte changed: mostly broken lines, which the locator must refuse or read as the walk does.
          const cut = at % (line.length + 1);
          agrees(line.slice(0, cut) + String.fromCharCode(byte) + line.slice(cut + 1));
          agrees(line.slice(0, cut) + line.slice(cut + 1));
        },
      ),
      { numRuns: 3000 },
    );
    // The generated lines are mostly well formed: the comparison ran on many answers.
    expect(answered).toBeGreaterThan(500);
  });

  it("takes a later value of a field over an earlier one, but not a null, as the walk does", () => {
    const line =
      '{"StatusCode":401,"StatusCode":"403","Uri":"a","Uri":null,"identity":{"type":"x"},"identity":null}';
    expect(agrees(line)).toBe(true);
    const vals = storage.fields(bytesOf(line), 0, line.length)!;
    expect(vals[STORAGE_FIELDS.names.indexOf("StatusCode")]).toBe("403");
    expect(vals[STORAGE_FIELDS.names.indexOf("Uri")]).toBe("a");
    expect(vals[STORAGE_FIELDS.names.indexOf("identity.type")]).toBe("x");
  });

  it("reads escaped strings, numbers, booleans and containers as JSON.parse does", () => {
    const line =
      '{"Uri":"https://a/b?c=\\"d\\"\\u00e9","StatusCode":4.03e2,"RequesterUpn":true,' +
      '"AuthorizationDetails":[{"action":"read","roleAssignmentId":null}],"identity":{"authorization":{}}}';
    expect(agrees(line)).toBe(true);
    const vals = storage.fields(bytesOf(line), 0, line.length)!;
    const at = (name: string) => vals[STORAGE_FIELDS.names.indexOf(name)];
    expect(at("Uri")).toBe('https://a/b?c="d"é');
    expect(at("StatusCode")).toBe(403);
    expect(at("RequesterUpn")).toBe(true);
    expect(at("AuthorizationDetails")).toStrictEqual([{ action: "read", roleAssignmentId: null }]);
    expect(at("identity.authorization")).toStrictEqual({});
  });

  it("leaves to the walk the lines it does not vouch for, which the walk still reads", () => {
    for (const line of [
      // A raw control character and a byte past ASCII in a string.
      '{"Uri":"a\u0001b","StatusCode":403}',
      '{"Uri":"caf\u00e9","StatusCode":403}',
      // Nested deeper than the module goes.
      `{"other":${"[".repeat(40)}${"]".repeat(40)},"StatusCode":403}`,
    ]) {
      const buffer = bytesOf(line);
      expect(storage.fields(buffer, 0, line.length), line).toBeUndefined();
      expect(extractFields(buffer, 0, line.length, undefined, STORAGE_FIELDS, true), line).toBeDefined();
    }
    // Not JSON, or not an object: neither reads it.
    for (const line of ['{"StatusCode":403', '["StatusCode",403]', '{"StatusCode":403} x', ""]) {
      expect(storage.fields(bytesOf(line), 0, line.length), line).toBeUndefined();
      expect(
        extractFields(bytesOf(line), 0, line.length, undefined, STORAGE_FIELDS, true),
        line,
      ).toBeUndefined();
    }
  });

  it("reads lines longer than its memory held before", () => {
    const line = archiveLine({
      statusCode: 403,
      uri: `https://a.blob.core.windows.net/c/${"x".repeat(3_000_000)}`,
    });
    expect(agrees(line)).toBe(true);
    expect(agrees(archiveLine({ statusCode: 401 }))).toBe(true);
  });
});
