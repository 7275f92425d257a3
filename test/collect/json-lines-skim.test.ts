import fc from "fast-check";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { skimSuccessRecord, skimSuccessRow } from "../../src/collect/skim/json-lines-skim.js";
import { NOT_HANDLED } from "../../src/collect/record-location.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { LEAN_REQUEST_FIELDS } from "../../src/collect/storage-columns.js";
import {
  leanStorageRequestFromJsonBytes,
  storageRequestFromObject,
} from "../../src/collect/storage-records.js";
import { isAuthFailure, type StorageRequest } from "../../src/model/storage-request.js";
import { storageRequestsToArchiveJsonLines, storageRequestsToNdjson, toArchiveRecord } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { archiveLine, storageRequestArb } from "./helpers.js";

/**
 * The key-search reader of success rows (src/collect/skim/json-lines-skim.ts) is held to the full reader,
 * line by line: whenever it answers, the full reader keeps the row, it is not a 401/403, and every field
 * the engine reads of a success row is the same. It may decline anything; it must answer for the lines
 * Storage and the exports write, or it would be no fast path.
 */

const at = { file: "line", line: 1 };

/** JSON as Python's json.dumps writes it by default: `", "` between members, `": "` after keys. */
function pythonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonDumps).join(", ")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonDumps(v)}`)
      .join(", ")}}`;
  return JSON.stringify(value);
}

/** `value` with the keys of every object sorted, as `jq -S` writes it. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(obj)
      .sort()
      .map((k) => [k, sortedKeys(obj[k])]),
  );
}

/** A line with its keys sorted, as `jq -S -c` writes it. */
const sortedLine = (line: string) => JSON.stringify(sortedKeys(JSON.parse(line)));

