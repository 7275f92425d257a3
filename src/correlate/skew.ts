import { codesMeantBy } from "../codes/error-codes.js";
import type { ChangeCandidate, ClockSkewAssessment, Incident } from "../model/incident.js";
import {
  ACTIVITY_BIN_MS,
  challengeOutcome,
  recordsOf,
  type CallerValueRecord,
  type EvidenceIndex,
} from "./evidence.js";
import type { ActivityChange } from "./activity.js";
import { displayCaller, fmtDuration, fmtTime, fmtTimeSeconds, listWords, shortHash } from "./format.js";
import { failingCallersOf, type FailingCaller } from "./log-changes.js";
import type { RootCauseSettings } from "./settings.js";
import { compareText } from "../order.js";

/**
 * Clock-skew indicators from the logs alone (server logs carry neither x-ms-date nor the error detail):
 * 1. a SAS whose `st` is later than the request time (not yet valid), strongest when the same SAS
 *    (SasSignature hash) fails first and succeeds minutes later;
 * 2. Shared Key / SAS failures confined to one host while the same credential (same hash) succeeds from
 *    other hosts, strengthened by intermittent successes from that host and by a burst after idle;
 *    without either, a top-ranked gateway change or app deployment (which alters requests after
 *    signing, failing every call it handles) explains the failing host instead;
 * 3. OAuth tokens of one principal rejected from one host while accepted from others.
 * A plainly expired SAS or a rotated key is not skew: those land in `ruledOut`.
 */

export interface SkewInput {
  incident: Incident;
  onsetMs: number;
  lastSeenMs: number;
  index: EvidenceIndex;
  changes: readonly ActivityChange[];
  /** The ranked causes: a plausible key regeneration rules skew out. */
  ranked: readonly ChangeCandidate[];
  /** Callers whose SDK/version/key changed at onset (a host-specific change explains them better). */
  changedCallers: ReadonlySet<string>;
  settings: RootCauseSettings;
}

function credentialWords(value: string): string {
  if (value.startsWith("sas:")) return `SAS ${shortHash(value.slice(4))}`;
  const m = /^(key[12])\(([0-9A-F]+)\)$/i.exec(value);
  return m ? `${m[1]} (hash ${shortHash(m[2]!)})` : value;
}

/** What every indicator reads (the input, the incident's failing callers) and where it writes. */
interface IndicatorContext {
  input: SkewInput;
  /** The incident's challenge as an evidence outcome. */
  outcome: string;
  failing: readonly FailingCaller[];
  evidence: string[];
  ruledOut: string[];
}

export function assessClockSkew(input: SkewInput): ClockSkewAssessment {
  const { incident, index } = input;
  const outcome = challengeOutcome(incident.statusCode, incident.errorCode, incident.authType);
  const ctx: IndicatorContext = {
    input,
    outcome,
    failing: failingCallersOf(index, incident.account, outcome),
    evidence: [],
    ruledOut: [],
  };
  const { evidence, ruledOut } = ctx;
  const auth = incident.authType.toLowerCase();
  // A classic `$logs` status stands for several codes: the indicators of each of them apply.
  const codes = new Set(codesMeantBy(incident.errorCode).map((c) => c.toLowerCase()));
  let suspected = false;

  if (codes.has("authenticationfailed") && auth === "sas") {
    suspected = sasTimeIndicators(ctx) || suspected;
  }
  if (codes.has("authenticationfailed") && (auth === "accountkey" || auth === "sas")) {
    suspected = singleHostIndicators(ctx) || suspected;
    rotationRuleOut(input, ruledOut);
  }
  if (codes.has("invalidauthenticationinfo") && auth === "oauth") {
    suspected = tokenHostIndicator(ctx) || suspected;
  }
  const result: ClockSkewAssessment = { suspected, evidence };
  if (ruledOut.length) result.ruledOut = ruledOut;
  return result;
}

interface SasAggregate {
  value: string;
  notYetValid: number;
  maxLeadMs: number;
  expired: number;
  maxExpiredByMs: number;
  failFirstMs: number;
  failLastMs: number;
  startMs?: number;
  expiryMs?: number;
}

