import { codesMeantBy } from "../codes/error-codes.js";
import { redactSecrets } from "../redact.js";
import {
  challengeOutcome,
  firstRecordOf,
  recordsOf,
  type CallerDimension,
  type CallerView,
  type EvidenceIndex,
} from "./evidence.js";
import { displayCaller, fmtTime, listWords, round3 } from "./format.js";
import type { ScoredCandidate } from "./rank.js";
import type { RootCauseSettings } from "./settings.js";
import { compareText } from "../order.js";

/**
 * Changes seen in the logs themselves: at onset, each failing caller is compared with the same caller
 * before its first failure. A value it fails with that it never succeeded with before (a new user agent,
 * x-ms-version, key slot, auth type or address) is a cause candidate with source `logs`.
 *
 *   score = weight(dimension, error code) × (0.5 + 0.5 × share) × (new value also succeeds ? 0.6 : 1)
 *
 * share = the fraction of the incident's failures that come from callers showing the change.
 */

interface DimensionSpec {
  dimension: CallerDimension;
  kind: string;
  operation: string;
  noun: string;
  weight(errorCode: string, authType: string): number;
  advice: string;
}

const lc = (s: string) => s.toLowerCase();

const SPECS: readonly DimensionSpec[] = [
  {
    dimension: "userAgent",
    kind: "sdk-changed",
    operation: "UserAgentHeader changed",
    noun: "user agent (SDK and version)",
    weight: (code) =>
      lc(code) === "authenticationfailed" ? 0.75 : lc(code) === "invalidauthenticationinfo" ? 0.7 : 0.4,
    advice:
      "roll back the client or SDK upgrade to confirm, then compare the string-to-sign of both versions (auth-triage signature explain); do not rotate keys",
  },
  {
    dimension: "operationVersion",
    kind: "version-changed",
    operation: "OperationVersion (x-ms-version) changed",
    noun: "x-ms-version",
    weight: (code) =>
      lc(code) === "invalidauthenticationinfo" ? 0.8 : lc(code) === "authenticationfailed" ? 0.7 : 0.35,
    advice:
      "pin x-ms-version back to the value that worked (bearer tokens need 2017-11-09 or later) and check what the new version signs",
  },
  {
    dimension: "keySlot",
    kind: "key-slot-changed",
    operation: "key slot changed",
    noun: "account key slot",
    weight: (code) => (lc(code) === "authenticationfailed" ? 0.8 : 0.3),
    advice:
      "the callers switched key: check that the key they were given is the account's current one; do not regenerate keys again",
  },
  {
    dimension: "authType",
    kind: "auth-type-changed",
    operation: "authentication type changed",
    noun: "authentication type",
    weight: (code) =>
      [
        "keybasedauthenticationnotpermitted",
        "authorizationpermissionmismatch",
        "noauthenticationinformation",
      ].includes(lc(code))
        ? 0.75
        : 0.5,
    advice:
      "the callers switched authentication scheme: restore the previous credential or grant the new one what it needs",
  },
  {
    dimension: "callerIp",
    kind: "new-caller-addresses",
    operation: "caller address changed",
    noun: "source address",
    weight: (code) => (isNetworkRejection(code) ? 0.8 : 0.25),
    advice:
      "allow the new addresses (or their subnet) in the account's network rules or route them through the private endpoint",
  },
];

const NEW_ADDRESS_SPEC = SPECS.find((s) => s.dimension === "callerIp")!;

const NETWORK_REJECTIONS = ["authorizationfailure", "authorizationsourceipmismatch"];
const NEW_HOST_ADVICE =
  "look at the new hosts themselves (the credential or SAS they were given, their clock, a proxy or gateway in front of them); network rules do not cause this error";

/** A classic `$logs` status may mean several codes: it is a network rejection if any of them is. */
function isNetworkRejection(code: string): boolean {
  return codesMeantBy(code).some((c) => NETWORK_REJECTIONS.includes(lc(c)));
}

/** The spec's weight for the incident's code, or for the likeliest code a classic status stands for. */
function weightOf(spec: Pick<DimensionSpec, "weight">, errorCode: string, authType: string): number {
  return Math.max(...codesMeantBy(errorCode).map((c) => spec.weight(c, authType)));
}

