import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readStorageRequests } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { LEAN_REQUEST_FIELDS } from "../../src/collect/storage-columns.js";
import { storageRequestFromObject } from "../../src/collect/storage-records.js";
import { isAuthFailure, type StorageRequest } from "../../src/model/storage-request.js";
import { writeTemp } from "./helpers.js";

/**
 * Whole JSON Lines files, as writers leave them, read by the product's readers (every fast path: the
 * skim, the field locator, the byte walk, the lean records) against the plainest reading there is:
 * JSON.parse of each line, then storageRequestFromObject. Spacing around and inside the objects, CRLF,
 * text past ASCII anywhere, escapes, any key order, a last line with or without its line break.
 */

const texts = [
  "café",
  "naïve-ua/1.0",
  "名前",
  "ok",
  'x"y',
  "a\\b",
  "tab\tin",
  "ü",
  "emoji😀",
  "agent/2.0 (Linux)",
];
const text = fc.constantFrom(...texts);

const record = fc
  .record({
    status: fc.constantFrom<number | string>(200, 201, 403, 401, 404, "403", "200", 412),
    minute: fc.integer({ min: 0, max: 59 }),
    operation: fc.constantFrom("GetBlob", "PutBlob", "ListBlobs"),
    statusText: fc.constantFrom("Success", "AuthorizationFailure", "AuthorizationPermissionMismatch"),
    ip: fc.constantFrom("10.0.0.1:5000", "10.0.0.2", "[::1]:80"),
    identity: fc.option(
      fc.record({
        type: fc.constantFrom("OAuth", "SAS", "AccountKey"),
        tokenHash: fc.constantFrom("h1", "h2"),
        requester: fc.option(fc.record({ objectId: fc.constantFrom("o1", "O2"), upn: text }), {
          nil: undefined,
        }),
      }),
      { nil: undefined },
    ),
    userAgent: text,
    objectKey: text,
    uri: text,
    order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    escapes: fc.boolean(),
    spaced: fc.boolean(),
    lead: fc.constantFrom("", "", " ", "\t"),
    trail: fc.constantFrom("", "", " ", "   ", "\t"),
  })
  .map((r) => {
    const fields: Array<[string, unknown]> = [
      ["time", `2024-05-01T10:${String(r.minute).padStart(2, "0")}:07.1234567Z`],
      [
        "resourceId",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1/blobServices/default",
      ],
      ["operationName", r.operation],
      ["statusCode", r.status],
      ["statusText", r.statusText],
      ["callerIpAddress", r.ip],
      ["identity", r.identity],
      [
        "properties",
        {
          accountName: "acct1",
          serviceType: "blob",
          userAgentHeader: r.userAgent,
          objectKey: `/acct1/c/${r.objectKey}`,
        },
      ],
    ];
    fields.push(["uri", `https://acct1.blob.core.windows.net/c/${r.uri}`]);
    const ordered = fields.map((f, k) => ({ f, o: r.order[k] ?? k })).sort((a, b) => a.o - b.o);
    let line = JSON.stringify(Object.fromEntries(ordered.map((x) => x.f)), null, r.spaced ? 1 : undefined);
    if (r.spaced) line = line.replace(/\n/g, "");
    if (r.escapes) line = line.replace(/é/g, "\\u00e9");
    return r.lead + line + r.trail;
  });

async function read(file: string, lean: boolean): Promise<{ records: StorageRequest[]; rejected: number }> {
  const rejections = new RejectionCollector(10);
  const records: StorageRequest[] = [];
  for await (const r of readStorageRequests([file], { rejections, lean })) records.push({ ...r });
  return { records, rejected: rejections.count };
}

describe("JSON Lines files as writers leave them", () => {
  it("read by every fast path as JSON.parse and the record mapping read each line", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 30 }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        async (lines, eol, lastBreak) => {
          const file = await writeTemp("PT1H.json", lines.join(eol) + (lastBreak ? eol : ""));
          const sink = new RejectionCollector(10);
          const want = lines
            .map((l, k) => storageRequestFromObject(JSON.parse(l), { file, line: k + 1 }, sink))
            .filter((r): r is StorageRequest => r !== undefined);
          expect(sink.count).toBe(0);
          for (const lean of [false, true]) {
            const { records, rejected } = await read(file, lean);
            expect(rejected).toBe(0);
            expect(records).toHaveLength(want.length);
            records.forEach((got, k) => {
              const expected = want[k]!;
              // A lean record carries the fields the engine reads of a success row; the rest are undefined.
              const fields =
                lean && !isAuthFailure(expected)
                  ? LEAN_REQUEST_FIELDS
                  : (Object.keys(expected) as Array<keyof StorageRequest>);
              for (const f of fields)
                expect(got[f], `${lean ? "lean" : "full"} ${f} of ${lines[k]}`).toEqual(expected[f]);
            });
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