/** What the full reader makes of one line: the record, or undefined when it rejects it. */
function fullReading(line: string): StorageRequest | undefined {
  const sink = new RejectionCollector(10);
  const bytes = Buffer.from(line, "utf8");
  if (bytes.length === line.length) {
    const r = leanStorageRequestFromJsonBytes(bytes, 0, bytes.length, line, at, sink);
    if (r !== NOT_HANDLED) return r;
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  return storageRequestFromObject(value as Record<string, unknown>, at, sink);
}

const LEAN = new Set<string>(LEAN_REQUEST_FIELDS);
const leanOf = (r: StorageRequest) => Object.fromEntries(Object.entries(r).filter(([k]) => LEAN.has(k)));

type Skim = (text: string) => StorageRequest | undefined;

/**
 * Whether the skim answered for `written` (the line, or its record written otherwise); when it did, it
 * agrees with the full reader's reading of the line.
 */
function expectAgrees(line: string, written = line, skim: Skim = skimSuccessRow): boolean {
  const skimmed = skim(written);
  if (skimmed === undefined) return false;
  const full = fullReading(line);
  expect(full, written).toBeDefined();
  expect(isAuthFailure(full!)).toBe(false);
  expect(leanOf(skimmed), written).toEqual(leanOf(full!));
  for (const [k, v] of Object.entries(skimmed)) if (!LEAN.has(k)) expect(v, k).toBeUndefined();
  return true;
}

/**
 * Every line agrees, each written as `write` gives it and read by `skim`; returns how many success lines
 * the skim answered, and how many there were.
 */
function checkLines(
  text: string,
  write = (line: string) => line,
  skim: Skim = skimSuccessRow,
): { answered: number; successes: number } {
  let answered = 0;
  let successes = 0;
  for (const line of text.split("\n")) {
    if (!line) continue;
    const full = fullReading(line);
    if (full && !isAuthFailure(full)) successes++;
    if (expectAgrees(line, write(line), skim)) answered++;
  }
  return { answered, successes };
}

const data = generateAll({ seed: 7 });

describe("the key-search reader of success rows", () => {
  it("reads every success row of the stories' archive JSON Lines as the full reader does", () => {
    const { answered, successes } = checkLines(storageRequestsToArchiveJsonLines(data.requests));
    expect(successes).toBeGreaterThan(1000);
    // Rows with escapes in their values are left to the full reader; the rest are read here.
    expect(answered / successes).toBeGreaterThan(0.95);
  });

  it("reads Log Analytics NDJSON (text and native types, with or without Type) as the full reader does", () => {
    for (const o of [{}, { nativeTypes: true }, { omitType: true }]) {
      const { answered, successes } = checkLines(storageRequestsToNdjson(data.requests, o));
      expect(successes).toBeGreaterThan(1000);
      expect(answered / successes).toBeGreaterThan(0.95);
    }
  });

  it("reads rows and records spaced as Python's json.dumps writes them, as the full reader does", () => {
    // `{"TimeGenerated": "…", "AccountName": "…"}`: what a script that exports rows, or saves the records
    // of downloaded PT1H.json blobs, with json.dumps writes (`"identity": {"type": "SAS", …}`).
    const spaced = (text: string) =>
      text
        .split("\n")
        .map((line) => (line ? pythonDumps(JSON.parse(line)) : line))
        .join("\n");
    for (const text of [
      storageRequestsToNdjson(data.requests),
      storageRequestsToArchiveJsonLines(data.requests),
    ]) {
      const read = checkLines(spaced(text));
      expect(read.successes).toBeGreaterThan(1000);
      expect(read.answered / read.successes).toBeGreaterThan(0.95);
    }
    // `identity` spaced otherwise, its first key not `type`, or blanks before a colon inside it.
    const record = JSON.parse(storageRequestsToArchiveJsonLines(data.requests.slice(0, 1)).trim()) as {
      identity: { type: string };
    };
    const line = pythonDumps(record);
    expect(expectAgrees(line)).toBe(true);
    expect(expectAgrees(line.replace('"identity": {"type"', '"identity": { "type"'))).toBe(true);
    expect(expectAgrees(line.replace('"identity": {"type"', '"identity":\t{"type"'))).toBe(true);
    const { type, ...rest } = record.identity;
    expect(expectAgrees(pythonDumps({ ...record, identity: { ...rest, type } }))).toBe(true);
    expect(expectAgrees(line.replace('"identity": {"type"', '"identity": {"type" '))).toBe(true);
    fc.assert(
      fc.property(fc.array(storageRequestArb, { minLength: 1, maxLength: 8 }), (requests) => {
        checkLines(spaced(storageRequestsToNdjson(requests, { nativeTypes: true })));
        checkLines(spaced(storageRequestsToArchiveJsonLines(requests)));
      }),
      { numRuns: 100 },
    );
  });

  it("reads records pretty-printed (az output, jq .) as the full reader reads them", () => {
    /** Each line's record written out with `indent` (and CRLF), through the skim of whole records. */
    const checkRecords = (text: string, indent: string | number, crlf: boolean) =>
      checkLines(
        text,
        (line) => {
          const pretty = JSON.stringify(JSON.parse(line), null, indent);
          return crlf ? pretty.replaceAll("\n", "\r\n") : pretty;
        },
        skimSuccessRecord,
      );
    for (const text of [
      storageRequestsToArchiveJsonLines(data.requests),
      storageRequestsToNdjson(data.requests),
      storageRequestsToNdjson(data.requests, { nativeTypes: true }),
    ])
      for (const [indent, crlf] of [
        [2, false],
        ["\t", true],
        [1, false],
      ] as const) {
        const read = checkRecords(text, indent, crlf);
        expect(read.successes).toBeGreaterThan(1000);
        expect(read.answered / read.successes).toBeGreaterThan(0.95);
      }
    fc.assert(
      fc.property(
        fc.array(storageRequestArb, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (requests, crlf) => {
          checkRecords(storageRequestsToArchiveJsonLines(requests), 2, crlf);
          checkRecords(storageRequestsToNdjson(requests, { nativeTypes: true }), 2, crlf);
        },
      ),
      { numRuns: 100 },
    );
    // Whitespace that compacting would turn into a value is left alone, and so are raw control
    // characters in strings: neither record is JSON, and the full reader refuses both.
    const record = JSON.stringify(
      JSON.parse(storageRequestsToArchiveJsonLines(data.requests.slice(0, 1))),
      null,
      2,
    );
    expect(skimSuccessRecord(record)).toBeDefined();
    for (const broken of [
      record.replace(/"durationMs": (\d+)/, '"durationMs": $1 0'),
      record.replace(/"statusCode": (\d+)/, '"statusCode": 2 $1'),
      record.replace('"protocol": "HTTPS"', '"protocol": "HTTPS" "x"'),
      record.replace('"protocol": "HTTPS"', '"protocol": "HT\tTPS"'),
      record.replace('"protocol": "HTTPS"', '"protocol": "HT\nTPS"'),
      record.replace('"protocol": "HTTPS"', '"protocol": "HT\\\nTPS"'),
      record.replace('"protocol": "HTTPS"', '"protocol": "HTTPS'),
    ]) {
      expect(broken).not.toBe(record);
      expect(() => JSON.parse(broken), broken).toThrow();
      expect(skimSuccessRecord(broken), broken).toBeUndefined();
    }
  });

  it("reads the bundled archive samples as the full reader does", async () => {
    const root = join(import.meta.dirname, "..", "..", "samples", "logs", "archive");
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThan(0);
    let answered = 0;
    let sortedAnswered = 0;
    for (const f of files) {
      const text = await readFile(join(root, f), "utf8");
      answered += checkLines(text).answered;
      sortedAnswered += checkLines(text, sortedLine).answered;
    }
    expect(answered).toBeGreaterThan(0);
    // With their keys sorted, as `jq -S` writes them, the same rows are read.
    expect(sortedAnswered).toBe(answered);
  });

  it("reads records whose keys are sorted (jq -S, sort_keys), as the full reader does", () => {
    // Sorted, `identity.type` comes after identity's other members and `resourceId` after `identity`.
    for (const text of [
      storageRequestsToArchiveJsonLines(data.requests),
      storageRequestsToNdjson(data.requests, { nativeTypes: true }),
    ]) {
      const { answered, successes } = checkLines(text, sortedLine);
      expect(successes).toBeGreaterThan(1000);
      expect(answered / successes).toBeGreaterThan(0.95);
    }
    const base = JSON.parse(archiveLine({ statusCode: 200, statusText: "Success" })) as Record<
      string,
      unknown
    >;
    const identity = base.identity as Record<string, unknown>;
    const delegated = { resourceId: "/subscriptions/d/x", objectId: "d", tenantId: "t" };
    const principals = [{ action: "a", principals: [{ id: "p", type: "User" }], type: "RBAC" }];
    const line = (record: Record<string, unknown>) => JSON.stringify(sortedKeys(record));
    // Read: a delegated request (a `resourceId` inside identity, the record's own after it), an
    // authorization whose principals carry their own `type`.
    expect(expectAgrees(line({ ...base, identity: { ...identity, delegatedResource: delegated } }))).toBe(
      true,
    );
    expect(expectAgrees(line({ ...base, identity: { ...identity, authorization: principals } }))).toBe(true);
    // Agreeing, whatever is read: no `resourceId` but the delegated one, no `type` in identity or only a
    // nested one, identity empty, or not an object.
    const { resourceId: _, ...noResourceId } = base;
    const { type: __, ...untyped } = identity;
    for (const v of [
      { ...noResourceId, identity: { ...identity, delegatedResource: delegated } },
      { ...base, identity: untyped },
      { ...base, identity: { ...untyped, authorization: principals } },
      { ...base, identity: { ...untyped, delegatedResource: { ...delegated, type: "OAuth" } } },
      { ...base, identity: {} },
      { ...base, identity: [identity] },
    ])
      expectAgrees(line(v));
    fc.assert(
      fc.property(fc.array(storageRequestArb, { minLength: 1, maxLength: 8 }), (requests) => {
        checkLines(storageRequestsToArchiveJsonLines(requests), sortedLine);
        checkLines(storageRequestsToNdjson(requests, { nativeTypes: true }), sortedLine);
      }),
      { numRuns: 100 },
    );
  });

  it("reads a success row the skim declines from its bytes, without its text, as the full reader does", () => {
    // The engine offers a declined ASCII line as bytes first (JsonLinesParser.declined): the lean reader
    // then locates its fields in the module. Keys sorted as `jq -S` and Python's sort_keys write them are
    // what the skim declines most (`identity.type` last in `identity`, `resourceId` after it).
    const fromBytes: Skim = (text) => {
      const bytes = Buffer.from(`x\n${text}\n`, "latin1");
      if (!/^[\x20-\x7e]*$/.test(text)) return undefined;
      const r = leanStorageRequestFromJsonBytes(
        bytes,
        2,
        2 + text.length,
        undefined,
        at,
        new RejectionCollector(1),
      );
      return r === NOT_HANDLED || r === undefined || isAuthFailure(r) ? undefined : r;
    };
    for (const text of [
      storageRequestsToArchiveJsonLines(data.requests),
      storageRequestsToNdjson(data.requests, { nativeTypes: true }),
    ]) {
      const { answered, successes } = checkLines(text, sortedLine, fromBytes);
      expect(successes).toBeGreaterThan(1000);
      expect(answered / successes).toBeGreaterThan(0.95);
      expect(checkLines(text, (line) => line, fromBytes).answered / successes).toBeGreaterThan(0.95);
    }
    fc.assert(
      fc.property(fc.array(storageRequestArb, { minLength: 1, maxLength: 8 }), (requests) => {
        checkLines(storageRequestsToArchiveJsonLines(requests), sortedLine, fromBytes);
        checkLines(storageRequestsToNdjson(requests, { nativeTypes: true }), sortedLine, fromBytes);
      }),
      { numRuns: 100 },
    );
  });

  it("agrees with the full reader on random requests in both shapes, in any order", () => {
    fc.assert(
      fc.property(fc.array(storageRequestArb, { minLength: 1, maxLength: 8 }), (requests) => {
        checkLines(storageRequestsToArchiveJsonLines(requests));
        checkLines(storageRequestsToNdjson(requests, { nativeTypes: true }));
      }),
      { numRuns: 200 },
    );
  });

  const success = {
    ...toArchiveRecord(data.requests.find((r) => r.statusCode === 200 && r.requesterObjectId)!),
  };

  it("answers for a real-shaped archive success row, and declines what it cannot vouch for", () => {
    const line = archiveLine({ statusCode: 200, statusText: "Success" });
    expect(expectAgrees(line)).toBe(true);
    expect(expectAgrees(line.replace(/":/g, '": '))).toBe(true);
    const declined = [
      archiveLine({ statusCode: 403 }),
      archiveLine({ statusCode: "Unknown" }),
      archiveLine({ statusCode: 200 }) + archiveLine({ statusCode: 200 }),
      archiveLine({ statusCode: 200 }).slice(0, -1),
      archiveLine({ statusCode: 200, operationName: 7 }),
      archiveLine({ statusCode: 200, callerIpAddress: 10 }),
      archiveLine({ statusCode: 200, uri: 'https://a/"quoted"' }),
      archiveLine({ statusCode: 200, time: "yesterday" }),
      archiveLine({ statusCode: 200, properties: { accountName: "other", serviceType: "blob" } }),
    ];
    for (const l of declined) expect(skimSuccessRow(l), l).toBeUndefined();
  });

  it("takes an AccountName that names its resource id's account in any case, and no other, in any order", () => {
    const id = "/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/ACCT1";
    const named = (accountName: string) =>
      archiveLine({ statusCode: 200, resourceId: id, properties: { accountName, serviceType: "blob" } });
    // The same resource id with names that agree and names that do not, each after the others: what
    // was decided for one name is never taken for another.
    for (const order of [
      ["acct1", "acct2", "Acct1", "acct2"],
      ["acct2", "acct1", "acct2", "ACCT1"],
    ])
      for (const accountName of order) {
        const agrees = accountName.toLowerCase() === "acct1";
        expect(expectAgrees(named(accountName)), accountName).toBe(agrees);
        if (agrees) expect(skimSuccessRow(named(accountName))!.account).toBe(accountName);
      }
  });

  it("reads rows whose ETag is logged in its quotes, as Storage logs every ETag", () => {
    // The ETag is logged with its quotes (the Etag column is "in quotes"; `"\"0x8D…\""` in resource
    // logs), so nearly every real success row holds two backslashes; ConditionsUsed may add more, and an
    // export that writes a dynamic column as JSON text (AuthorizationDetails) dozens. Declined, they
    // took the full reader: a real archive or export ran at less than half the speed.
    const etag = '"0x8DA5A9118CDE874"';
    const archive = JSON.parse(archiveLine({ statusCode: 200, statusText: "Success" })) as {
      properties: Record<string, unknown>;
    };
    archive.properties = { ...archive.properties, etag, conditionsUsed: `If-Match=${etag}` };
    const logAnalytics = {
      TimeGenerated: "2024-05-01T10:00:00.1234567Z",
      AccountName: "acct1",
      Location: "westeurope",
      Type: "StorageBlobLogs",
      OperationName: "GetBlob",
      StatusCode: "200",
      StatusText: "Success",
      CallerIpAddress: "10.1.2.3:58555",
      Etag: etag,
      AuthenticationType: "AccountKey",
      AuthenticationHash: "key1(ABCDEF)",
      Uri: "https://acct1.blob.core.windows.net:443/c/b.json",
      ServiceType: "blob",
      ConditionsUsed: `If-None-Match=${etag}`,
      AuthorizationDetails: JSON.stringify([
        {
          action: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
          roleAssignmentId: "7e791906-bf5b-4760-a662-fc11b73f208e",
          roleDefinitionId: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
          principals: [{ id: "4b40799f-c15a-45ed-a0e1-b4a2869af48e", type: "ServicePrincipal" }],
          denyAssignmentId: "",
          type: "RBAC",
          result: "Granted",
          reason: "Policy",
        },
      ]),
      _ResourceId:
        "/subscriptions/0000/resourcegroups/rg/providers/microsoft.storage/storageaccounts/acct1/blobservices/default",
    };
    for (const line of [JSON.stringify(archive), JSON.stringify(logAnalytics)]) {
      expect(line).toContain('\\"0x8DA5A9118CDE874\\"');
      expect(expectAgrees(line), line).toBe(true);
    }
  });

  it("answers as the full reader for lines with escapes in the fields it does not read", () => {
    const base = JSON.parse(archiveLine({ statusCode: 200, statusText: "Success" })) as Record<
      string,
      Record<string, unknown>
    >;
    // Fields a success row does not use, at the top and in `properties`.
    const UNREAD_TOP = ["category", "correlationId", "schemaVersion", "location", "protocol"];
    const UNREAD_PROPERTIES = ["etag", "clientRequestId", "conditionsUsed", "lastModifiedTime"];
    // Escapes that look like what the skim searches for: quotes, keys, a backslash before a quote.
    const escaped = fc.oneof(
      fc.string({ unit: "binary-ascii", maxLength: 8 }),
      fc.constantFrom(
        '"',
        "\\",
        '\\"',
        '"statusCode":403',
        '\\"statusCode\\":403',
        '","statusCode":403,"x":"',
      ),
    );
    const unread = escaped.filter((t) => !/[{}]/.test(t));
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...UNREAD_TOP), unread, { maxKeys: 3 }),
        fc.dictionary(fc.constantFrom(...UNREAD_PROPERTIES), unread, { maxKeys: 3 }),
        (top, properties) => {
          const line = JSON.stringify({ ...base, ...top, properties: { ...base.properties, ...properties } });
          expect(expectAgrees(line), line).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
    // A key after a backslash may be an escaped quote in a string, or a key of its own: declined.
    const trickyKeys = ['a"statusCode', "x\\", '"operationName', "statusCode\\"];
    for (const key of trickyKeys) {
      expectAgrees(JSON.stringify({ [key]: 403, ...base }));
      expectAgrees(JSON.stringify({ ...base, [key]: 403 }));
    }
    // Keys of any text, escapes and the searched keys' names in them, before and after the fields read.
    const key = fc.oneof(
      fc.string({ unit: "binary-ascii", maxLength: 12 }),
      fc.constantFrom(...trickyKeys, 'q"uri', 'p"time', 'z\\"identity'),
    );
    fc.assert(
      fc.property(
        fc.dictionary(key, unread, { maxKeys: 2 }),
        fc.dictionary(key, unread, { maxKeys: 2 }),
        fc.dictionary(key, unread, { maxKeys: 2 }),
        (before, after, properties) => {
          const extra = { ...before, ...base, ...after, properties: { ...properties, ...base.properties } };
          expectAgrees(JSON.stringify(extra));
        },
      ),
      { numRuns: 400 },
    );
    expect(skimSuccessRow(JSON.stringify({ 'a"statusCode': 403, ...base }))).toBeUndefined();
  });

  it("agrees on random lines: escapes, quotes and searched names in any other key or value", () => {
    // Keys the skim reads, in either layout, and containers whose nesting it trusts (see skimSuccessRow)
    // are left to the tests above; everything else may hold anything, in a compact or a spaced line.
    const searched = ["statusCode", "StatusCode", "time", "TimeGenerated", "uri", "Uri", "identity", "type"];
    const more = [
      "requester",
      "objectId",
      "accountName",
      "AccountName",
      "serviceType",
      "ServiceType",
      "etag",
    ];
    const names = [...searched, ...more, "resourceId", "_ResourceId", "userAgentHeader", "UserAgentHeader"];
    const read = new Set([
      ...names,
      ...["callerIpAddress", "CallerIpAddress", "operationName", "OperationName", "Type", "properties"],
      ...["tokenHash", "AuthenticationType", "AuthenticationHash", "statusText", "StatusText"],
      ...["operationVersion", "OperationVersion", "RequesterObjectId", "delegatedResource"],
    ]);
    const piece = fc.oneof(
      fc.constantFrom(...names),
      fc.constantFrom('"', "\\", ":", ",", "{", "}", " ", '\\"', '":'),
      fc.string({ unit: "binary-ascii", maxLength: 4 }),
    );
    const text = fc.array(piece, { maxLength: 5 }).map((p) => p.join(""));
    const key = text.filter((k) => !read.has(k));
    const value = fc.oneof(text, fc.integer(), fc.constant(null), fc.dictionary(key, text, { maxKeys: 2 }));
    const archive = JSON.parse(archiveLine({ statusCode: 200, statusText: "Success" })) as object;
    let answered = 0;
    const logAnalytics = JSON.parse(
      storageRequestsToNdjson([data.requests.find((r) => r.statusCode === 200 && r.userAgent)!]).trim(),
    ) as object;
    fc.assert(
      fc.property(
        fc.constantFrom(archive, logAnalytics),
        fc.dictionary(key, value, { maxKeys: 3 }),
        fc.dictionary(key, value, { maxKeys: 3 }),
        fc.boolean(),
        (row, before, after, spaced) => {
          const line = JSON.stringify({ ...before, ...row, ...after });
          if (expectAgrees(spaced ? pythonDumps(JSON.parse(line)) : line)) answered++;
        },
      ),
      { numRuns: 2000 },
    );
    // Not vacuous: most lines with an escape outside the fields read are still read.
    expect(answered).toBeGreaterThan(200);
  });

  it("reads a record laid out as Storage documents it (uri before identity, delegatedResource last)", () => {
    // The documented field order of a resource log entry, with an OAuth identity whose authorization
    // entries carry their own `type` and conditions, and a delegated resource with its own resourceId
    // and objectId after the requester.
    const record = {
      time: "2026-11-20T09:00:03.6020000Z",
      resourceId:
        "/subscriptions/6e602fb4-9b4f-4afe-afe3-0c1e76057539/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stdocs01/blobServices/default",
      category: "StorageWrite",
      operationName: "PutBlob",
      operationVersion: "2025-01-05",
      schemaVersion: "1.0",
      statusCode: 201,
      statusText: "Success",
      durationMs: 5,
      callerIpAddress: "192.0.2.10:51000",
      correlationId: "0a6f65ed-c26a-003a-42a1-0f34a4000000",
      location: "westeurope",
      uri: "https://stdocs01.blob.core.windows.net:443/c/b.txt?timeout=10",
      identity: {
        type: "OAuth",
        tokenHash: "F2F073C9702F5975E4167F6E6E9804DA48766743DB19D5AE7DB26AF7BCD8F922",
        authorization: [
          {
            action: "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
            roleAssignmentId: "a1",
            roleDefinitionId: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
            principals: [{ id: "p1", type: "ServicePrincipal" }],
            denyAssignmentId: "",
            type: "",
            result: "Granted",
            reason: "Policy",
            conditionsUsed: { "Microsoft.Storage/storageAccounts/blobServices/containers:name": "c" },
          },
        ],
        requester: {
          appId: "7e791906-bf5b-4760-a662-fc11b73f208e",
          audience: "https://storage.azure.com/",
          objectId: "4b40799f-c15a-45ed-a0e1-b4a2869af48e",
          tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
          tokenIssuer: "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
        },
        delegatedResource: { tenantId: "t2", resourceId: "/subscriptions/x/delegated", objectId: "d1" },
      },
      properties: {
        accountName: "stdocs01",
        requestUrl: "https://stdocs01.blob.core.windows.net:443/c/b.txt?timeout=10",
        userAgentHeader: "azsdk-net-Storage.Blobs/12.22.2 (.NET 8.0.10; Microsoft Windows 10.0.20348)",
        referrerHeader: "",
        clientRequestId: "11ca0d6e-4ecc-dfc7-95f5-06f01414060c",
        etag: '"0x8DCC2CD9D9D588A"',
        serverLatencyMs: 4,
        serviceType: "blob",
        operationCount: 0,
        requestHeaderSize: 2658,
        conditionsUsed: "",
      },
      protocol: "HTTPS",
      resourceType: "Microsoft.Storage/storageAccounts/blobServices",
    };
    const line = JSON.stringify(record);
    expect(expectAgrees(line)).toBe(true);
    const r = skimSuccessRow(line)!;
    expect([r.requesterObjectId, r.resourceId, r.authType]).toEqual([
      record.identity.requester.objectId,
      record.resourceId,
      "OAuth",
    ]);
  });

  it("reads nested keys only where the full reader does", () => {
    const base = JSON.parse(archiveLine({ statusCode: 200, statusText: "Success" })) as Record<
      string,
      unknown
    >;
    const identity = base.identity as Record<string, unknown>;
    const variants: Array<Record<string, unknown>> = [
      // `type` not first in identity, authorization (with principals' own `type`) before requester.
      {
        ...base,
        identity: {
          tokenHash: "X",
          authorization: [{ principals: [{ id: "p", type: "User" }] }],
          type: "OAuth",
        },
      },
      {
        ...base,
        identity: { ...identity, delegatedResource: { resourceId: "/subscriptions/x", objectId: "d" } },
      },
      {
        ...base,
        identity: {
          type: "OAuth",
          delegatedResource: { resourceId: "/x", objectId: "d" },
          requester: { objectId: "o" },
        },
      },
      { ...base, identity: { type: "SAS", tokenHash: "key1(AB),SasSignature(CD)" }, resourceId: undefined },
      { ...base, identity: { type: "OAuth", requester: null } },
      { ...base, identity: null },
      {
        ...base,
        identity: { type: "OAuth", requester: { appId: "a", nested: { objectId: "n" }, objectId: "o" } },
      },
      // A nested object whose braces share a 16-byte block; a requester without objectId, one follows it.
      { ...base, identity: { type: "OAuth", requester: { n: {}, objectId: "o" } } },
      {
        ...base,
        identity: {
          type: "OAuth",
          requester: { appId: "7e791906-bf5b-4760-a662-fc11b73f208e", tenantId: "t" },
          delegatedResource: { objectId: "d" },
        },
      },
      { identity: base.identity, ...base },
      { properties: base.properties, uri: base.uri, ...base },
    ];
    for (const v of variants) expectAgrees(JSON.stringify(v));
    expect(expectAgrees(JSON.stringify(variants[3]))).toBe(true);
  });

  const CONTAINERS = new Set(["identity", "properties"]);
  const READ_KEYS = [
    ...CONTAINERS,
    ...["time", "resourceId", "operationName", "operationVersion", "statusCode", "statusText"],
    // Not TimeGenerated: a line starting as an archive record is trusted to have none.
    ...["callerIpAddress", "uri", "StatusCode", "AccountName", "Type"],
  ];

  it("agrees with the full reader on lines reordered, cut, run together or with odd values", () => {
    const keys = Object.keys(success);
    // Braces in values could pair up a cut line's braces again (see skimSuccessRow).
    const text = (maxLength: number) => fc.string({ maxLength }).filter((t) => !/[{}]/.test(t));
    const value = fc.oneof(
      fc.constant(null),
      fc.constant(""),
      fc.integer(),
      fc.boolean(),
      text(6),
      fc.constantFrom("200", "403", "Unknown", "2024-05-01T10:00:00Z", "blob", "StorageBlobLogs"),
      fc.record({ type: text(3), objectId: text(3) }),
    );
    const mangle = fc.record({
      order: fc.shuffledSubarray(keys, { minLength: keys.length, maxLength: keys.length }),
      drop: fc.subarray(keys, { maxLength: 3 }),
      // Fields it reads (a success row's other fields are not checked: see skimSuccessRow).
      set: fc.dictionary(fc.constantFrom(...READ_KEYS), value, { maxKeys: 2 }),
      // Not a key written twice (`,"statusCode":403}`): trusted not to occur (see skimSuccessRow).
      tail: fc.constantFrom("", "}", " ", '{"time":"x"}', '{"statusCode":403}', ',{"statusCode":403}'),
    });
    fc.assert(
      fc.property(mangle, ({ order, drop, set, tail }) => {
        const rec: Record<string, unknown> = {};
        for (const k of order) if (!drop.includes(k)) rec[k] = success[k];
        // Storage's nesting is trusted (see skimSuccessRow): a container is present, absent or null.
        for (const [k, v] of Object.entries(set)) rec[k] = CONTAINERS.has(k) ? null : v;
        const json = JSON.stringify(rec);
        const line = tail.startsWith(",") ? json.slice(0, -1) + tail : json + tail;
        expectAgrees(line);
      }),
      { numRuns: 500 },
    );
  });
});
