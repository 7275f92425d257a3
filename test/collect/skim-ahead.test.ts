import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  readStorageRequests,
  scanStorageRequests,
  type ReadStorageOptions,
} from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { MAX_RECORD_BYTES } from "../../src/collect/lines.js";
import { SuccessRowSkim, successRowsTaken } from "../../src/collect/skim/json-lines-skim.js";
import { lastSkimAheadRun, SkimAhead } from "../../src/collect/skim/skim-ahead.js";
import {
  RESULT_INTS,
  ringMemory,
  ringSkimFits,
  Slot,
  SLOT_BYTES,
  SLOTS,
  WINDOW_BYTES,
} from "../../src/collect/skim/skim-ahead-slots.js";
import { instantiateSkimModule } from "../../src/collect/skim/skim-module.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { storageRequestsToArchiveJsonLines, storageRequestsToNdjson } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { archiveLine, gz, linesTheSkimDeclinesAmidOthers, tempDir } from "./helpers.js";

/**
 * Skim-ahead (src/collect/skim/skim-ahead.ts): a second thread reads the files and skims a window ahead,
 * and the main thread takes the rows it found. The observer must see exactly what one pass hands it, in
 * the same order, with the same rejections, whatever the files hold: windows the main thread replays,
 * windows it skims itself, values the thread interned and forgot on the way.
 */

function snapshot(r: StorageRequest, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of fields) out[k] = r[k as keyof StorageRequest];
  return out;
}

/** The fields every record the readers make carries. */
async function fieldsOf(paths: string[]): Promise<string[]> {
  for await (const r of readStorageRequests(paths, { rejections: new RejectionCollector(), lean: true }))
    return Object.keys(r);
  return [];
}

/**
 * What an observer of scanStorageRequests sees during each call, read ahead or not, and how many rows
 * the skims took: a window replayed with a value wrong would send its rows to the full reader, which
 * reads them right, so the records alone would not tell. Read ahead, the skims take at least what they
 * take in one pass: a window is cut at a line break, where one pass's chunks leave the line across
 * their edge to the full reader.
 */
async function scanned(
  paths: string[],
  fields: readonly string[],
  skimAhead: ReadStorageOptions["skimAhead"],
) {
  const rejections = new RejectionCollector();
  const seen: Array<Record<string, unknown>> = [];
  const before = successRowsTaken();
  await scanStorageRequests(
    paths,
    { rejections, skimAhead },
    { observe: (r) => seen.push(snapshot(r, fields)) },
  );
  return {
    seen,
    rejected: rejections.count,
    samples: rejections.samples,
    taken: successRowsTaken() - before,
  };
}

/**
 * Read ahead with the thread reading from the start (unless `handOverAfterBytes` says after how many
 * bytes the main thread read itself), the same as one pass.
 */
