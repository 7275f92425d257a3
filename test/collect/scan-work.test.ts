import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FAILURE_ROW_WEIGHT,
  SAMPLE_BLOCKS,
  sampleScanWork,
  weightOf,
  workOfBytes,
} from "../../src/collect/scan-work.js";
import { storageRequestsToArchiveJsonLines, storageRequestsToNdjson } from "../sim/forms.js";
import { generateScenario } from "../sim/scenarios.js";

/**
 * The scan's work by where in the input (planScanParts cuts parts of equal work): a 401/403 row weighs
 * FAILURE_ROW_WEIGHT times a success row of the same size, estimated from blocks sampled over the input.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "scan-work-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const story = generateScenario("expired-sas").requests;
const successes = story.filter((r) => r.statusCode !== 401 && r.statusCode !== 403);
const failures = story.filter((r) => r.statusCode === 401 || r.statusCode === 403);

describe("weightOf (a block's work per byte)", () => {
  it("weighs success rows one, 401/403 rows FAILURE_ROW_WEIGHT, in either layout", () => {
    for (const write of [storageRequestsToArchiveJsonLines, storageRequestsToNdjson]) {
      expect(weightOf(Buffer.from(write(successes.slice(0, 20))))).toBe(1);
      expect(weightOf(Buffer.from(write(failures.slice(0, 20))))).toBe(FAILURE_ROW_WEIGHT);
      const mixed = Buffer.from(write([...successes.slice(0, 10), ...failures.slice(0, 10)]));
      expect(weightOf(mixed)).toBe(1 + (FAILURE_ROW_WEIGHT - 1) / 2);
    }
  });

  it("reads the status however it is spaced, quoted or cased, and weighs a block without one as its bytes", () => {
    expect(weightOf(Buffer.from('{"statusCode": 403, "x": 1}\n{"StatusCode" : "200"}'))).toBe(
      1 + (FAILURE_ROW_WEIGHT - 1) / 2,
    );
    expect(weightOf(Buffer.from('{"StatusCode":"401"}'))).toBe(FAILURE_ROW_WEIGHT);
    // A status-like number elsewhere is not a status; CSV and classic logs have no JSON key.
    expect(weightOf(Buffer.from('{"durationMs":403,"statusText":"403"}'))).toBe(1);
    expect(weightOf(Buffer.from("TimeGenerated,StatusCode\n2024-05-01T00:00:00Z,403\n"))).toBe(1);
    expect(weightOf(Buffer.alloc(0))).toBe(1);
  });
});

describe("sampleScanWork", () => {
  const lines = (rows: typeof story, bytes: number): string => {
    const one = storageRequestsToArchiveJsonLines(rows);
    return one.repeat(Math.ceil(bytes / one.length));
  };

  it("finds where an input's 401/403s lie, and maps work back to offsets", async () => {
    const quiet = lines(successes, 3_000_000);
    const incident = lines(failures, 1_000_000);
    const file = join(dir, "incident.jsonl");
    await writeFile(file, quiet + incident);
    const size = quiet.length + incident.length;
    const work = sampleScanWork([{ file, size }]);
    // One sampled block stands for a stretch of size / SAMPLE_BLOCKS bytes.
    const stretch = size / SAMPLE_BLOCKS;
    const expectedTotal = quiet.length + FAILURE_ROW_WEIGHT * incident.length;
    expect(Math.abs(work.total - expectedTotal)).toBeLessThan(FAILURE_ROW_WEIGHT * stretch);
    expect(Math.abs(work.before(quiet.length) - quiet.length)).toBeLessThan(FAILURE_ROW_WEIGHT * stretch);
    expect(work.before(0)).toBe(0);
    expect(work.before(size)).toBe(work.total);
    // Half the work lies well inside the incident, not at the middle of the bytes.
    const middle = work.offsetOf(work.total / 2);
    expect(middle).toBeGreaterThan(quiet.length);
    for (const offset of [0, 1234, quiet.length, middle, size - 1, size])
      expect(Math.abs(work.offsetOf(work.before(offset)) - offset)).toBeLessThan(1e-6 * size);
  });

  it("weighs files one after another, each block read where it lies", async () => {
    const a = join(dir, "a.jsonl");
    const b = join(dir, "b.jsonl");
    const c = join(dir, "c.csv");
    const quiet = lines(successes, 400_000);
    const incident = lines(failures, 400_000);
    const csv = "TimeGenerated,StatusCode\n" + "2024-05-01T00:00:00Z,403\n".repeat(16_000);
    await writeFile(a, quiet);
    await writeFile(b, incident);
    await writeFile(c, csv);
    const files = [
      { file: a, size: quiet.length },
      { file: join(dir, "empty.jsonl"), size: 0 },
      { file: b, size: incident.length },
      { file: c, size: csv.length },
    ];
    await writeFile(files[1]!.file, "");
    const work = sampleScanWork(files);
    const stretch = (quiet.length + incident.length + csv.length) / SAMPLE_BLOCKS;
    const bound = FAILURE_ROW_WEIGHT * stretch;
    expect(Math.abs(work.before(quiet.length) - quiet.length)).toBeLessThan(bound);
    const incidentWork = work.before(quiet.length + incident.length) - work.before(quiet.length);
    expect(Math.abs(incidentWork - FAILURE_ROW_WEIGHT * incident.length)).toBeLessThan(2 * bound);
    // CSV weighs its bytes, as every byte did before work was estimated.
    const csvWork = work.total - work.before(quiet.length + incident.length);
    expect(Math.abs(csvWork - csv.length)).toBeLessThan(bound);
  });

  it("weighs a file it cannot read as its bytes, leaving the reader to say why", () => {
    const work = sampleScanWork([{ file: join(dir, "gone.jsonl"), size: 1_000_000 }]);
    expect(work.total).toBeCloseTo(1_000_000, 3);
  });

  it("is every byte weighing one for workOfBytes", () => {
    const work = workOfBytes(1000);
    expect(work.total).toBe(1000);
    expect(work.before(250)).toBe(250);
    expect(work.offsetOf(750)).toBe(750);
    expect(work.offsetOf(5000)).toBe(1000);
  });
});