function sasTimeIndicators(ctx: IndicatorContext): boolean {
  const { input, failing, outcome, evidence, ruledOut } = ctx;
  const { settings, incident, index } = input;
  const byToken = new Map<string, SasAggregate>();
  for (const f of failing) {
    for (const r of recordsOf(f.view, outcome, "credential")) {
      if (!r.value.startsWith("sas:")) continue;
      let a = byToken.get(r.value);
      if (!a) {
        a = {
          value: r.value,
          notYetValid: 0,
          maxLeadMs: 0,
          expired: 0,
          maxExpiredByMs: 0,
          failFirstMs: r.firstMs,
          failLastMs: r.lastMs,
        };
        byToken.set(r.value, a);
      }
      a.notYetValid += r.notYetValid ?? 0;
      a.maxLeadMs = Math.max(a.maxLeadMs, r.maxStartLeadMs ?? 0);
      a.expired += r.expired ?? 0;
      a.maxExpiredByMs = Math.max(a.maxExpiredByMs, r.maxExpiredByMs ?? 0);
      a.failFirstMs = Math.min(a.failFirstMs, r.firstMs);
      a.failLastMs = Math.max(a.failLastMs, r.lastMs);
      if (r.sasStartMs !== undefined) a.startMs = r.sasStartMs;
      if (r.sasExpiryMs !== undefined) a.expiryMs = r.sasExpiryMs;
    }
  }
  const succeeded = index.recordsByValue(incident.account, "ok", "credential");
  const okOf = (value: string): readonly CallerValueRecord[] => succeeded.get(value) ?? [];

  let suspected = false;
  const tokens = [...byToken.values()].sort(
    (a, b) => b.notYetValid - a.notYetValid || compareText(a.value, b.value),
  );
  let future = 0;
  for (const t of tokens) {
    if (t.notYetValid > 0) {
      if (t.maxLeadMs > settings.skewMaxStartLeadMs) {
        ruledOut.push(
          `${credentialWords(t.value)} failed ${t.notYetValid} time(s) because its start time (st${t.startMs !== undefined ? " " + new Date(t.startMs).toISOString() : ""}) was up to ${fmtDuration(t.maxLeadMs)} ahead: a deliberately future start, not clock skew.`,
        );
        continue;
      }
      if (future++ >= 3) continue;
      suspected = true;
      const ok = okOf(t.value);
      const later = ok.filter((r) => r.lastMs > t.failFirstMs);
      const firstOk = later.length ? Math.min(...later.map((r) => r.firstMs)) : undefined;
      evidence.push(
        `${credentialWords(t.value)} failed ${t.notYetValid} time(s) between ${fmtTimeSeconds(t.failFirstMs)} and ${fmtTimeSeconds(t.failLastMs)} ` +
          `while its start time st${t.startMs !== undefined ? " " + fmtTimeSeconds(t.startMs) : ""} was still up to ${fmtDuration(t.maxLeadMs)} in the future` +
          (firstOk !== undefined
            ? `; the same SAS succeeded from ${fmtTimeSeconds(firstOk)}, so the clock that minted it runs ahead of Storage's`
            : "; the clock that minted it runs ahead of Storage's (or st is set to now without a margin)") +
          ".",
      );
    } else if (t.expired > 0) {
      if (t.maxExpiredByMs > settings.plainlyExpiredMs) {
        ruledOut.push(
          `${credentialWords(t.value)} had expired (se${t.expiryMs !== undefined ? " " + new Date(t.expiryMs).toISOString() : ""}) up to ${fmtDuration(t.maxExpiredByMs)} before the requests: a plainly expired SAS, not clock skew.`,
        );
      } else {
        ruledOut.push(
          `${credentialWords(t.value)} expired only ${fmtDuration(t.maxExpiredByMs)} before the requests: an expired SAS; skew only if its lifetime was meant to be longer.`,
        );
      }
    }
  }
  if (byToken.size === 0) {
    // No per-request evidence (e.g. aggregated source): fall back on the incident's SAS windows.
    for (const w of input.incident.sasWindows) {
      const st = w.st ? Date.parse(w.st) : NaN;
      const se = w.se ? Date.parse(w.se) : NaN;
      if (w.notYetValid > 0 && Number.isFinite(st)) {
        const lead = st - input.onsetMs;
        if (lead <= settings.skewMaxStartLeadMs) {
          suspected = true;
          evidence.push(
            `${w.notYetValid} failing request(s) used a SAS whose start time st ${w.st} was after the request time: the clock that minted it runs ahead of Storage's.`,
          );
        } else {
          ruledOut.push(
            `A SAS with st ${w.st} was used ${fmtDuration(lead)} before its start: a deliberately future start, not clock skew.`,
          );
        }
      } else if (w.expired > 0 && Number.isFinite(se)) {
        const by = input.lastSeenMs - se;
        if (by > settings.plainlyExpiredMs)
          ruledOut.push(
            `${w.expired} failing request(s) used a SAS that expired at ${w.se}: a plainly expired SAS, not clock skew.`,
          );
      }
    }
  }
  return suspected;
}

/** Catalog kinds that fit signature failures of the callers behind them (src/correlate/catalog.ts). */
const CHANGES_AFTER_SIGNING: ReadonlySet<string> = new Set(["gateway-changed", "app-deployed"]);