async function expectSameAsOnePass(paths: string[], name: string, handOverAfterBytes = 0): Promise<number> {
  const fields = await fieldsOf(paths);
  const want = await scanned(paths, fields, false);
  const got = await scanned(paths, fields, { handOverAfterBytes });
  expect(got.seen.length, name).toBe(want.seen.length);
  expect(got.seen, name).toEqual(want.seen);
  expect(got.rejected, name).toBe(want.rejected);
  expect(got.samples, name).toEqual(want.samples);
  expect(got.taken, name).toBeGreaterThanOrEqual(want.taken);
  return got.taken;
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const data = generateAll({ seed: 23 });
const archive = storageRequestsToArchiveJsonLines(data.requests);
/** Some `bytes` of `text` repeated, cut after a line. */
const repeated = (text: string, bytes: number): string => {
  const whole = text.repeat(Math.ceil(bytes / Buffer.byteLength(text)));
  return whole.slice(0, whole.indexOf("\n", bytes) + 1);
};

/** Every other Log Analytics row without ServiceType and _ResourceId. */
const byTable = (ndjson: string): string =>
  ndjson
    .split("\n")
    .filter((l) => l !== "")
    .map((l, i) => {
      if (i % 2 === 1) return l;
      const { ServiceType: _service, _ResourceId: _id, ...row } = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(row);
    })
    .join("\n") + "\n";

describe("skim-ahead", () => {
  it("hands the observer what one pass hands it, in every form, over many windows", async () => {
    const forms: Array<[string, string]> = [
      ["archive.json", archive],
      ["la.ndjson", storageRequestsToNdjson(data.requests, { nativeTypes: true })],
      ["la-text.ndjson", storageRequestsToNdjson(data.requests, {})],
      // Rows whose service only their table (Type) names: the thread asks the module for it.
      ["la-by-table.ndjson", byTable(storageRequestsToNdjson(data.requests, {}))],
      // Windows cut inside lines (carried to the next slot), over several slots.
      ["archive-large.json", repeated(archive, 3.5 * WINDOW_BYTES)],
      ["archive-crlf.json", repeated(archive, 2.2 * WINDOW_BYTES).replaceAll("\n", "\r\n")],
      ["archive-bom.json", "\uFEFF" + archive],
      ["archive-no-last-break.json", archive.trimEnd()],
      ["mixed.json", linesTheSkimDeclinesAmidOthers()],
    ];
    for (const [name, text] of forms) {
      const file = join(dir, name);
      await writeFile(file, text);
      expect(await expectSameAsOnePass([file], name), name).toBeGreaterThan(0);
    }
  });

  it("reads a directory of files in turn: empty, compressed, UTF-16, envelopes and JSON Lines", async () => {
    const tree = join(dir, "tree");
    const records = archive
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as unknown);
    const envelopes = [];
    for (let i = 0; i < records.length; i += 10)
      envelopes.push(JSON.stringify({ records: records.slice(i, i + 10) }));
    await rm(tree, { recursive: true, force: true });
    await mkdir(tree);
    // Envelopes first: the thread skims their lines, which the main thread reads as envelopes, not as
    // runs: what the thread interned there must still be installed for the JSON Lines after them.
    await writeFile(join(tree, "a-envelopes.json"), envelopes.join("\n") + "\n");
    await writeFile(join(tree, "b-empty.json"), "");
    await writeFile(join(tree, "c-archive.json.gz"), gz(archive));
    await writeFile(join(tree, "d-utf16.json"), Buffer.from("\uFEFF" + archive, "utf16le"));
    await writeFile(join(tree, "e-archive.json"), repeated(archive, 1.5 * WINDOW_BYTES));
    await writeFile(join(tree, "f-small.json"), archive.slice(0, archive.indexOf("\n") + 1));
    expect(await expectSameAsOnePass([tree], "tree")).toBeGreaterThan(0);
  });

  it("hands on whole a line longer than a window, as the splitter carries it", async () => {
    const file = join(dir, "long-line.json");
    const long = archiveLine({
      statusCode: 200,
      properties: { userAgentHeader: "x".repeat(1.5 * WINDOW_BYTES) },
    });
    await writeFile(file, [archive, long, archive, long.slice(0, WINDOW_BYTES * 0.9), archive].join("\n"));
    expect(await expectSameAsOnePass([file], "long line")).toBeGreaterThan(0);
  });

  it("skims itself a window whose rows do not fit its slot, the thread's values forgotten", async () => {
    // Some 350,000 rows to a window: more than a slot's results hold.
    const file = join(dir, "short-lines.json");
    await writeFile(file, [archive, "{}\n".repeat(400_000), archive].join(""));
    expect(await expectSameAsOnePass([file], "short lines")).toBeGreaterThan(0);
  });

  it("follows the thread as its intern table fills and empties", async () => {
    // A user agent of its own on every row: the table (8,192 values) fills several times.
    const file = join(dir, "many-values.json");
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++)
      lines.push(
        archiveLine({
          statusCode: i % 7 === 0 ? 403 : 200,
          statusText: i % 7 === 0 ? "AuthorizationFailure" : "Success",
          properties: { serviceType: "blob", userAgentHeader: `agent/${i}` },
        }),
      );
    await writeFile(file, lines.join("\n") + "\n");
    // Every row but the 401/403s is the skim's.
    expect(await expectSameAsOnePass([file], "many values")).toBe(30_000 - Math.ceil(30_000 / 7));
  });

  it("reads itself until the thread takes over, at the start of a line or of a file", async () => {
    const file = join(dir, "hand-over.json");
    const text = repeated(archive, 3.5 * WINDOW_BYTES);
    await writeFile(file, text);
    const bytes = Buffer.from(text);
    for (const after of [1, WINDOW_BYTES, 2.5 * WINDOW_BYTES]) {
      expect(await expectSameAsOnePass([file], `after ${after}`, after)).toBeGreaterThan(0);
      const at = lastSkimAheadRun().handOver;
      expect(at?.file).toBe(0);
      // Past the bytes asked, after a line break: the main thread reads whole lines until then.
      expect(at!.offset).toBeGreaterThanOrEqual(after);
      expect(at!.offset).toBeLessThan(after + WINDOW_BYTES);
      expect(bytes[at!.offset - 1]).toBe(0x0a);
    }
    // Never: the file is read before the bytes asked, and the thread is stopped unused.
    expect(await expectSameAsOnePass([file], "never", 2 * bytes.length)).toBeGreaterThan(0);
    expect(lastSkimAheadRun().handOver).toBeUndefined();

    // Within a line longer than a window, the main thread reads on to its end.
    const long = join(dir, "hand-over-long-line.json");
    const line = archiveLine({
      statusCode: 200,
      properties: { userAgentHeader: "x".repeat(2.5 * WINDOW_BYTES) },
    });
    const first = archive.slice(0, archive.indexOf("\n") + 1);
    await writeFile(long, [first, line, "\n", archive].join(""));
    expect(await expectSameAsOnePass([long], "long line", first.length + 1)).toBeGreaterThan(0);
    const longAt = lastSkimAheadRun().handOver!.offset;
    expect(longAt).toBeGreaterThan(first.length + line.length);
    expect(Buffer.from([first, line, "\n", archive].join(""))[longAt - 1]).toBe(0x0a);

    // Over files, a compressed one the caller's to read (and inflate) before the thread takes over.
    const tree = join(dir, "hand-over-tree");
    await rm(tree, { recursive: true, force: true });
    await mkdir(tree);
    const small = archive.slice(0, 2000 + archive.slice(2000).indexOf("\n") + 1);
    await writeFile(join(tree, "a.json"), small);
    await writeFile(join(tree, "b.json.gz"), gz(archive));
    await writeFile(join(tree, "c.json"), "\uFEFF" + archive);
    await writeFile(join(tree, "d.json"), archive);
    expect(await expectSameAsOnePass([tree], "tree", small.length + 1)).toBeGreaterThan(0);
    // Within c.json, a file of more than a window that opens with a byte order mark.
    const bom = Buffer.from("\uFEFF" + archive);
    expect(bom.length).toBeGreaterThan(WINDOW_BYTES);
    const inTree = lastSkimAheadRun().handOver!;
    expect(inTree.file).toBe(2);
    expect(bom[inTree.offset - 1]).toBe(0x0a);

    // At the start of a file.
    const pair = join(dir, "hand-over-pair");
    await rm(pair, { recursive: true, force: true });
    await mkdir(pair);
    await writeFile(join(pair, "a.json"), small);
    await writeFile(join(pair, "b.json"), archive);
    expect(await expectSameAsOnePass([pair], "pair", small.length)).toBeGreaterThan(0);
    expect(lastSkimAheadRun().handOver).toEqual({ file: 1, offset: 0 });
  });

  it("puts small files together in a slot while the main thread has enough to read", async () => {
    const tree = join(dir, "small-files");
    await rm(tree, { recursive: true, force: true });
    await mkdir(tree);
    const lines = archive.split("\n").filter((l) => l !== "");
    const files = 120;
    for (let f = 0; f < files; f++) {
      const some = lines.slice((f * 7) % lines.length, ((f * 7) % lines.length) + 5 + (f % 9));
      // Some without their last line break, one empty: a segment of their own each way.
      const text = some.join("\n") + (f % 5 === 0 ? "" : "\n");
      await writeFile(join(tree, `f${String(f).padStart(3, "0")}.json`), f === 60 ? "" : text);
    }
    // A slow observer keeps the main thread behind, so the thread has slots to spare.
    const fields = await fieldsOf([tree]);
    const want = await scanned([tree], fields, false);
    const seen: Array<Record<string, unknown>> = [];
    await scanStorageRequests(
      [tree],
      { rejections: new RejectionCollector(), skimAhead: { handOverAfterBytes: 0 } },
      {
        observe: (r) => {
          seen.push(snapshot(r, fields));
          const until = performance.now() + 0.05;
          while (performance.now() < until);
        },
      },
    );
    expect(seen).toEqual(want.seen);
    // Fewer slots than files, and each file's window replayed from its place in a slot (but for those
    // the main thread claimed rather than wait, at the hand-over).
    const run = lastSkimAheadRun();
    expect(run.slots).toBeGreaterThan(0);
    expect(run.slots).toBeLessThan(files / 2);
    expect(run.claimed).toBeLessThan(files / 10);
    expect(run.replays + run.claimed).toBeGreaterThanOrEqual(files - 1);
  });

  it("lets young collections have V8's helpers while the thread waits with the ring full, and not after", async () => {
    const file = join(dir, "helpers.jsonl");
    await writeFile(file, repeated(archive, (SLOTS + 4) * WINDOW_BYTES));
    const calls: boolean[] = [];
    const helpers = { set: (on: boolean) => void calls.push(on) };
    // A slow observer keeps the main thread behind: the thread fills the ring and waits. It fails while
    // the ring is still full: the helpers go all the same.
    let n = 0;
    const scan = scanStorageRequests(
      [file],
      { rejections: new RejectionCollector(), skimAhead: { handOverAfterBytes: 0, helpers } },
      {
        observe: () => {
          if (++n % 64 !== 0) return;
          if (calls.at(-1) === true && n > 4096) throw new Error("the observer failed");
          const until = performance.now() + 1;
          while (performance.now() < until);
        },
      },
    );
    await expect(scan).rejects.toThrow("the observer failed");
    expect(calls).toContain(true);
    expect(calls.at(-1)).toBe(false);
  });

  it("passes over what is left of a file refused after its first bytes", async () => {
    const tree = join(dir, "refused-then-lines");
    await rm(tree, { recursive: true, force: true });
    await mkdir(tree);
    // A zip of more than two windows: refused by its first bytes, its other slots never read.
    await writeFile(
      join(tree, "a.zip"),
      Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), Buffer.alloc(2.5 * WINDOW_BYTES, 0x41)]),
    );
    await writeFile(join(tree, "b.json"), repeated(archive, 1.5 * WINDOW_BYTES));
    expect(await expectSameAsOnePass([tree], "refused then lines")).toBeGreaterThan(0);
  });

  it("tells the main thread to open the files the thread cannot", async () => {
    const good = join(dir, "good.json");
    await writeFile(good, archive);
    const missing = [join(dir, "missing-1.json"), join(dir, "missing-2.json")];
    const ahead = new SkimAhead([...missing, good], { handOverAfterBytes: 0 });
    try {
      for (const file of missing) expect(await ahead.bytesOf(file)).toBeUndefined();
      const bytes = await ahead.bytesOf(good);
      // Its size as the thread found it, for progress.
      expect(bytes!.totalBytes).toBe(Buffer.byteLength(archive));
      const chunks: Buffer[] = [];
      for await (const chunk of bytes!.chunks) chunks.push(Buffer.from(chunk));
      expect(Buffer.concat(chunks).toString()).toBe(archive);
    } finally {
      ahead.stop();
    }
  });

  it("says which file the thread failed to read, after the rows before the failure", async () => {
    const first = join(dir, "read-first.json");
    const failing = join(dir, "read-fails.json");
    // Smaller than where reads fail, so only the second file fails.
    const firstLines = archive.split("\n").slice(0, 200);
    await writeFile(first, firstLines.join("\n") + "\n");
    await writeFile(failing, repeated(archive, 3 * WINDOW_BYTES));
    const rowsBefore = async (failReadAt: number | undefined): Promise<number> => {
      let rows = 0;
      const scan = scanStorageRequests(
        [first, failing],
        { rejections: new RejectionCollector(), skimAhead: { handOverAfterBytes: 0, failReadAt } },
        { observe: () => rows++ },
      );
      if (failReadAt === undefined) await scan;
      else
        await expect(scan).rejects.toThrow(
          `${failing}: read failed (EIO: i/o error, read); check the file and try again`,
        );
      return rows;
    };
    // The failure two windows into the second file: the first file's rows and some of the second's
    // were handed on, not all.
    const all = await rowsBefore(undefined);
    const before = await rowsBefore(2 * WINDOW_BYTES);
    expect(before).toBeGreaterThan(firstLines.length);
    expect(before).toBeLessThan(all);
    expect(lastSkimAheadRun().handOver).toEqual({ file: 0, offset: 0 });
  });

  it("stops the thread when the observer fails, and reads ahead again afterwards", async () => {
    const file = join(dir, "fails.json");
    await writeFile(file, repeated(archive, 3 * WINDOW_BYTES));
    let n = 0;
    await expect(
      scanStorageRequests(
        [file],
        { rejections: new RejectionCollector(), skimAhead: true },
        {
          observe: () => {
            if (++n === 1000) throw new Error("observer failed");
          },
        },
      ),
    ).rejects.toThrow("observer failed");
    expect(await expectSameAsOnePass([file], "after a failure")).toBeGreaterThan(0);
  });
});

