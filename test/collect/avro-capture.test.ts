import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileFormatError } from "../../src/collect/file-format-error.js";
import { avroCaptureBodies } from "../../src/collect/avro-capture.js";
import { activityEventsToArchiveJsonLines, toArchiveRecord, toArchivedActivityRecord } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { analyzeJson } from "../support/analyze-json.js";
import { byteDamage, damagedCopy } from "../support/byte-damage.js";
import { recordBodies, writeCaptureFile } from "../support/eventhubs-capture.js";
import { expectMatchesTruth } from "../engine/truth.js";

/**
 * Event Hubs Capture files, written by Apache Avro's own Python library in Capture's documented schema,
 * read through the real CLI: the same analysis as the records they carry, in every codec Capture uses,
 * with damage reported where it is and a Parquet file refused by name.
 */
const data = generateAll({ seed: 33 });
const records = data.requests.map((r) => toArchiveRecord(r));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "avro-capture-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The report without the one field that differs between two runs. */
function stable(result: { generatedAt?: string }): unknown {
  return { ...result, generatedAt: undefined };
}

async function bodiesOf(file: string, chunkBytes: number): Promise<string> {
  const bytes = readFileSync(file);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < bytes.length; at += chunkBytes) yield bytes.subarray(at, at + chunkBytes);
  }
  const out: Buffer[] = [];
  for await (const b of avroCaptureBodies(chunks())) out.push(Buffer.from(b));
  return Buffer.concat(out).toString("utf8");
}

