import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { ClusterAggregator } from "../../src/cluster/aggregator.js";
import { EvidenceObserver, createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze, type AnalysisResult } from "../../src/engine/analyze.js";
import type { RejectedRecord } from "../../src/engine/contracts.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { sanitizeOutbound } from "../../src/redact.js";
import { renderJson, renderMarkdown, renderText, writeJsonChunks } from "../../src/report/index.js";
import { SCENARIOS, generateAll, generateScenario } from "../sim/scenarios.js";

/** Issue 13: caps on clusters, incidents and callers; what passes a cap is summarised exactly. */
const T0 = Date.parse("2026-11-20T09:00:00Z");
const clock = fixedClock("2026-11-20T12:00:00Z");

function rejections() {
  return {
    count: 0,
    samples: [] as RejectedRecord[],
    reject() {
      this.count++;
    },
  };
}

/** Row i of a flood: a new account and a new caller address per row; every 20th a 403 on its account. */
function floodRow(i: number, accounts: number): StorageRequest {
  const account = `stflood${i % accounts}`;
  const failing = i % 20 === 0;
  return {
    timeMs: T0 + i * 10,
    account,
    service: "blob",
    operation: "GetBlob",
    statusCode: failing ? 403 : 200,
    statusText: failing ? "AuthorizationPermissionMismatch" : "Success",
    authType: "OAuth",
    callerIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    requesterObjectId: undefined,
    userAgent: "azsdk-js-storage-blob/12.17.0",
    operationVersion: "2023-11-03",
    resourceId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default`,
  };
}

/** A big, steady cluster among the flood: the cap must keep it, with its exact count. */
function bigRow(i: number): StorageRequest {
  return {
    timeMs: T0 + i * 10 + 5,
    account: "stbigoutage",
    service: "blob",
    operation: "PutBlob",
    statusCode: 403,
    statusText: "AuthenticationFailed",
    authType: "AccountKey",
    authHash: `key1(${"AB".repeat(32)})`,
    callerIp: "10.200.0.1",
  };
}

function* flood(rows: number, accounts: number): Generator<StorageRequest> {
  for (let i = 0; i < rows; i++) {
    if (i % 4 === 0) yield bigRow(i);
    yield floodRow(i, accounts);
  }
}

describe("cluster cap", () => {
  it("keeps at most maxClusters, folds the smallest with exact totals, keeps the big cluster exact", () => {
    const agg = new ClusterAggregator({}, 50);
    let peak = 0;
    let big = 0;
    for (const r of flood(20_000, 5_000)) {
      agg.observe(r);
      if (r.account === "stbigoutage") big++;
      peak = Math.max(peak, agg.clusterCount);
    }
    expect(peak).toBeLessThanOrEqual(50);
    const partials = agg.partials();
    const kept = partials.reduce((n, p) => n + p.count, 0);
    expect(agg.folded.clusters).toBeGreaterThan(0);
    expect(kept + agg.folded.failures).toBe(agg.failures);
    expect(partials.find((p) => p.key.account === "stbigoutage")?.count).toBe(big);
  });
});

describe("memory is bounded by caps, not by rows or accounts (retained entries)", () => {
  it("200,000 rows over 100,000 accounts, a new caller address per row", () => {
    const agg = new ClusterAggregator({}, 5_000);
    const evidence = new EvidenceObserver({
      maxCallers: 2_000,
      maxValuesPerDimension: 12,
      maxOutcomesPerCaller: 8,
      maxBinsPerCaller: 576,
    });
    let rows = 0;
    for (const r of flood(200_000, 100_000)) {
      agg.observe(r);
      evidence.observe(r);
      rows++;
    }
    expect(agg.rows).toBe(rows);
    expect(agg.clusterCount).toBeLessThanOrEqual(5_000);
    const held = evidence.retainedEntries();
    expect(held.callers).toBeLessThanOrEqual(2_000);
    expect(held.rawAccounts).toBeLessThanOrEqual(2_000);
    expect(held.accountIds).toBeLessThanOrEqual(2_000);
    expect(held.rawCallerKeys).toBeLessThanOrEqual(2_000);
    // A few records and one bin per caller here: bounded by callers × the per-caller caps.
    expect(held.records).toBeLessThanOrEqual(2_000 * 8 * 7 * 13);
    expect(held.bins).toBeLessThanOrEqual(2_000 * 576);
    const caps = evidence.capsReached();
    expect(caps.rowsOfDroppedCallers).toBeGreaterThan(100_000);
  });
});

async function capped(): Promise<AnalysisResult> {
  return analyze({
    requests: flood(4_000, 1_000),
    activity: [],
    clock,
    rejections: rejections(),
    caps: { maxClusters: 40, maxIncidents: 5 },
    explainer: createRootCauseExplainer({
      clock,
      limits: { maxCallers: 100 },
    }),
  });
}

describe("the report's summarised section", () => {
  it("says what each cap summarised, with totals that add up exactly", async () => {
    const result = await capped();
    const s = result.summarised!;
    expect(result.incidents).toHaveLength(5);
    expect(s.incidents).toMatchObject({ cap: 5 });
    expect(s.clusters).toMatchObject({ cap: 40 });
    expect(s.callers).toMatchObject({ maxCallers: 100, callers: 100 });
    const listed = result.incidents.reduce((n, i) => n + i.count, 0);
    expect(listed + s.incidents!.failures + s.clusters!.failures).toBe(result.input.failures);
    // The big outage survives both caps.
    expect(result.incidents[0]!.account).toBe("stbigoutage");
    expect(result.incidents[0]!.count).toBe(1_000);
    for (const text of [renderText(result), renderMarkdown(result)]) {
      expect(text).toContain("Summarised");
      expect(text).toContain(`${s.incidents!.omitted} more (${s.incidents!.failures} failures)`);
      expect(text).toContain(`${s.clusters!.foldedClusters} of the smallest were folded`);
      expect(text).toContain(`${s.callers!.rowsOfDroppedCallers} rows came from callers past the cap of 100`);
    }
    expect((JSON.parse(renderJson(result)) as AnalysisResult).summarised).toEqual(s);
  });

  it("is absent when no cap is reached: every story's report is unchanged", async () => {
    for (const s of SCENARIOS) {
      const data = generateScenario(s.name);
      const result = await analyze({
        requests: data.requests,
        activity: data.activity,
        clock,
        rejections: rejections(),
        explainer: createRootCauseExplainer({ clock }),
      });
      expect(result.summarised, s.name).toBeUndefined();
      expect(renderText(result)).not.toContain("Summarised");
    }
  });
});

describe("streamed JSON report", () => {
  const reference = (v: unknown) => JSON.stringify(sanitizeOutbound(v), null, 2) + "\n";
  const stream = (v: unknown) => {
    const chunks: string[] = [];
    writeJsonChunks(v as AnalysisResult, (c) => chunks.push(Buffer.from(c).toString("utf8")));
    return chunks;
  };

  it("is exactly the document built in one piece, valid JSON", async () => {
    const data = generateAll({ seed: 4 });
    const result = await analyze({
      requests: data.requests,
      activity: data.activity,
      clock,
      rejections: rejections(),
      explainer: createRootCauseExplainer({ clock }),
    });
    for (const r of [result, await capped()]) {
      const chunks = stream(r);
      expect(chunks.join("")).toBe(reference(r));
      expect(JSON.parse(chunks.join(""))).toEqual(JSON.parse(reference(r)));
    }
  });

  it("encodes text past ASCII whole in each chunk, strings longer than a chunk included", () => {
    // Two-, three- and four-byte characters: pieces that end close to a chunk's end, and strings of up
    // to a chunk's size and past it, which go out as chunks of their own.
    const wide = "é€😀x";
    const value = {
      pieces: Array.from({ length: 40_000 }, (_, i) => wide.repeat(1 + (i % 7))),
      long: [wide.repeat(20_000), wide.repeat(90_000), "ok"],
    };
    const chunks = stream(value);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.join("")).toBe(reference(value));
  });

  it("writes repeated strings as the boundary does, past the writer's memory of clean ones", () => {
    // More distinct short strings than the writer remembers, each twice, a secret among them each time.
    const minutes = Array.from({ length: 5000 }, (_, i) =>
      new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    );
    const secret = "sig=c2VjcmV0c2ln";
    const value = {
      series: [...minutes, ...minutes].map((m, i) => [m, i % 97 === 0 ? secret : i]),
      again: { [secret]: minutes.slice(0, 3), [minutes[0]!]: secret },
    };
    const text = stream(value).join("");
    expect(text).toBe(reference(value));
    expect(text).not.toContain("c2VjcmV0c2ln");
  });

  it("matches JSON.stringify on any JSON value, secrets redacted", () => {
    const secretish = fc.constantFrom(
      "https://st.blob.core.windows.net/c/b?sv=2022-11-02&sig=c2VjcmV0c2lnbmF0dXJl&se=2026",
      "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=c2VjcmV0a2V5;EndpointSuffix=core.windows.net",
      "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
      'line\nbreak \u2028 \u0000 "quoted" \\',
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.jsonValue(),
        secretish,
        fc.constant(undefined),
        fc.array(tie("v"), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie("v"), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value, { maxKeys: 5 }), (v) => {
        expect(stream(v).join("")).toBe(reference(v));
      }),
      { numRuns: 300 },
    );
  });
});
