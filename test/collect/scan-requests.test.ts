import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStorageRequests, scanStorageRequests } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { storageRequestsToArchiveJsonLines, storageRequestsToNdjson } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { archiveLine } from "./helpers.js";

/**
 * scanStorageRequests hands each request to an observer as it reads it, and lends the success rows it
 * skims (one object, refilled, its values decoded when read). Seen during each call, every request must
 * be exactly what the batches give, in the same order, with the same rejections.
 */

/**
 * Every field of a request as it reads now (a lent row's values are gone after the call): those every
 * record the readers make carries as its own (absent ones as `undefined`).
 */
function snapshot(r: StorageRequest, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of fields) out[k] = r[k as keyof StorageRequest];
  return out;
}

/** What the batches carry (each record its own object, kept whole), and the fields they have. */
async function batched(paths: string[]) {
  const rejections = new RejectionCollector();
  const records: StorageRequest[] = [];
  for await (const r of readStorageRequests(paths, { rejections, lean: true })) records.push(r);
  const fields = records.length > 0 ? Object.keys(records[0]!) : [];
  return {
    seen: records.map((r) => snapshot(r, fields)),
    fields,
    rejected: rejections.count,
    samples: rejections.samples,
  };
}

/** What an observer sees during each call, field by field. */
async function scanned(paths: string[], fields: readonly string[]) {
  const rejections = new RejectionCollector();
  const seen: Array<Record<string, unknown>> = [];
  await scanStorageRequests(paths, { rejections }, { observe: (r) => seen.push(snapshot(r, fields)) });
  return { seen, fields, rejected: rejections.count, samples: rejections.samples };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "scan-requests-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("scanStorageRequests", () => {
  const data = generateAll({ seed: 11 });

  it("hands the observer what the batches carry, lent success rows included, in every form", async () => {
    const forms: Array<[string, string]> = [
      ["archive.json", storageRequestsToArchiveJsonLines(data.requests)],
      ["la.ndjson", storageRequestsToNdjson(data.requests, { nativeTypes: true })],
      ["la-text.ndjson", storageRequestsToNdjson(data.requests, {})],
      // Lines the skim declines amid lines it takes: failures, a non-ASCII value, bad rows, blanks.
      [
        "mixed.json",
        [
          archiveLine({ statusCode: 200, statusText: "Success" }),
          archiveLine({ statusCode: 403 }),
          archiveLine({ statusCode: 200, properties: { accountName: "stäcct", serviceType: "blob" } }),
          "not json",
          "",
          archiveLine({ statusCode: 200, time: "yesterday" }),
          archiveLine({ statusCode: 201, callerIpAddress: "[2001:db8::1]:443" }),
        ].join("\n"),
      ],
    ];
    for (const [name, text] of forms) {
      const file = join(dir, name);
      await writeFile(file, text);
      const want = await batched([file]);
      const got = await scanned([file], want.fields);
      expect(got.seen.length, name).toBe(want.seen.length);
      expect(got.seen, name).toEqual(want.seen);
      expect(got.rejected, name).toBe(want.rejected);
      expect(got.samples, name).toEqual(want.samples);
    }
  });

  it("reads the bundled samples as the batches do", async () => {
    const samples = join(import.meta.dirname, "..", "..", "samples", "logs");
    const want = await batched([samples]);
    expect(want.seen.length).toBeGreaterThan(0);
    expect(await scanned([samples], want.fields)).toEqual(want);
  });

  it("throws an observer's own error as it is, not as a failed read", async () => {
    const boom = new Error("observer failed");
    // With and without a last line break: without one, the last record is made as the file ends.
    for (const [name, end] of [
      ["one.json", "\n"],
      ["last.json", ""],
    ] as const) {
      const file = join(dir, name);
      await writeFile(file, archiveLine({ statusCode: 200, statusText: "Success" }) + end);
      await expect(
        scanStorageRequests(
          [file],
          { rejections: new RejectionCollector() },
          {
            observe: () => {
              throw boom;
            },
          },
        ),
      ).rejects.toBe(boom);
    }
  });
});