describe("the ring's memory", () => {
  it("is the thread's skim module's: a window in a slot is read where it lies, as a copy of it would be", () => {
    const ring = ringMemory();
    const inPlace = new SuccessRowSkim(ring);
    inPlace.checkRingFits();
    const slot = new Slot(new SharedArrayBuffer(SLOT_BYTES), ring, SLOTS - 1);
    const text = Buffer.from(repeated(archive, WINDOW_BYTES / 2), "latin1");
    const length = text.lastIndexOf(0x0a);
    text.copy(slot.bytes, 64);
    // The input other windows are copied to, marked: a window read where it lies leaves it as it is.
    const input = instantiateSkimModule<{ inputOffset(): number }>().inputOffset();
    const own = Buffer.from(ring.buffer, input, length);
    own.fill(0xaa);
    const results = new Int32Array(RESULT_INTS);
    const published = inPlace.publishWindow(slot.bytes, 64, 64 + length, MAX_RECORD_BYTES, results);
    expect(own.every((b) => b === 0xaa)).toBe(true);
    // The same window copied into a skim's own memory, as the main thread's skim reads its runs.
    const copied = new Int32Array(RESULT_INTS);
    const want = new SuccessRowSkim().publishWindow(text, 0, length, MAX_RECORD_BYTES, copied);
    expect(published).toEqual(want);
    expect(published!.scans).toBeGreaterThan(0);
    expect(results.subarray(0, published!.ints)).toEqual(copied.subarray(0, want!.ints));
  });

  it("a skim that read a window in place reads its next run where that run was copied", () => {
    const ring = ringMemory();
    const inPlace = new SuccessRowSkim(ring);
    const slot = new Slot(new SharedArrayBuffer(SLOT_BYTES), ring, 0);
    const text = Buffer.from(repeated(archive, 64 * 1024), "latin1");
    const length = text.lastIndexOf(0x0a);
    text.copy(slot.bytes, 64);
    inPlace.publishWindow(slot.bytes, 64, 64 + length, MAX_RECORD_BYTES, new Int32Array(RESULT_INTS));
    // Other bytes in the slot: a run read from the stale place would find these, not its own.
    slot.bytes.fill(0x20, 64, 64 + length);
    const got: StorageRequest[] = [];
    const want: StorageRequest[] = [];
    inPlace.run(text, 0, length, MAX_RECORD_BYTES, { push: (r) => got.push(r) }, () => undefined);
    new SuccessRowSkim().run(
      text,
      0,
      length,
      MAX_RECORD_BYTES,
      { push: (r) => want.push(r) },
      () => undefined,
    );
    expect(want.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
  });

  it("is shared alone, and keeps the slots past what the module uses itself", () => {
    expect(ringSkimFits(4 << 20)).toBe(true);
    expect(ringSkimFits((4 << 20) + 1)).toBe(false);
    // Only the ring is shared: any other instance copies its input in, and into shared memory V8 copies
    // a line cut anywhere a byte at a time.
    const own = instantiateSkimModule<{ memory: { buffer: ArrayBuffer } }>().memory.buffer;
    expect(own instanceof SharedArrayBuffer).toBe(false);
    expect(ringMemory().buffer instanceof SharedArrayBuffer).toBe(true);
  });
});
