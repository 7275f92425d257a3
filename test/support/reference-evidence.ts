import { SasTimesCache } from "../../src/cluster/sas-window.js";
import {
  ACTIVITY_BIN_MS,
  DEFAULT_EVIDENCE_LIMITS,
  OTHER_VALUE,
  accountResourceIdOf,
  callerIdentityOf,
  credentialOf,
  outcomeOf,
  type CallerActivityRecord,
  type CallerDimension,
  type CallerValueRecord,
  type EvidenceLimits,
  type RootCauseEvidence,
} from "../../src/correlate/evidence.js";
import type { RecordObserver } from "../../src/engine/contracts.js";
import { keySlotOf, type StorageRequest } from "../../src/model/storage-request.js";

/**
 * The root-cause evidence observer as it was before the scan-engine work (issue 13), kept verbatim as
 * the reference the faster observer must match record for record (test/correlate/evidence-parity).
 */
function cleanUserAgent(ua: string): string {
  let s = ua.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  return s.length > 200 ? s.slice(0, 200) : s;
}

interface CallerState {
  account: string;
  caller: string;
  /** key = outcome \0 dimension \0 value */
  records: Map<string, CallerValueRecord>;
  /** key = outcome \0 dimension → distinct values */
  valuesPerDimension: Map<string, number>;
  outcomes: Set<string>;
  bins: Map<number, CallerActivityRecord>;
  /** Per outcome, the last row's raw fields and the records they hit: rows of one caller mostly repeat. */
  shapes: Map<string, RowShape>;
  lastBin?: CallerActivityRecord;
}

interface RowShape {
  userAgent: string | undefined;
  operationVersion: string | undefined;
  authHash: string | undefined;
  authType: string;
  callerIp: string | undefined;
  records: CallerValueRecord[];
  sasRecord: CallerValueRecord | undefined;
}

function bump(rec: CallerValueRecord, t: number): void {
  rec.count++;
  if (t < rec.firstMs) rec.firstMs = t;
  if (t > rec.lastMs) rec.lastMs = t;
}

/**
 * Learns, from every request of a run (successes too), what each caller looked like. Feed it every
 * StorageRequest; read `evidence()` whenever needed (it is cheap to call repeatedly: cached until the
 * next observation).
 */
export class ReferenceEvidenceObserver implements RecordObserver {
  private readonly callers = new Map<string, CallerState>();
  /** raw AccountName → raw caller key (object id, IP or auth hash) → state; aliases of `callers`. */
  private readonly byRawAccount = new Map<string, Map<string, CallerState>>();
  private readonly accounts = new Map<string, string>();
  private readonly truncated = { droppedCallers: 0, foldedValues: 0, droppedBins: 0 };
  private cached: RootCauseEvidence | undefined;
  /** The requests of one SAS share its query: each distinct one is parsed once. */
  private readonly sasTimes = new SasTimesCache();

  constructor(private readonly limits: EvidenceLimits = DEFAULT_EVIDENCE_LIMITS) {}

  observe(r: StorageRequest): void {
    const outcome = outcomeOf(r);
    if (outcome === undefined || !Number.isFinite(r.timeMs)) return;
    this.cached = undefined;
    // Hot path: find the caller by the row's raw fields without building strings.
    let byCaller = this.byRawAccount.get(r.account);
    if (!byCaller) {
      if (this.byRawAccount.size >= this.limits.maxCallers) {
        this.truncated.droppedCallers++;
        return;
      }
      byCaller = new Map();
      this.byRawAccount.set(r.account, byCaller);
    }
    // `||`, not `??`: an empty object id falls through to the address, as in callerIdentityOf.
    const rawKey = r.requesterObjectId || r.callerIp || r.authHash || "";
    let state = byCaller.get(rawKey);
    if (!state) {
      state = this.callerState(r);
      if (!state) return;
      if (byCaller.size < this.limits.maxCallers) byCaller.set(rawKey, state);
    }
    const caller = state.caller;
    if (!state.outcomes.has(outcome)) {
      if (state.outcomes.size >= this.limits.maxOutcomesPerCaller) {
        this.truncated.foldedValues++;
        return;
      }
      state.outcomes.add(outcome);
    }
    const t = r.timeMs;
    const shape = state.shapes.get(outcome);
    if (
      shape &&
      shape.userAgent === r.userAgent &&
      shape.operationVersion === r.operationVersion &&
      shape.authHash === r.authHash &&
      shape.authType === r.authType &&
      shape.callerIp === r.callerIp
    ) {
      // Fast path: same values as this caller's previous row with this outcome.
      for (const rec of shape.records) bump(rec, t);
      if (shape.sasRecord) this.noteSasTimes(shape.sasRecord, r, t);
      this.bin(state, t, outcome === "ok");
      return;
    }
    const records: CallerValueRecord[] = [this.add(state, outcome, "all", "", t)];
    const ua = r.userAgent ? cleanUserAgent(r.userAgent) : "";
    if (ua) records.push(this.add(state, outcome, "userAgent", ua, t));
    const version = r.operationVersion ? r.operationVersion.trim() : "";
    if (version) records.push(this.add(state, outcome, "operationVersion", version, t));
    const slot = keySlotOf(r.authHash);
    if (slot) records.push(this.add(state, outcome, "keySlot", slot, t));
    if (r.authType) records.push(this.add(state, outcome, "authType", r.authType, t));
    if (r.callerIp && !caller.startsWith("ip:"))
      records.push(this.add(state, outcome, "callerIp", r.callerIp, t));
    const credential = credentialOf(r);
    let sasRecord: CallerValueRecord | undefined;
    if (credential) {
      const rec = this.add(state, outcome, "credential", credential, t);
      records.push(rec);
      if (credential.startsWith("sas:")) {
        sasRecord = rec;
        this.noteSasTimes(rec, r, t);
      }
    }
    state.shapes.set(outcome, {
      userAgent: r.userAgent,
      operationVersion: r.operationVersion,
      authHash: r.authHash,
      authType: r.authType,
      callerIp: r.callerIp,
      records,
      sasRecord,
    });
    this.bin(state, t, outcome === "ok");
  }

