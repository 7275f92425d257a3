import { describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import {
  EvidenceIndex,
  EvidenceObserver,
  createRootCauseExplainer,
  explainFromEvidence,
  parseRootCauseSettings,
  type EvidenceLimits,
} from "../../src/correlate/index.js";
import { analyze } from "../../src/engine/analyze.js";
import type { RejectedRecord, RootCauseExplainer } from "../../src/engine/contracts.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { SCENARIOS, generateAll, generateScenario } from "../sim/scenarios.js";
import { ReferenceEvidenceObserver } from "../support/reference-evidence.js";

/**
 * The evidence observer was rebuilt for speed and memory (issue 13); the observer it replaced is kept in
 * test/support/reference-evidence.ts. Both must give the same records, in the same order, on every
 * simulator story, with the default caps and with caps small enough that every cap is reached.
 */
const TIGHT: EvidenceLimits = {
  maxCallers: 6,
  maxValuesPerDimension: 2,
  maxOutcomesPerCaller: 2,
  maxBinsPerCaller: 3,
};

function both(rows: readonly StorageRequest[], limits?: EvidenceLimits) {
  const fast = new EvidenceObserver(limits);
  const reference = new ReferenceEvidenceObserver(limits);
  for (const r of rows) {
    fast.observe(r);
    reference.observe(r);
  }
  return { fast: fast.evidence(), reference: reference.evidence() };
}

/**
 * Past the cap: a new address or object id per row, ids in both cases, an account in two spellings, and
 * auth hashes that change from row to row with and without changing what the records read of them.
 */
function adversarial(): StorageRequest[] {
  const rows: StorageRequest[] = [];
  const t0 = Date.parse("2026-11-20T09:00:00Z");
  for (let i = 0; i < 400; i++) {
    const oauth = i % 3 === 0;
    const oid = `0a1b2c3d-0000-4000-8000-${String(i % 37).padStart(12, "0")}`;
    const r: StorageRequest = {
      timeMs: t0 + i * 45_000,
      // One account in two spellings; another in one (where the no-string drop path applies).
      account: i % 2 ? "stsingle02" : i % 11 === 0 ? "StAdversary01" : "stadversary01",
      service: "blob",
      operation: "GetBlob",
      statusCode: i % 5 === 0 ? 403 : 200,
      statusText: i % 5 === 0 ? "AuthenticationFailed" : "Success",
      authType: oauth ? "OAuth" : i % 4 < 2 ? "AccountKey" : "SAS",
      // A token hash per OAuth row (one per token); two shared keys; SAS tokens of a few signatures.
      authHash: oauth
        ? i % 9 === 0
          ? undefined
          : (i * 7919).toString(16).toUpperCase().padStart(64, "0")
        : i % 4 < 2
          ? `key1(${(i % 3 ? "AB" : "CD").repeat(32)})`
          : `key${i % 8 < 4 ? 2 : 1}(${"AB".repeat(32)}),SasSignature(${String(i % 5).repeat(64)})`,
      // A new address per row on one account; a few repeating ones across both spellings of the other.
      callerIp: i % 13 === 0 ? undefined : i % 2 ? `10.1.${i % 7}.${i}` : `10.0.0.${i % 23}`,
      userAgent: `agent/${i % 4}`,
      operationVersion: "2023-11-03",
      uri: `https://stadversary01.blob.core.windows.net/c/b${i}?st=2026-11-20T08:00:00Z&se=2026-11-20T10:00:00Z&sig=x`,
      resourceId:
        i < 20
          ? undefined
          : `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${i % 2 ? "stsingle02" : "stadversary01"}/blobServices/default`,
    };
    if (oauth) r.requesterObjectId = i % 12 === 3 || i % 12 === 0 ? oid.toUpperCase() : oid;
    rows.push(r);
  }
  return rows;
}

describe("evidence observer matches the observer it replaced", () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: same records with default and with tight caps`, () => {
      const { requests } = generateScenario(s.name);
      const dflt = both(requests);
      expect(dflt.fast).toEqual(dflt.reference);
      const tight = both(requests, TIGHT);
      expect(tight.fast).toEqual(tight.reference);
    });
  }

  it("every story at once, and rows built to reach every cap and alias", () => {
    const all = generateAll({ seed: 5 }).requests;
    for (const limits of [undefined, TIGHT, { ...TIGHT, maxCallers: 40 }]) {
      const r = both(all, limits);
      expect(r.fast).toEqual(r.reference);
    }
    const rows = adversarial();
    for (const limits of [TIGHT, { ...TIGHT, maxCallers: 30, maxValuesPerDimension: 3 }]) {
      const r = both(rows, limits);
      expect(r.fast.truncated.droppedCallers).toBeGreaterThan(0);
      expect(r.fast).toEqual(r.reference);
    }
  });

  it("gives the same incidents, root causes and skew verdicts on every story", async () => {
    const settings = parseRootCauseSettings({});
    const clock = fixedClock("2026-11-20T12:00:00Z");
    for (const name of [...SCENARIOS.map((s) => s.name), "all"]) {
      const data = name === "all" ? generateAll({ seed: 3 }) : generateScenario(name);
      const reference = new ReferenceEvidenceObserver();
      let index: EvidenceIndex | undefined;
      const referenceExplainer: RootCauseExplainer = {
        observer: reference,
        explain(incident, activity, context) {
          index ??= new EvidenceIndex(reference.evidence());
          return explainFromEvidence(incident, activity, index, context!, settings);
        },
      };
      const run = (explainer: RootCauseExplainer) => {
        const rejections = {
          count: 0,
          samples: [] as RejectedRecord[],
          reject() {
            this.count++;
          },
        };
        return analyze({ requests: data.requests, activity: data.activity, clock, rejections, explainer });
      };
      const fast = await run(createRootCauseExplainer({ clock }));
      const slow = await run(referenceExplainer);
      expect(fast.incidents.length).toBeGreaterThan(0);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
    }
  });
});