/** Whether `value`, counted `count` times, ranks after `entry`: most counted first, ties by value. */
function ranksAfter(value: string, count: number, entry: [string, number]): boolean {
  return count < entry[1] || (count === entry[1] && compareText(value, entry[0]) >= 0);
}

/**
 * The `max` most counted values in words ("a, b, c and 12 more"). Only those are sorted: an account's
 * known addresses number in the hundreds, and sorting them all for each incident was most of the time
 * spent looking for new addresses.
 */
export function topValues(counts: Map<string, number>, max = 3): string {
  const top: Array<[string, number]> = [];
  for (const [value, count] of counts) insertTop(top, value, count, max);
  return topInWords(top, counts.size, max);
}

/**
 * Takes `value`, counted `count` times, into `top`, the `max` most counted so far (most first), when it
 * belongs there; its entry is made only then (most values of a long list do not).
 */
function insertTop(top: Array<[string, number]>, value: string, count: number, max: number): void {
  if (top.length === max && ranksAfter(value, count, top[max - 1]!)) return;
  let i = top.length === max ? max - 1 : top.length;
  while (i > 0 && !ranksAfter(value, count, top[i - 1]!)) {
    top[i] = top[i - 1]!;
    i--;
  }
  top[i] = [value, count];
}

/** The most counted values `top` of `count` in all, in words, through the redaction step. */
function topInWords(top: ReadonlyArray<[string, number]>, count: number, max: number): string {
  return redactSecrets(
    listWords(
      top.map(([v]) => v || "(empty)"),
      max,
      count,
    ),
  );
}

function addCount(m: Map<string, number>, k: string, n: number): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

export interface FailingCaller {
  view: CallerView;
  failures: number;
  firstFailureMs: number;
}

/** failingCallersOf per index: each incident asks for its failing callers several times. */
const failingMemo = new WeakMap<EvidenceIndex, Map<string, readonly FailingCaller[]>>();

/** Callers that failed with this incident's challenge, most failures first. */
export function failingCallersOf(
  index: EvidenceIndex,
  account: string,
  outcome: string,
): readonly FailingCaller[] {
  let memo = failingMemo.get(index);
  if (!memo) failingMemo.set(index, (memo = new Map()));
  const key = account.toLowerCase() + "\u0000" + outcome.toLowerCase();
  const known = memo.get(key);
  if (known) return known;
  const out: FailingCaller[] = [];
  for (const view of index.callersWith(account, outcome, "all")) {
    const all = firstRecordOf(view, outcome, "all")!;
    out.push({ view, failures: all.count, firstFailureMs: all.firstMs });
  }
  out.sort((a, b) => b.failures - a.failures || compareText(a.view.caller, b.view.caller));
  memo.set(key, out);
  return out;
}

export interface LogChangeResult {
  candidates: ScoredCandidate[];
  /** Callers whose own values changed at onset (skew assessment treats them differently). */
  changedCallers: Set<string>;
}