  /** The canonical caller state of a row (slow path: once per distinct raw caller). */
  private callerState(r: StorageRequest): CallerState | undefined {
    const account = r.account.toLowerCase();
    if (!this.accounts.has(account) && this.accounts.size < this.limits.maxCallers) {
      const id = accountResourceIdOf(r.resourceId);
      if (id) this.accounts.set(account, id);
    }
    const caller = callerIdentityOf(r);
    const key = account + "\u0000" + caller;
    let state = this.callers.get(key);
    if (!state) {
      if (this.callers.size >= this.limits.maxCallers) {
        this.truncated.droppedCallers++;
        return undefined;
      }
      state = {
        account,
        caller,
        records: new Map(),
        valuesPerDimension: new Map(),
        outcomes: new Set(),
        bins: new Map(),
        shapes: new Map(),
      };
      this.callers.set(key, state);
    }
    return state;
  }

  private add(
    state: CallerState,
    outcome: string,
    dimension: CallerDimension,
    value: string,
    t: number,
  ): CallerValueRecord {
    let key = outcome + "\u0000" + dimension + "\u0000" + value;
    let rec = state.records.get(key);
    if (!rec) {
      const dimKey = outcome + "\u0000" + dimension;
      const n = state.valuesPerDimension.get(dimKey) ?? 0;
      if (n >= this.limits.maxValuesPerDimension) {
        this.truncated.foldedValues++;
        value = OTHER_VALUE;
        key = dimKey + "\u0000" + value;
        rec = state.records.get(key);
      } else {
        state.valuesPerDimension.set(dimKey, n + 1);
      }
      if (!rec) {
        rec = {
          account: state.account,
          caller: state.caller,
          outcome,
          dimension,
          value,
          count: 0,
          firstMs: t,
          lastMs: t,
        };
        state.records.set(key, rec);
      }
    }
    bump(rec, t);
    return rec;
  }

  private noteSasTimes(rec: CallerValueRecord, r: StorageRequest, t: number): void {
    const times = this.sasTimes.get(r.uri);
    const startMs = times?.stMs;
    const expiryMs = times?.seMs;
    if (startMs !== undefined) {
      rec.sasStartMs = Math.max(rec.sasStartMs ?? startMs, startMs);
      if (startMs > t) {
        rec.notYetValid = (rec.notYetValid ?? 0) + 1;
        rec.maxStartLeadMs = Math.max(rec.maxStartLeadMs ?? 0, startMs - t);
      }
    }
    if (expiryMs !== undefined) {
      rec.sasExpiryMs = Math.max(rec.sasExpiryMs ?? expiryMs, expiryMs);
      if (expiryMs < t) {
        rec.expired = (rec.expired ?? 0) + 1;
        rec.maxExpiredByMs = Math.max(rec.maxExpiredByMs ?? 0, t - expiryMs);
      }
    }
  }

  private bin(state: CallerState, t: number, ok: boolean): void {
    const start = Math.floor(t / ACTIVITY_BIN_MS) * ACTIVITY_BIN_MS;
    let b = state.lastBin?.binStartMs === start ? state.lastBin : state.bins.get(start);
    if (!b) {
      if (state.bins.size >= this.limits.maxBinsPerCaller) {
        let oldest = Infinity;
        for (const k of state.bins.keys()) if (k < oldest) oldest = k;
        if (start < oldest) {
          this.truncated.droppedBins++;
          return;
        }
        state.bins.delete(oldest);
        this.truncated.droppedBins++;
      }
      b = { account: state.account, caller: state.caller, binStartMs: start, ok: 0, failed: 0 };
      state.bins.set(start, b);
    }
    state.lastBin = b;
    if (ok) b.ok++;
    else b.failed++;
  }

  /** The accumulated records (copies; safe to keep). */
  evidence(): RootCauseEvidence {
    if (this.cached) return this.cached;
    const callers: CallerValueRecord[] = [];
    const activity: CallerActivityRecord[] = [];
    for (const s of this.callers.values()) {
      for (const r of s.records.values()) callers.push({ ...r });
      for (const b of s.bins.values()) activity.push({ ...b });
    }
    const accounts = [...this.accounts].map(([account, resourceId]) => ({ account, resourceId }));
    this.cached = { callers, activity, accounts, truncated: { ...this.truncated } };
    return this.cached;
  }

  /** Number of (account, caller) pairs remembered: what memory grows with. */
  get callerCount(): number {
    return this.callers.size;
  }
}