describe("Event Hubs Capture files (Avro)", () => {
  it.each(["deflate", "null"] as const)(
    "with the %s codec give exactly the analysis of the records they carry, and the stories' truth",
    async (codec) => {
      const capture = join(dir, `capture-${codec}.avro`);
      // An event without a body among them, as Capture writes for an empty event.
      const bodies: Array<string | null> = recordBodies(records, 40);
      bodies.splice(2, 0, null);
      writeCaptureFile(capture, { codec, bodies });
      const lines = join(dir, `records-${codec}.json`);
      writeFileSync(lines, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
      const activity = join(dir, `activity-${codec}.json`);
      writeFileSync(activity, activityEventsToArchiveJsonLines(data.activity));

      const fromCapture = await analyzeJson(["--logs", capture, "--activity", activity]);
      const fromLines = await analyzeJson(["--logs", lines, "--activity", activity]);
      expect(fromCapture.stderr).toBe("");
      expect(fromCapture.code).toBe(0);
      expect(fromCapture.result.input.rows).toBe(records.length);
      expect(fromCapture.result.input.rejected).toBe(0);
      expect(stable(fromCapture.result)).toEqual(stable(fromLines.result));
      expectMatchesTruth(fromCapture.result, data);
      // The same split across threads (a capture file is read whole by one of them).
      const threaded = await analyzeJson(["--logs", capture, "--activity", activity, "--threads", "2"]);
      expect(stable(threaded.result)).toEqual(stable(fromCapture.result));
    },
  );

  it("reads the activity log streamed the same way, and a capture file compressed with gzip", async () => {
    const activity = join(dir, "activity.avro");
    writeCaptureFile(activity, {
      codec: "deflate",
      bodies: recordBodies(
        data.activity.map((e) => toArchivedActivityRecord(e)),
        25,
      ),
    });
    const logs = join(dir, "logs.avro.gz");
    const plain = join(dir, "logs-plain.avro");
    writeCaptureFile(plain, { codec: "deflate", bodies: recordBodies(records, 100) });
    writeFileSync(logs, gzipSync(readFileSync(plain)));
    const run = await analyzeJson(["--logs", logs, "--activity", activity]);
    expect(run.code).toBe(0);
    expect(run.result.input.activityEvents).toBe(data.activity.length);
    expect(run.result.input.rows).toBe(records.length);
    expectMatchesTruth(run.result, data);
  });

  it("hands on the same bodies whatever the chunks, also a block larger than a read", async () => {
    const file = join(dir, "chunks.avro");
    // One body of some 3 MB: its block spans several of the reader's 1 MiB chunks.
    const big = JSON.stringify({
      records: Array.from({ length: 2500 }, (_, i) => records[i % records.length]),
    });
    const bodies = [...recordBodies(records.slice(0, 300), 7), null, big, "{}"];
    writeCaptureFile(file, { codec: "deflate", bodies });
    const expected = bodies.map((b) => `${b ?? ""}\n`).join("");
    for (const chunkBytes of [1, 7, 4096, 1 << 20, Number.MAX_SAFE_INTEGER])
      expect(await bodiesOf(file, chunkBytes), `chunks of ${chunkBytes}`).toBe(expected);
  });

  it("numbers a bad record by its event, and keeps what came before damage", async () => {
    const file = join(dir, "bad-record.avro");
    const bodies: Array<string | null> = recordBodies(records.slice(0, 30), 10);
    bodies.splice(1, 0, null, '{"records": [{"time": "not a time", "statusCode": 403}]}');
    writeCaptureFile(file, { codec: "null", bodies });
    const run = await analyzeJson(["--logs", file]);
    expect(run.result.input.rows).toBe(30);
    expect(run.result.input.rejected).toBe(1);
    expect(run.result.input.rejectedSamples[0]).toMatchObject({ file, line: 3 });

    const whole = join(dir, "whole.avro");
    writeCaptureFile(whole, { codec: "deflate", bodies: recordBodies(records, 20) });
    const bytes = readFileSync(whole);
    const cut = join(dir, "cut.avro");
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const damaged = await analyzeJson(["--logs", cut]);
    expect(damaged.code).toBe(0);
    expect(damaged.result.input.rows).toBeGreaterThan(0);
    expect(damaged.result.input.rows).toBeLessThan(records.length);
    expect(damaged.result.input.rows % 20).toBe(0);
    expect(damaged.result.input.rejectedSamples).toEqual([
      {
        file: cut,
        line: 1,
        field: "(file)",
        reason: `Event Hubs Capture file: it ends inside a block (it was cut short), after event ${damaged.result.input.rows / 20}; records after the damage were not read`,
      },
    ]);

    // A block whose sync marker is not the file's: the blocks before it are read, the rest reported.
    const marked = Buffer.from(bytes);
    marked.writeUInt8(marked.readUInt8(marked.length - 1) ^ 0xff, marked.length - 1);
    const badSync = join(dir, "bad-sync.avro");
    writeFileSync(badSync, marked);
    const synced = await analyzeJson(["--logs", badSync]);
    expect(synced.result.input.rejectedSamples[0]?.reason).toMatch(
      /^Event Hubs Capture file: a block does not end with the file's sync marker, after event \d+; records after the damage were not read$/,
    );
  });

  it("refuses, by name, an Avro file that is not a capture and a Parquet capture file", async () => {
    const other = join(dir, "other.avro");
    writeCaptureFile(other, {
      codec: "null",
      schema: { type: "record", name: "Row", fields: [{ name: "Text", type: "string" }] },
      records: [{ Text: "hello" }],
    });
    const parquet = join(dir, "capture.parquet");
    writeFileSync(parquet, Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(64), Buffer.from("PAR1")]));
    const run = await analyzeJson(["--logs", other, "--logs", parquet]);
    expect(run.code).toBe(2);
    expect(run.result.input.rejectedSamples.map((r) => [r.file, r.field, r.reason])).toEqual([
      [
        other,
        "(file)",
        "Event Hubs Capture file: its records have no Body field; an Event Hubs Capture file's EventData records carry the event in Body; nothing in it was read",
      ],
      [
        parquet,
        "(file)",
        "a Parquet file (Event Hubs Capture's other format) is not read; capture in Avro, or export the rows as JSON or CSV; nothing in it was read",
      ],
    ]);
  });

  it("a damaged capture file hands on bodies or ends with a FileFormatError, never a crash", async () => {
    const file = join(dir, "property.avro");
    writeCaptureFile(file, { codec: "deflate", bodies: recordBodies(records.slice(0, 200), 10) });
    const bytes = readFileSync(file);
    await fc.assert(
      fc.asyncProperty(byteDamage, async (d) => {
        const damaged = damagedCopy(bytes, d);
        async function* chunks(): AsyncGenerator<Buffer> {
          for (let at = 0; at < damaged.length; at += 777) yield damaged.subarray(at, at + 777);
        }
        try {
          for await (const b of avroCaptureBodies(chunks())) void b;
        } catch (err) {
          expect(err instanceof FileFormatError, String(err)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
