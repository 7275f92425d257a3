import fc from "fast-check";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { ClusterAggregator } from "../../src/cluster/aggregator.js";
import { readStorageRequestBatches } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { EvidenceObserver } from "../../src/correlate/evidence.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze, resultFromSlices, type AnalysisResult } from "../../src/engine/analyze.js";
import {
  compactResult,
  fromJson,
  incidentIdsOf,
  mergeResults,
  resultForIncident,
  SlicingObserver,
  toJson,
  type PartialResult,
  type Slice,
} from "../../src/engine/partial-result.js";
import type { ActivityEvent } from "../../src/model/activity.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import {
  storageRequestsToArchiveJsonLines,
  storageRequestsToCsv,
  storageRequestsToLogAnalyticsJsonArray,
  storageRequestsToLogsApiJson,
  storageRequestsToNdjson,
} from "../sim/forms.js";
import { SCENARIOS, generateAll, generateScenario } from "../sim/scenarios.js";

/**
 * One truth: any split of the rows into time slices, merged in any order (with slices seen twice or
 * inside others, as overlapping runs see them), gives exactly the incidents one pass gives: counts,
 * first/last seen, clusters, callers, SAS windows, per-minute series, versions, samples, causes.
 */
const clock = fixedClock("2026-11-20T12:00:00Z");

interface Data {
  requests: readonly StorageRequest[];
  activity: readonly ActivityEvent[];
}

function spanOf(d: Data): { fromMs: number; toMs: number } {
  let fromMs = Infinity;
  let toMs = -Infinity;
  for (const r of d.requests) {
    fromMs = Math.min(fromMs, r.timeMs);
    toMs = Math.max(toMs, r.timeMs);
  }
  return { fromMs, toMs };
}

async function onePass(d: Data): Promise<AnalysisResult> {
  const { fromMs, toMs } = spanOf(d);
  return analyze({
    requests: d.requests,
    activity: d.activity,
    window: { from: new Date(fromMs), to: new Date(toMs) },
    clock,
    rejections: new RejectionCollector(),
    explainer: createRootCauseExplainer({ clock }),
  });
}

/** Rows with time in [fromMs, toMs) as one time slice. */
function timeSlice(d: Data, fromMs: number, toMs: number): Slice {
  const aggregator = new ClusterAggregator();
  const evidence = new EvidenceObserver();
  for (const r of d.requests) {
    if (r.timeMs < fromMs || r.timeMs >= toMs) continue;
    aggregator.observe(r);
    evidence.observe(r);
  }
  return {
    span: { kind: "time", fromMs, toMs },
    rows: aggregator.rows,
    failures: aggregator.failures,
    partials: aggregator.partials(),
    evidence: evidence.evidence(),
  };
}

function build(d: Data, merged: PartialResult): AnalysisResult {
  const { fromMs, toMs } = spanOf(d);
  return resultFromSlices({ result: merged, window: { fromMs, toMs }, activity: d.activity, clock });
}

function expectSameTruth(actual: AnalysisResult, expected: AnalysisResult): void {
  expect(actual.input.rows).toBe(expected.input.rows);
  expect(actual.input.failures).toBe(expected.input.failures);
  expect(actual.input.clusters).toBe(expected.input.clusters);
  expect(actual.incidents).toEqual(expected.incidents);
  for (const i of actual.incidents) {
    expect(i.clusters.reduce((n, c) => n + c.count, 0)).toBe(i.count);
    expect(i.perMinute.reduce((n, [, c]) => n + c, 0)).toBe(i.count);
    expect(Object.values(i.operationVersions).reduce((n, c) => n + c, 0)).toBe(i.count);
  }
}