export function detectLogChanges(
  index: EvidenceIndex,
  incident: { account: string; statusCode: number; errorCode: string; authType: string; onsetMs: number },
  accountLabel: string,
  settings: RootCauseSettings,
): LogChangeResult {
  const outcome = challengeOutcome(incident.statusCode, incident.errorCode, incident.authType);
  const failing = failingCallersOf(index, incident.account, outcome);
  const total = failing.reduce((n, f) => n + f.failures, 0);
  const changedCallers = new Set<string>();
  const candidates: ScoredCandidate[] = [];
  if (total === 0) return { candidates, changedCallers };

  for (const spec of SPECS) {
    const before = new Map<string, number>();
    const after = new Map<string, number>();
    const callers: string[] = [];
    let changedFailures = 0;
    let firstNewMs = Infinity;
    const oldValues = new Set<string>();
    const newValues = new Set<string>();
    for (const f of failing) {
      // Most failing callers never succeeded: asked first, they cost no filtered copy.
      const succeeded = recordsOf(f.view, "ok", spec.dimension);
      if (succeeded.length === 0) continue;
      const bad = recordsOf(f.view, outcome, spec.dimension);
      if (bad.length === 0) continue;
      const ok = succeeded.filter((r) => r.firstMs < f.firstFailureMs);
      if (ok.length === 0) continue;
      const okValues = new Set(ok.map((r) => r.value));
      if (bad.some((r) => okValues.has(r.value))) continue;
      callers.push(displayCaller(f.view.caller));
      changedCallers.add(f.view.caller);
      changedFailures += f.failures;
      for (const r of ok) {
        addCount(before, r.value, r.count);
        oldValues.add(r.value);
      }
      for (const r of bad) {
        addCount(after, r.value, r.count);
        newValues.add(r.value);
        // When the new value first appeared for this caller, in any outcome.
        for (const any of f.view.records)
          if (any.dimension === spec.dimension && any.value === r.value)
            firstNewMs = Math.min(firstNewMs, any.firstMs);
      }
    }
    const share = changedFailures / total;
    if (callers.length === 0 || share < settings.minChangedShare) continue;
    const { newAlsoSucceeds, oldStillSucceeds } = succeedingAfter(
      index.callersWith(incident.account, "ok", spec.dimension),
      spec.dimension,
      incident.onsetMs,
      newValues,
      oldValues,
    );
    const score =
      weightOf(spec, incident.errorCode, incident.authType) *
      (0.5 + 0.5 * share) *
      (newAlsoSucceeds ? 0.6 : 1);
    const beforeText = topValues(before);
    const afterText = topValues(after);
    const pct = Math.round(share * 100);
    const why =
      `${callers.length} failing caller(s) (${listWords(callers)}; ${pct}% of the failures) sent ${spec.noun} ${afterText} from their first failure on, ` +
      `while before it the same callers succeeded with ${beforeText}` +
      (oldStillSucceeds ? `; ${beforeText} still succeeds after onset` : "") +
      (newAlsoSucceeds
        ? `; but ${afterText} also succeeds for some requests, so the change explains the failures only in part`
        : "") +
      ".";
    candidates.push({
      fit: weightOf(spec, incident.errorCode, incident.authType),
      candidate: {
        source: "logs",
        time: new Date(Number.isFinite(firstNewMs) ? firstNewMs : incident.onsetMs).toISOString(),
        operation: spec.operation,
        resourceId: accountLabel,
        caller: listWords(callers),
        summary: `Failing callers changed their ${spec.noun} at onset: ${beforeText} → ${afterText}`,
        score: round3(Math.min(1, score)),
        why,
        before: beforeText,
        after: afterText,
        kind: spec.kind,
        advice: spec.advice,
      },
    });
  }

  const fresh = newAddresses(index, incident, outcome, failing, total, accountLabel, settings);
  if (fresh) candidates.push(fresh);
  return { candidates, changedCallers };
}

/**
 * Whether any of `callers` succeeded at or after `onsetMs` with one of `newValues`, and with one of
 * `oldValues`, in `dimension`: one walk over the account's successful callers, stopped once both are
 * known (each incident's changed dimension asked twice, a list of every matching record each time).
 */
function succeedingAfter(
  callers: readonly CallerView[],
  dimension: CallerDimension,
  onsetMs: number,
  newValues: ReadonlySet<string>,
  oldValues: ReadonlySet<string>,
): { newAlsoSucceeds: boolean; oldStillSucceeds: boolean } {
  let newAlsoSucceeds = false;
  let oldStillSucceeds = false;
  for (const v of callers) {
    for (const r of recordsOf(v, "ok", dimension)) {
      if (r.lastMs < onsetMs) continue;
      if (newValues.has(r.value)) newAlsoSucceeds = true;
      if (oldValues.has(r.value)) oldStillSucceeds = true;
    }
    if (newAlsoSucceeds && oldStillSucceeds) break;
  }
  return { newAlsoSucceeds, oldStillSucceeds };
}

/**
 * An address caller of an account: when it first succeeded, and how many of its requests succeeded (the
 * one record of its successes, outcome ok in the dimension "all").
 */
interface KnownAddress {
  address: string;
  successes: number;
  firstOkMs: number;
}

/** The addresses an incident names as known before its onset. */
const KNOWN_SHOWN = 3;

/**
 * An account's address callers, earliest success first: every incident of the account asks which of
 * them succeeded before its onset, a prefix of this list, and names the KNOWN_SHOWN most counted of that
 * prefix. `tops`: those, by prefix length, worked out the first time an incident asks (an account's
 * incidents share a handful of onsets). Building them for every prefix ahead, a copy per address, cost
 * more than the prefixes its incidents read (BENCHMARKS.md, thirty-seventh round).
 */