function singleHostIndicators(ctx: IndicatorContext): boolean {
  const { input, failing, outcome, evidence, ruledOut } = ctx;
  const { index, incident, onsetMs, lastSeenMs, settings } = input;
  // credential → failing hosts (ip callers)
  const failingHosts = new Map<string, Map<string, { rec: CallerValueRecord; caller: FailingCaller }>>();
  for (const f of failing) {
    if (!f.view.caller.startsWith("ip:")) continue;
    for (const r of recordsOf(f.view, outcome, "credential")) {
      let m = failingHosts.get(r.value);
      if (!m) failingHosts.set(r.value, (m = new Map()));
      m.set(f.view.caller, { rec: r, caller: f });
    }
  }
  let suspected = false;
  const succeeded = index.recordsByValue(incident.account, "ok", "credential");
  // Confinement to one address is also what a proxy or a deployed client that alters requests after
  // signing looks like; only intermittent successes or a burst after idle are specific to a clock.
  const top = input.ranked[0];
  const pathChange = top?.kind && CHANGES_AFTER_SIGNING.has(top.kind) ? top : undefined;
  for (const [value, hosts] of [...failingHosts].sort((a, b) => compareText(a[0], b[0]))) {
    const okHosts = new Set<string>();
    for (const r of succeeded.get(value) ?? []) {
      if (r.caller.startsWith("ip:") && r.lastMs >= onsetMs && r.firstMs <= lastSeenMs) okHosts.add(r.caller);
    }
    const others = [...okHosts].filter((h) => !hosts.has(h));
    const usersOfKey = new Set([...okHosts, ...hosts.keys()]).size;
    const confined = hosts.size === 1 || hosts.size <= Math.floor(0.2 * usersOfKey);
    if (!confined || others.length === 0) continue;
    for (const [host, { rec, caller }] of hosts) {
      const ownOk = recordsOf(caller.view, "ok", "credential").find((r) => r.value === value);
      const intermittent = ownOk !== undefined && ownOk.lastMs > rec.firstMs;
      const okBinsAfter = caller.view.bins.filter(
        (b) => b.binStartMs + ACTIVITY_BIN_MS > rec.firstMs && b.ok > 0,
      ).length;
      const earlier = caller.view.bins.filter(
        (b) => b.binStartMs + ACTIVITY_BIN_MS <= rec.firstMs && b.ok + b.failed > 0,
      );
      const lastEarlier = earlier.length ? earlier[earlier.length - 1]! : undefined;
      const idleMs = lastEarlier ? rec.firstMs - (lastEarlier.binStartMs + ACTIVITY_BIN_MS) : undefined;
      const idle = idleMs !== undefined && idleMs >= settings.idleGapMs;
      const hostChanged = input.changedCallers.has(host);
      const parts = [
        `${credentialWords(value)} fails from ${displayCaller(host)} only (${rec.count} failure(s) ${fmtTime(rec.firstMs, onsetMs)}–${fmtTime(rec.lastMs, onsetMs)}) ` +
          `while the same key succeeds from ${listWords(others.map(displayCaller))} at the same time`,
      ];
      if (intermittent)
        parts.push(
          `${displayCaller(host)} itself still succeeded with it after its first failure (last success ${fmtTime(ownOk!.lastMs, onsetMs)}${okBinsAfter ? `, in ${okBinsAfter} five-minute bin(s)` : ""}): intermittent, as with a clock drifting around the 15-minute limit`,
        );
      if (idle)
        parts.push(
          `it was idle for ${fmtDuration(idleMs!)} before a burst of failures, as after a host slept or a container resumed`,
        );
      if (hostChanged && !intermittent) {
        ruledOut.push(
          parts[0] +
            `, but ${displayCaller(host)} also changed its client at onset: a host-specific change (SDK, proxy) explains it better than clock skew.`,
        );
        continue;
      }
      if (pathChange && !intermittent && !idle) {
        ruledOut.push(
          parts[0] +
            `, but it never succeeded again after its first failure nor failed after idle, and the top-ranked cause is "${pathChange.summary}" ` +
            `(${fmtTime(Date.parse(pathChange.time), onsetMs)}): a gateway or deployment that changes requests after signing fails every call it handles, which explains one failing address better than clock skew.`,
        );
        continue;
      }
      suspected = true;
      evidence.push(
        parts.join("; ") +
          `. Check the clock (NTP) of ${displayCaller(host)}: Storage rejects Shared Key dates more than 15 minutes off.`,
      );
    }
  }
  return suspected;
}

function tokenHostIndicator(ctx: IndicatorContext): boolean {
  const { input, failing, outcome, evidence } = ctx;
  const { onsetMs, lastSeenMs } = input;
  let suspected = false;
  for (const f of failing) {
    if (!f.view.caller.startsWith("oid:")) continue;
    const badIps = recordsOf(f.view, outcome, "callerIp");
    const okIps = recordsOf(f.view, "ok", "callerIp").filter(
      (r) => r.lastMs >= onsetMs && r.firstMs <= lastSeenMs,
    );
    if (badIps.length !== 1) continue;
    const bad = badIps[0]!;
    const others = okIps.filter((r) => r.value !== bad.value);
    if (others.length === 0) continue;
    suspected = true;
    evidence.push(
      `Tokens of principal ${displayCaller(f.view.caller)} are rejected from ${bad.value} only (${bad.count} failure(s)) while accepted from ${listWords(others.map((r) => r.value))} at the same time: ` +
        `the clock of ${bad.value} may be off, making valid tokens look expired or not yet valid.`,
    );
  }
  return suspected;
}

function rotationRuleOut(input: SkewInput, ruledOut: string[]): void {
  for (const c of input.ranked) {
    if (c.kind !== "key-regenerated") continue;
    const ms = Date.parse(c.time);
    ruledOut.push(
      `${c.summary} at ${fmtTime(ms, input.onsetMs)}: failures signed with the old key follow from the rotation, not from clock skew.`,
    );
  }
}
