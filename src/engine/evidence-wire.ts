import type {
  CallerActivityRecord,
  CallerDimension,
  CallerValueRecord,
  RootCauseEvidence,
} from "../correlate/evidence.js";

/**
 * Root-cause evidence as a scan thread posts it to the main thread (src/engine/scan-worker.ts): a table
 * of distinct strings and number columns instead of some 30,000 record objects. The structured clone
 * rebuilt those one property at a time on the main thread (45-65 ms for a part of 1 GB) while it had
 * nothing else to do; the columns cross as transferred buffers and become records in 5-20 ms. The main
 * thread's wait after its own part fell from 83-91 to 42-53 ms (BENCHMARKS.md, twelfth round).
 * `unpackEvidence(packEvidence(e))` equals `e`.
 */
export interface PackedEvidence {
  /** Every distinct account, caller, outcome, dimension and value, referred to by index. */
  strings: string[];
  /** Per caller record: account, caller, outcome, dimension and value, as indices into `strings`. */
  recordStrings: Int32Array;
  /** Per caller record: count, firstMs, lastMs, then the SAS fields (NaN when absent). */
  recordNumbers: Float64Array;
  /** Per activity bin: account and caller, as indices into `strings`. */
  binStrings: Int32Array;
  /** Per activity bin: binStartMs, ok, failed. */
  binNumbers: Float64Array;
  accounts: RootCauseEvidence["accounts"];
  truncated: RootCauseEvidence["truncated"];
}

/** The optional numbers of a caller record, in their column order. */
const SAS_FIELDS = [
  "notYetValid",
  "maxStartLeadMs",
  "expired",
  "maxExpiredByMs",
  "sasStartMs",
  "sasExpiryMs",
] as const;
const RECORD_STRINGS = 5;
const RECORD_NUMBERS = 3 + SAS_FIELDS.length;
const BIN_STRINGS = 2;
const BIN_NUMBERS = 3;

export function packEvidence(evidence: RootCauseEvidence): PackedEvidence {
  const strings: string[] = [];
  const indexOf = new Map<string, number>();
  const ref = (s: string): number => {
    let i = indexOf.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      indexOf.set(s, i);
    }
    return i;
  };
  const { callers, activity } = evidence;
  const recordStrings = new Int32Array(callers.length * RECORD_STRINGS);
  const recordNumbers = new Float64Array(callers.length * RECORD_NUMBERS);
  callers.forEach((r, k) => {
    const s = k * RECORD_STRINGS;
    recordStrings[s] = ref(r.account);
    recordStrings[s + 1] = ref(r.caller);
    recordStrings[s + 2] = ref(r.outcome);
    recordStrings[s + 3] = ref(r.dimension);
    recordStrings[s + 4] = ref(r.value);
    const n = k * RECORD_NUMBERS;
    recordNumbers[n] = r.count;
    recordNumbers[n + 1] = r.firstMs;
    recordNumbers[n + 2] = r.lastMs;
    SAS_FIELDS.forEach((field, j) => (recordNumbers[n + 3 + j] = r[field] ?? Number.NaN));
  });
  const binStrings = new Int32Array(activity.length * BIN_STRINGS);
  const binNumbers = new Float64Array(activity.length * BIN_NUMBERS);
  activity.forEach((b, k) => {
    binStrings[k * BIN_STRINGS] = ref(b.account);
    binStrings[k * BIN_STRINGS + 1] = ref(b.caller);
    binNumbers[k * BIN_NUMBERS] = b.binStartMs;
    binNumbers[k * BIN_NUMBERS + 1] = b.ok;
    binNumbers[k * BIN_NUMBERS + 2] = b.failed;
  });
  return {
    strings,
    recordStrings,
    recordNumbers,
    binStrings,
    binNumbers,
    accounts: evidence.accounts,
    truncated: evidence.truncated,
  };
}

/** The buffers to transfer with a posted PackedEvidence (they are then unusable on the posting side). */
export function packedBuffers(p: PackedEvidence): ArrayBuffer[] {
  return [p.recordStrings, p.recordNumbers, p.binStrings, p.binNumbers].map((a) => a.buffer as ArrayBuffer);
}

export function unpackEvidence(p: PackedEvidence): RootCauseEvidence {
  const { strings, recordStrings, recordNumbers, binStrings, binNumbers } = p;
  const callers: CallerValueRecord[] = [];
  for (let k = 0; k < recordStrings.length / RECORD_STRINGS; k++) {
    const s = k * RECORD_STRINGS;
    const n = k * RECORD_NUMBERS;
    const r: CallerValueRecord = {
      account: strings[recordStrings[s]!]!,
      caller: strings[recordStrings[s + 1]!]!,
      outcome: strings[recordStrings[s + 2]!]!,
      dimension: strings[recordStrings[s + 3]!]! as CallerDimension,
      value: strings[recordStrings[s + 4]!]!,
      count: recordNumbers[n]!,
      firstMs: recordNumbers[n + 1]!,
      lastMs: recordNumbers[n + 2]!,
    };
    for (let j = 0; j < SAS_FIELDS.length; j++) {
      const v = recordNumbers[n + 3 + j]!;
      if (!Number.isNaN(v)) r[SAS_FIELDS[j]!] = v;
    }
    callers.push(r);
  }
  const activity: CallerActivityRecord[] = [];
  for (let k = 0; k < binStrings.length / BIN_STRINGS; k++)
    activity.push({
      account: strings[binStrings[k * BIN_STRINGS]!]!,
      caller: strings[binStrings[k * BIN_STRINGS + 1]!]!,
      binStartMs: binNumbers[k * BIN_NUMBERS]!,
      ok: binNumbers[k * BIN_NUMBERS + 1]!,
      failed: binNumbers[k * BIN_NUMBERS + 2]!,
    });
  return { callers, activity, accounts: p.accounts, truncated: p.truncated };
}