interface AccountAddresses {
  list: readonly KnownAddress[];
  tops: Map<number, ReadonlyArray<[string, number]>>;
}

const addressMemo = new WeakMap<EvidenceIndex, Map<string, AccountAddresses>>();

function addressesOf(index: EvidenceIndex, account: string): AccountAddresses {
  let memo = addressMemo.get(index);
  if (!memo) addressMemo.set(index, (memo = new Map()));
  const key = account.toLowerCase();
  let known = memo.get(key);
  if (!known) {
    const list: KnownAddress[] = [];
    for (const v of index.callersWith(account, "ok", "all")) {
      if (!v.caller.startsWith("ip:")) continue;
      const ok = firstRecordOf(v, "ok", "all")!;
      list.push({ address: displayCaller(v.caller), successes: ok.count, firstOkMs: ok.firstMs });
    }
    list.sort((x, y) => x.firstOkMs - y.firstOkMs);
    memo.set(key, (known = { list, tops: new Map() }));
  }
  return known;
}

/** The KNOWN_SHOWN most counted of the first `count` of `known`'s addresses. */
function topOfFirst(known: AccountAddresses, count: number): ReadonlyArray<[string, number]> {
  let top = known.tops.get(count);
  if (!top) {
    const held: Array<[string, number]> = [];
    for (let i = 0; i < count; i++) {
      const { address, successes } = known.list[i]!;
      insertTop(held, address, successes, KNOWN_SHOWN);
    }
    known.tops.set(count, (top = held));
  }
  return top;
}

/** How many of `list` (earliest success first) succeeded before `onsetMs`. */
function knownBefore(list: readonly KnownAddress[], onsetMs: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.firstOkMs < onsetMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Failing addresses never seen before onset, while the account had known callers before it. */
function newAddresses(
  index: EvidenceIndex,
  incident: { account: string; errorCode: string; authType: string; onsetMs: number },
  outcome: string,
  failing: readonly FailingCaller[],
  total: number,
  accountLabel: string,
  settings: RootCauseSettings,
): ScoredCandidate | undefined {
  const known = addressesOf(index, incident.account);
  const knownCount = knownBefore(known.list, incident.onsetMs);
  if (knownCount === 0) return undefined;
  const fresh = failing.filter(
    (f) =>
      f.view.caller.startsWith("ip:") &&
      !f.view.records.some((r) => r.dimension === "all" && r.firstMs < f.firstFailureMs),
  );
  const freshFailures = fresh.reduce((n, f) => n + f.failures, 0);
  const share = freshFailures / total;
  if (fresh.length === 0 || share < settings.minChangedShare) return undefined;
  const w = weightOf(NEW_ADDRESS_SPEC, incident.errorCode, incident.authType);
  const beforeText = topInWords(topOfFirst(known, knownCount), knownCount, KNOWN_SHOWN);
  const afterText = redactSecrets(listWords(fresh.map((f) => displayCaller(f.view.caller))));
  const firstMs = Math.min(...fresh.map((f) => f.firstFailureMs));
  return {
    fit: w,
    candidate: {
      source: "logs",
      time: new Date(firstMs).toISOString(),
      operation: "new caller addresses",
      resourceId: accountLabel,
      caller: afterText,
      summary: `Failures come from addresses never seen before onset: ${afterText} (known callers before: ${beforeText})`,
      score: round3(Math.min(1, w * (0.5 + 0.5 * share))),
      why:
        `${fresh.length} failing address(es) (${Math.round(share * 100)}% of the failures) first appeared at ${fmtTime(firstMs, incident.onsetMs)} ` +
        `and never called the account before, while ${knownCount} address(es) such as ${beforeText} succeeded before onset: the callers may have moved (new outbound addresses, subnet or region).`,
      before: beforeText,
      after: afterText,
      kind: "new-caller-addresses",
      // Network rules explain only network rejections; for other errors the new host itself is the lead.
      advice: isNetworkRejection(incident.errorCode) ? NEW_ADDRESS_SPEC.advice : NEW_HOST_ADVICE,
    },
  };
}