/** Random cut points inside the data, a random merge order, and re-reads of parts of slices. */
function splitArbitrary(span: { fromMs: number; toMs: number }) {
  return fc.record({
    cuts: fc.uniqueArray(fc.integer({ min: span.fromMs, max: span.toMs }), { maxLength: 12 }),
    order: fc.array(fc.integer(), { minLength: 30, maxLength: 30 }),
    rereads: fc.array(
      fc.tuple(
        fc.nat(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
      ),
      {
        maxLength: 4,
      },
    ),
  });
}

async function slicedMerge(d: Data, numRuns: number): Promise<void> {
  const expected = await onePass(d);
  const span = spanOf(d);
  fc.assert(
    fc.property(splitArbitrary(span), ({ cuts, order, rereads }) => {
      const bounds = [span.fromMs, ...[...cuts].sort((a, b) => a - b), span.toMs + 1].filter(
        (b, i, all) => i === 0 || b > all[i - 1]!,
      );
      const slices: Slice[] = [];
      for (let i = 0; i + 1 < bounds.length; i++) slices.push(timeSlice(d, bounds[i]!, bounds[i + 1]!));
      // Overlapping runs: part of a slice read again, and a slice read twice.
      for (const [k, a, b] of rereads) {
        const s = slices[k % slices.length]!.span;
        const from = s.fromMs + Math.floor(Math.min(a, b) * (s.toMs - s.fromMs));
        const to = s.fromMs + Math.ceil(Math.max(a, b) * (s.toMs - s.fromMs));
        slices.push(to > from ? timeSlice(d, from, to) : slices[k % slices.length]!);
      }
      const shuffled = slices
        .map((s, i) => ({ s, k: order[i % order.length]! + i / 1000 }))
        .sort((x, y) => x.k - y.k)
        .map((x) => x.s);
      // Merged pairwise in that order (a fold), each step through the JSON form the store keeps.
      let merged: PartialResult = { slices: [] };
      for (const s of shuffled) merged = fromJson(toJson(mergeResults(merged, { slices: [s] })));
      expectSameTruth(build(d, merged), expected);
    }),
    { numRuns },
  );
}

describe("one truth: sliced and merged equals one pass", () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: any time slices, merged in any order, with overlaps`, async () => {
      await slicedMerge(generateScenario(s.name), 12);
    });
  }

  it("every story together", async () => {
    await slicedMerge(generateAll({ seed: 5 }), 6);
  });

  it("timer-like runs: overlapping windows on the minute grid, folded and compacted per incident as stored", async () => {
    const d = generateAll({ seed: 9 });
    const expected = new Map((await onePass(d)).incidents.map((i) => [i.id, i]));
    const span = spanOf(d);
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 45 }).chain((lookbackMin) =>
          fc.record({
            lookbackMin: fc.constant(lookbackMin),
            // Runs end at irregular times, never further apart than the lookback (no gap between runs).
            steps: fc.array(fc.integer({ min: 90_000, max: lookbackMin * 60_000 }), {
              minLength: 1,
              maxLength: 20,
            }),
          }),
        ),
        ({ lookbackMin, steps }) => {
          const ledgers = new Map<string, PartialResult>();
          let now = span.fromMs;
          for (let k = 0; now <= span.toMs + 1; k++) {
            now += steps[k % steps.length]!;
            // Each run reads its lookback, floored to the minute, up to its own "now".
            const from = Math.floor((now - lookbackMin * 60_000) / 60_000) * 60_000;
            const observer = new SlicingObserver({ fromMs: from, toMs: now });
            // As the file source does: everything before the window is one more slice, [0, from).
            const past = new SlicingObserver({ fromMs: 0, toMs: from }, {}, from);
            for (const r of d.requests) {
              observer.observe(r);
              past.observe(r);
            }
            const run = mergeResults(observer.result(), past.result());
            for (const id of new Set([...ledgers.keys(), ...incidentIdsOf(run)])) {
              const merged = mergeResults(ledgers.get(id) ?? { slices: [] }, resultForIncident(run, id));
              // Stored through the JSON form, compacted up to the run's time, as the timer stores it.
              ledgers.set(id, fromJson(toJson(compactResult(merged, now))));
            }
          }
          expect([...ledgers.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [id, ledger] of ledgers) {
            // Compacted: the folded past and at most the run's partial last minute.
            expect(ledger.slices.length).toBeLessThanOrEqual(2);
            const [incident] = build(d, ledger).incidents;
            // The run that first saw the incident also read the account's past: causes match too.
            expect(incident).toEqual(expected.get(id));
          }
        },
      ),
      { numRuns: 4 },
    );
  });
});

const FORMS: Record<string, (rows: readonly StorageRequest[]) => string> = {
  ndjson: (rows) => storageRequestsToNdjson(rows),
  json: (rows) => storageRequestsToLogAnalyticsJsonArray(rows),
  csv: (rows) => storageRequestsToCsv(rows),
  "portal.csv": (rows) => storageRequestsToCsv(rows, { portal: true }),
  "logs-api.json": (rows) => storageRequestsToLogsApiJson(rows),
  "PT1H.json": (rows) => storageRequestsToArchiveJsonLines(rows),
};

describe("one truth over every input form", () => {
  const data = generateAll({ seed: 13 });
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "one-truth-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  for (const [name, write] of Object.entries(FORMS)) {
    it(`${name}: rows read back, sliced and merged, equal one pass`, async () => {
      const file = join(dir, name.includes(".") ? name : `rows.${name}`);
      await writeFile(file, write(data.requests));
      const rejections = new RejectionCollector();
      const requests: StorageRequest[] = [];
      for await (const batch of readStorageRequestBatches([file], { rejections })) requests.push(...batch);
      expect(rejections.count).toBe(0);
      expect(requests.length).toBe(data.requests.length);
      await slicedMerge({ requests, activity: data.activity }, 3);
    });
  }
});
