import fc from "fast-check";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStorageRequests, scanStorageRequests } from "../../src/collect/files.js";
import { READ_AHEAD_CHUNK_BYTES } from "../../src/collect/input-files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { ClusterAggregator } from "../../src/cluster/aggregator.js";
import { DEFAULT_EVIDENCE_LIMITS, EvidenceObserver } from "../../src/correlate/evidence.js";
import { RequestIntake } from "../../src/engine/intake.js";
import {
  CallerKeyKind,
  callerKeyHash,
  callerKeyKindOf,
  hasCallerKeyFromBytes,
  rawCallerKeyOf,
} from "../../src/model/caller-key.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { storageRequestsToArchiveJsonLines, storageRequestsToNdjson } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { archiveLine, linesTheSkimDeclinesAmidOthers, tempDir } from "./helpers.js";

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
  dir = await tempDir();
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
      ["mixed.json", linesTheSkimDeclinesAmidOthers()],
    ];
    // Over several reads ahead (the scan reads ahead on the pool, the batches do not), records across
    // the edges of its buffers and of the chunks it hands on.
    const archive = forms[0]![1];
    const large = archive.repeat(Math.ceil((3.5 * READ_AHEAD_CHUNK_BYTES) / Buffer.byteLength(archive)));
    expect(Buffer.byteLength(large)).toBeGreaterThan(3 * READ_AHEAD_CHUNK_BYTES);
    forms.push(["archive-large.json", large]);
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

  it("tells a lent row's caller key hash and kind from its bytes as from its decoded fields", async () => {
    // Values made of what matters to the key: case, spaces, brackets, colons (JSON escapes the other
    // characters String.prototype.trim takes, and the skim leaves a value with a backslash to the reader);
    // object ids and hashes long enough for the module's sixteen-byte case test and four-byte steps.
    const text = (max: number) =>
      fc
        .array(fc.constantFrom("a", "z", "A", "F", "Z", "0", ".", ":", "[", "]", " ", "-"), {
          maxLength: max,
        })
        .map((cs) => cs.join(""));
    const optional = (max: number) => fc.option(text(max), { nil: undefined });
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(optional(40), optional(16), optional(24)), { minLength: 1, maxLength: 20 }),
        async (rows) => {
          const file = join(dir, "caller-keys.json");
          const lines = rows.map(([objectId, ip, hash]) => {
            const identity: Record<string, unknown> = { type: "OAuth", requester: { objectId } };
            if (hash !== undefined) identity.tokenHash = hash;
            return archiveLine({ statusCode: 200, statusText: "Success", callerIpAddress: ip, identity });
          });
          await writeFile(file, lines.join("\n"));
          await scanStorageRequests(
            [file],
            { rejections: new RejectionCollector() },
            {
              observe: (r) => {
                if (!hasCallerKeyFromBytes(r)) return;
                checked++;
                expect(r.callerKeyHash()).toBe(callerKeyHash(rawCallerKeyOf(r)));
                expect(r.callerKeyKind()).toBe(callerKeyKindOf(r));
              },
            },
          );
        },
      ),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(1000);
  });

  it("tells the kind of a long object id by one upper-case letter anywhere in it", async () => {
    // The module tests sixteen bytes at a time, then byte by byte: a letter in each place of each part.
    const file = join(dir, "object-id-case.json");
    const ids: string[] = ["z".repeat(40), "0".repeat(40)];
    for (const letter of ["A", "Z"])
      for (let at = 0; at < 40; at++) ids.push("z".repeat(at) + letter + "0".repeat(39 - at));
    const lines = ids.map((objectId) =>
      archiveLine({
        statusCode: 200,
        statusText: "Success",
        identity: { type: "OAuth", requester: { objectId } },
      }),
    );
    await writeFile(file, lines.join("\n") + "\n");
    const kinds = new Map<string, number>();
    await scanStorageRequests(
      [file],
      { rejections: new RejectionCollector() },
      {
        observe: (r) => {
          if (!hasCallerKeyFromBytes(r)) return;
          expect(r.callerKeyKind()).toBe(callerKeyKindOf(r));
          expect(r.callerKeyHash()).toBe(callerKeyHash(rawCallerKeyOf(r)));
          kinds.set(r.requesterObjectId!, r.callerKeyKind());
        },
      },
    );
    // Every row read from its bytes.
    expect([...kinds.keys()]).toEqual(ids);
    expect([...kinds.values()].filter((k) => k === CallerKeyKind.OBJECT_ID)).toHaveLength(80);
  });

  it("gives the root-cause evidence what the batches give it, at a caller cap that drops most callers", async () => {
    const file = join(dir, "evidence.json");
    await writeFile(file, storageRequestsToArchiveJsonLines(data.requests));
    const limits = { ...DEFAULT_EVIDENCE_LIMITS, maxCallers: 4 };
    const fromRecords = new EvidenceObserver(limits);
    for await (const r of readStorageRequests([file], { rejections: new RejectionCollector(), lean: true }))
      fromRecords.observe(r);
    const fromScan = new EvidenceObserver(limits);
    await scanStorageRequests([file], { rejections: new RejectionCollector() }, fromScan);
    const want = fromRecords.evidence();
    expect(want.truncated.droppedCallers).toBeGreaterThan(100);
    expect(fromScan.evidence()).toEqual(want);
  });

  it("counts without making them the rows the intake would only count, to the same summary and evidence", async () => {
    const file = join(dir, "counted.json");
    await writeFile(file, storageRequestsToArchiveJsonLines(data.requests));
    const times = data.requests.map((r) => r.timeMs).sort((a, b) => a - b);
    // A window that leaves rows out at both ends; no observer, an observer past its caller cap.
    const window = {
      fromMs: times[Math.floor(times.length / 5)]!,
      toMs: times[Math.floor(times.length * 0.8)]!,
    };
    const limits = { ...DEFAULT_EVIDENCE_LIMITS, maxCallers: 4 };
    for (const [name, evidence, win] of [
      ["capped evidence", true, {}],
      ["capped evidence, window", true, window],
      ["no evidence, window", false, window],
    ] as const) {
      const make = () => {
        const observer = evidence ? new EvidenceObserver(limits) : undefined;
        return { observer, intake: new RequestIntake(new ClusterAggregator({}, 1000), observer, win) };
      };
      const want = make();
      for await (const r of readStorageRequests([file], { rejections: new RejectionCollector(), lean: true }))
        want.intake.observe(r);
      const got = make();
      let counted = 0;
      const countsOnly = got.intake.countsOnly.bind(got.intake);
      got.intake.countsOnly = (...args) => {
        const done = countsOnly(...args);
        if (done) counted++;
        return done;
      };
      await scanStorageRequests([file], { rejections: new RejectionCollector() }, got.intake);
      expect(counted, name).toBeGreaterThan(100);
      expect(got.intake.summary(), name).toEqual(want.intake.summary());
      expect(got.observer?.evidence(), name).toEqual(want.observer?.evidence());
    }
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
