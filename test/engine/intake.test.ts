import { describe, expect, it } from "vitest";
import { ClusterAggregator } from "../../src/cluster/aggregator.js";
import { EvidenceObserver } from "../../src/correlate/evidence.js";
import { RequestIntake } from "../../src/engine/intake.js";
import { isAuthFailure } from "../../src/model/storage-request.js";
import { generateAll } from "../sim/scenarios.js";

/** What an aggregator holds, read without ending it. */
function stateOf(a: ClusterAggregator) {
  return {
    partials: a.partials(),
    rows: a.rows,
    failures: a.failures,
    folded: { ...a.folded },
    minTimeMs: a.minTimeMs,
    maxTimeMs: a.maxTimeMs,
  };
}

describe("the request intake", () => {
  it("counts 401/403 rows in batches as the aggregator counts them one at a time, whenever it is read", () => {
    const rows = generateAll({ seed: 3 }).requests;
    const times = rows.map((r) => r.timeMs).sort((a, b) => a - b);
    // A window that leaves rows out at both ends; a cluster cap that folds clusters as 401/403s come.
    const window = { fromMs: times[50]!, toMs: times[times.length - 50]! };
    const maxClusters = 8;
    const direct = new ClusterAggregator({}, maxClusters);
    const directObserver = new EvidenceObserver();
    const observer = new EvidenceObserver();
    const intake = new RequestIntake(new ClusterAggregator({}, maxClusters), observer, window);
    let failures = 0;
    let checked = 0;
    rows.forEach((r, i) => {
      intake.observe(r);
      if (r.timeMs >= window.fromMs && r.timeMs <= window.toMs) {
        direct.observe(r);
        directObserver.observe(r);
        if (isAuthFailure(r)) failures++;
      }
      // Read now and then, with a batch part-filled: it holds every row taken so far.
      if (i % 997 === 996) {
        expect(stateOf(intake.counted())).toEqual(stateOf(direct));
        checked++;
      }
    });
    expect(failures).toBeGreaterThan(2 * 256);
    expect(checked).toBeGreaterThan(3);
    expect(direct.folded.clusters).toBeGreaterThan(0);
    const summary = intake.summary();
    expect(summary.partials).toEqual(direct.finalPartials());
    expect({ rows: summary.rows, failures: summary.failures, folded: summary.folded }).toEqual({
      rows: direct.rows,
      failures: direct.failures,
      folded: direct.folded,
    });
    expect(summary.outsideWindow).toBe(rows.length - direct.rows);
    // The observer sees every row as it comes, batches or not.
    expect(observer.evidence()).toEqual(directObserver.evidence());
  });
});
