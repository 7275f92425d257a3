import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CALLER_DIMENSIONS,
  EvidenceObserver,
  type CallerValueRecord,
  type RootCauseEvidence,
} from "../../src/correlate/evidence.js";
import { packEvidence, packedBuffers, unpackEvidence } from "../../src/engine/evidence-wire.js";
import { generateAll } from "../sim/scenarios.js";

/** Through the wire as a scan thread posts it: packed, cloned with its buffers transferred, unpacked. */
function roundTrip(evidence: RootCauseEvidence): RootCauseEvidence {
  const packed = packEvidence(evidence);
  return unpackEvidence(structuredClone(packed, { transfer: packedBuffers(packed) }));
}

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("", "\u0000", "ip:10.0.0.1", "ok"));
const time = fc.integer({ min: 0, max: 2_000_000_000_000 });
const optional = fc.option(fc.oneof(fc.constant(0), time), { nil: undefined });

const record = fc
  .record({
    account: text,
    caller: text,
    outcome: text,
    dimension: fc.constantFrom(...CALLER_DIMENSIONS),
    value: text,
    count: fc.integer({ min: 1, max: 1_000_000 }),
    firstMs: time,
    lastMs: time,
    notYetValid: optional,
    maxStartLeadMs: optional,
    expired: optional,
    maxExpiredByMs: optional,
    sasStartMs: optional,
    sasExpiryMs: optional,
  })
  .map((r) => {
    // Absent, not undefined: as the observer leaves a record that saw no SAS times.
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
    return out as unknown as CallerValueRecord;
  });

/** fast-check's records have no prototype; the observer's are plain objects. */
const plain = <T extends object>(o: T): T => ({ ...o });

const evidence: fc.Arbitrary<RootCauseEvidence> = fc
  .record({
    callers: fc.array(record, { maxLength: 30 }),
    activity: fc.array(
      fc
        .record({
          account: text,
          caller: text,
          binStartMs: time,
          ok: fc.nat(),
          failed: fc.nat(),
        })
        .map(plain),
      { maxLength: 30 },
    ),
    accounts: fc.array(fc.record({ account: text, resourceId: text }).map(plain), { maxLength: 3 }),
    truncated: fc
      .record({ droppedCallers: fc.nat(), foldedValues: fc.nat(), droppedBins: fc.nat() })
      .map(plain),
  })
  .map(plain);

describe("evidence as a scan thread posts it", () => {
  it("unpacks to the evidence that was packed, whatever its strings and SAS fields", () => {
    fc.assert(
      fc.property(evidence, (e) => {
        expect(roundTrip(e)).toStrictEqual(e);
      }),
      { numRuns: 300 },
    );
  });

  it("carries a whole run's evidence, the simulator's stories", () => {
    const observer = new EvidenceObserver();
    for (const r of generateAll({ seed: 3 }).requests) observer.observe(r);
    const e = observer.evidence();
    expect(e.callers.length).toBeGreaterThan(100);
    expect(e.callers.some((r) => r.sasExpiryMs !== undefined)).toBe(true);
    expect(roundTrip(e)).toStrictEqual(e);
  });
});
