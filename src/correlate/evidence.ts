import { SasTimesCache, sasTimesOf as sasTimesOfUri, type SasTimes } from "../cluster/sas-window.js";
import { detach, SharedCopies } from "../detach.js";
import type { EvidenceCapsReport } from "../engine/caps.js";
import type { RecordObserver } from "../engine/contracts.js";
import { compareText } from "../order.js";
import {
  callerKeyHash,
  CallerKeyKind,
  callerKeyKindOf,
  hasCallerKeyFromBytes,
  rawCallerKeyOf,
} from "../model/caller-key.js";
import {
  isAuthFailure,
  keySlotOf,
  sasSignatureHashOf,
  type StorageRequest,
} from "../model/storage-request.js";

/**
 * Evidence records: what the root-cause stage remembers about callers, as plain mergeable aggregates.
 *
 * The local engine builds them row by row (`EvidenceObserver`); the Log Analytics source builds the very
 * same records server-side with `summarize count(), min(TimeGenerated), max(TimeGenerated) by …`, so the
 * explainer (`explainFromEvidence`) never needs rows. Every record merges by sum (counts), min (first*)
 * and max (last*, max*), so partial results from several workspaces, windows or shards can be combined
 * with `mergeEvidence`. Memory grows with callers × distinct values (capped), never with rows.
 */

/** Width of the per-caller activity bins. */
export const ACTIVITY_BIN_MS = 5 * 60_000;

/** Dimensions remembered per caller and outcome. `all` (value "") carries the caller's totals. */
export type CallerDimension =
  "all" | "userAgent" | "operationVersion" | "keySlot" | "authType" | "callerIp" | "credential";

export const CALLER_DIMENSIONS: readonly CallerDimension[] = [
  "all",
  "userAgent",
  "operationVersion",
  "keySlot",
  "authType",
  "callerIp",
  "credential",
];

/**
 * One (account, caller, outcome, dimension, value) aggregate.
 *
 * - `caller`: `oid:<requesterObjectId>` for OAuth/Kerberos callers, else `ip:<address>`, else
 *   `sas:<SasSignature hash>`, else `key:<key1|key2>`, else `unknown` (see `callerIdentityOf`).
 * - `outcome`: `ok` for every request that got past authentication and authorisation (any status but
 *   401/403), else the challenge `<status>|<error code>|<auth type>` as logged (`outcomeOf`).
 * - `credential` values: `AccountKey` → the key part of AuthenticationHash (`key1(<sha256>)`);
 *   `SAS` → `sas:<SasSignature sha256>`. Hashes of keys and signatures, never secrets.
 */
export interface CallerValueRecord {
  /** Account name, lower case. */
  account: string;
  caller: string;
  outcome: string;
  dimension: CallerDimension;
  value: string;
  count: number;
  firstMs: number;
  lastMs: number;
  /** SAS credential records: requests whose `st` was after the request time. */
  notYetValid?: number;
  /** …and the largest `st − request time` among them. */
  maxStartLeadMs?: number;
  /** SAS credential records: requests whose `se` was before the request time. */
  expired?: number;
  /** …and the largest `request time − se` among them. */
  maxExpiredByMs?: number;
  /** SAS credential records: the token's `st`/`se` (epoch ms) as seen in the URI. */
  sasStartMs?: number;
  sasExpiryMs?: number;
}

/** Requests per caller per 5-minute bin: shows idle gaps and intermittent successes. */
export interface CallerActivityRecord {
  account: string;
  caller: string;
  binStartMs: number;
  ok: number;
  failed: number;
}

/** Where an account lives, learnt from `_ResourceId` of its requests. */
export interface AccountResourceRecord {
  account: string;
  /** `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>`. */
  resourceId: string;
}

export interface RootCauseEvidence {
  callers: CallerValueRecord[];
  activity: CallerActivityRecord[];
  accounts: AccountResourceRecord[];
  /** What the caps cut off (reported, never silent). */
  truncated: { droppedCallers: number; foldedValues: number; droppedBins: number };
}

export function emptyEvidence(): RootCauseEvidence {
  return {
    callers: [],
    activity: [],
    accounts: [],
    truncated: { droppedCallers: 0, foldedValues: 0, droppedBins: 0 },
  };
}

/** Value used when a caller has more distinct values of one dimension than the cap allows. */
export const OTHER_VALUE = "(other)";

export interface EvidenceLimits {
  /** Distinct (account, caller) pairs remembered. */
  maxCallers: number;
  /** Distinct values per (caller, outcome, dimension); the rest fold into `(other)`. */
  maxValuesPerDimension: number;
  /** Distinct outcomes per caller (ok + challenges). */
  maxOutcomesPerCaller: number;
  /** Activity bins per caller (576 × 5 min = 48 h); the oldest are evicted. */
  maxBinsPerCaller: number;
}

export const DEFAULT_EVIDENCE_LIMITS: EvidenceLimits = {
  maxCallers: 10_000,
  maxValuesPerDimension: 12,
  maxOutcomesPerCaller: 8,
  maxBinsPerCaller: 576,
};

/** The caller identity used to compare a caller with itself before onset. */
export function callerIdentityOf(r: StorageRequest): string {
  if (r.requesterObjectId) return "oid:" + r.requesterObjectId.toLowerCase();
  if (r.callerIp) return "ip:" + r.callerIp;
  const sas = sasSignatureHashOf(r.authHash);
  if (sas) return "sas:" + sas;
  const slot = keySlotOf(r.authHash);
  if (slot) return "key:" + slot;
  return "unknown";
}

/** `ok`, or the challenge `<status>|<error code>|<auth type>`; undefined for `Unknown` statuses. */
export function outcomeOf(
  r: Pick<StorageRequest, "statusCode" | "statusText" | "authType">,
): string | undefined {
  if (r.statusCode === null) return undefined;
  if (!isAuthFailure(r)) return "ok";
  return challengeOutcome(r.statusCode, r.statusText, r.authType);
}

export function challengeOutcome(statusCode: number, errorCode: string, authType: string): string {
  return `${statusCode}|${errorCode}|${authType}`;
}

/** Case-insensitive comparison of outcomes (LA and files may differ in casing). */
export function sameOutcome(a: string, b: string): boolean {
  if (a === b) return true;
  return a.toLowerCase() === b.toLowerCase();
}

/** The key part of AuthenticationHash (`key1(<sha256>)`), or `sas:<hash>` for a SAS. */
export function credentialOf(r: Pick<StorageRequest, "authHash" | "authType">): string | undefined {
  const sas = sasSignatureHashOf(r.authHash);
  if (sas) return "sas:" + sas;
  if (!r.authHash || r.authType.toLowerCase() !== "accountkey") return undefined;
  const m = /^\s*(key[12])\(([0-9A-Fa-f]+)\)/i.exec(r.authHash);
  return m ? `${m[1]!.toLowerCase()}(${m[2]!.toUpperCase()})` : undefined;
}

const ACCOUNT_ID_RE =
  /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.storage\/storageaccounts\/[^/]+)/i;

/** `/subscriptions/…/storageAccounts/<name>` from a service sub-resource id, or undefined. */
export function accountResourceIdOf(resourceId: string | undefined): string | undefined {
  if (!resourceId) return undefined;
  const m = ACCOUNT_ID_RE.exec(resourceId.trim());
  return m ? m[1] : undefined;
}

function startAndExpiry(times: SasTimes | undefined): { startMs?: number; expiryMs?: number } {
  const out: { startMs?: number; expiryMs?: number } = {};
  if (times?.stMs !== undefined) out.startMs = times.stMs;
  if (times?.seMs !== undefined) out.expiryMs = times.seMs;
  return out;
}

/** `st`/`se` of a SAS in a logged URI (epoch ms), read as the cluster stage reads them. */
export function sasTimesOf(uri: string | undefined): { startMs?: number; expiryMs?: number } {
  return startAndExpiry(sasTimesOfUri(uri));
}

function cleanUserAgent(ua: string): string {
  let s = ua.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  return s.length > 200 ? s.slice(0, 200) : s;
}

/**
 * What is remembered of one caller. Arrays, not maps: a caller has a handful of records, one or two
 * outcomes and a few bins, and at the caller cap (tens of thousands) per-caller maps dominated the heap
 * and the garbage collector's work. Records are scanned, and indexed past SCAN_LIMIT; bins are kept sorted.
 */
interface CallerState {
  account: string;
  caller: string;
  /** In first-seen order (the order evidence() lists them). */
  records: CallerValueRecord[];
  /** Each record's lookup key (lookupKeyOf), same index: the index takes them as they are (HeldRecords). */
  keys: string[];
  /**
   * value → record per outcome (its index) and dimension, at recordIndex[o * DIMENSIONS + d], only once
   * `records` outgrows a scan: a lookup then hashes the value alone, often a string seen before, where
   * a composite key (outcome, dimension and value joined) was a new string to build and hash per lookup.
   */
  recordIndex: Array<Map<string, CallerValueRecord> | undefined> | undefined;
  /** Outcomes in first-seen order. */
  outcomes: string[];
  /**
   * Per outcome (same index), the last row's raw fields and the records they hit, from the outcome's
   * second row on (ONE_ROW after its first): rows repeat.
   */
  shapes: Array<RowShape | undefined>;
  /** Sorted by start (the oldest evicted first when full). */
  bins: CallerActivityRecord[];
  lastBin: CallerActivityRecord | undefined;
}

/** Dimensions whose values many callers share; the others (addresses, credentials) are per caller. */
const SHARED_DIMENSIONS: ReadonlySet<CallerDimension> = new Set([
  "userAgent",
  "operationVersion",
  "authType",
  "keySlot",
]);
/** Distinct shared values kept once: user agents and versions of a run number in the tens or hundreds. */
const SHARED_VALUES = 4096;

/**
 * `list` with `item` appended. An empty list is replaced by a one-element literal: V8 gives an array's
 * first push room for 17, and most callers hold one outcome and one activity bin (about 0.5 KB a caller).
 */
function appended<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}

/** Records scanned before a caller's get an index by value (bins are searched by halving). */
const SCAN_LIMIT = 24;

const DIMENSION_INDEX: Readonly<Record<CallerDimension, number>> = {
  all: 0,
  userAgent: 1,
  operationVersion: 2,
  keySlot: 3,
  authType: 4,
  callerIp: 5,
  credential: 6,
};

/** One raw spelling of an account name, with its callers by raw key. */
interface RawAccount {
  lower: string;
  callers: Map<string, CallerState>;
  /** The account's resource id is recorded (or can no longer be): rows need not look for it. */
  resourceIdKnown: boolean;
  /** An object id with upper-case letters was seen: lower-case ids may alias it. */
  upperCaseIds: boolean;
  /** Raw spellings of `lower` seen so far. */
  spellings: number;
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

/** Whether `r` has the values of the row `shape` was taken from (what its records count). */
function sameShape(shape: RowShape, r: StorageRequest): boolean {
  return (
    shape.userAgent === r.userAgent &&
    shape.operationVersion === r.operationVersion &&
    shape.authHash === r.authHash &&
    shape.authType === r.authType &&
    shape.callerIp === r.callerIp
  );
}

/**
 * A caller's shape after its first row of an outcome: the shape is kept from the second row on
 * (recordShape). Never compared: a second row looks its records up.
 */
const ONE_ROW: RowShape = Object.freeze({
  userAgent: undefined,
  operationVersion: undefined,
  authHash: undefined,
  authType: "",
  callerIp: undefined,
  records: [],
  sasRecord: undefined,
});

const DIMENSIONS = Object.keys(DIMENSION_INDEX).length;

/** The record of outcome `o` (an index into state.outcomes), `dimension` and `value`, if there is one. */
function findRecord(
  state: CallerState,
  o: number,
  dimension: CallerDimension,
  value: string,
): CallerValueRecord | undefined {
  if (state.recordIndex) return state.recordIndex[o * DIMENSIONS + DIMENSION_INDEX[dimension]]?.get(value);
  const outcome = state.outcomes[o];
  // Indexed: a new caller's records are looked up while the code is still cold, where for-of allocates.
  const records = state.records;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.value === value && r.dimension === dimension && r.outcome === outcome) return r;
  }
  return undefined;
}

/**
 * The values `state` holds of outcome `o` (an index into state.outcomes) and `dimension`: its records of
 * them, counted when a value is new rather than kept in a count per outcome and dimension (an array per
 * caller, though most callers never add a second value). A fold's OTHER_VALUE record is only made once
 * the cap is reached, so counting it leaves every comparison with the cap as it was.
 */
function valuesHeld(state: CallerState, o: number, dimension: CallerDimension): number {
  if (state.recordIndex) return state.recordIndex[o * DIMENSIONS + DIMENSION_INDEX[dimension]]?.size ?? 0;
  const outcome = state.outcomes[o];
  const records = state.records;
  let held = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.dimension === dimension && r.outcome === outcome) held++;
  }
  return held;
}

/** Adds a record findRecord did not find to the index, when there is one. */
function indexRecord(state: CallerState, o: number, rec: CallerValueRecord): void {
  const index = state.recordIndex;
  if (!index) return;
  const at = o * DIMENSIONS + DIMENSION_INDEX[rec.dimension];
  (index[at] ??= new Map()).set(rec.value, rec);
}

/**
 * A caller's bins as the observer and a merge hold them: a list sorted by start, searched by halving. A
 * map index per caller was a third of the bins' memory where a few hundred callers each held a day of
 * bins, and rows that come out of time order cost a search, not a scan.
 */
interface HeldBins {
  bins: CallerActivityRecord[];
}

/** Where the bin starting at `start` is, or would go, in `bins` (sorted by start). */
function binPlace(bins: readonly CallerActivityRecord[], start: number): number {
  let hi = bins.length;
  // Rows come mostly in time order: a new bin goes last.
  if (hi === 0 || bins[hi - 1]!.binStartMs < start) return hi;
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bins[mid]!.binStartMs < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function findBin(held: HeldBins, start: number): CallerActivityRecord | undefined {
  const b = held.bins[binPlace(held.bins, start)];
  return b !== undefined && b.binStartMs === start ? b : undefined;
}

/** Adds a bin findBin did not find, in its place. */
function holdBin(held: HeldBins, bin: CallerActivityRecord): void {
  const at = binPlace(held.bins, bin.binStartMs);
  if (at === held.bins.length) held.bins = appended(held.bins, bin);
  else held.bins.splice(at, 0, bin);
}

function bump(rec: CallerValueRecord, t: number): void {
  rec.count++;
  if (t < rec.firstMs) rec.firstMs = t;
  if (t > rec.lastMs) rec.lastMs = t;
}

/** Most slots of the filter of raw caller keys: past half of them (32,768 keys) it says "maybe" to all. */
const KEY_FILTER_MAX_SLOTS = 1 << 16;

/**
 * Which caller keys may have been added, by their callerKeyHash: a probe in a typed array, small enough
 * to stay in the processor's cache while the scan streams the input through it. With a new caller address on nearly
 * every row (past the caller cap, most rows of a large run), the lookup in the callers map missed its
 * cache three times a row and was the largest single cost of the scan (BENCHMARKS.md). No answer is
 * ever wrong in the "no" direction; a "maybe" is settled by the map. It starts small and doubles at half
 * full (the timer keeps an observer per minute of its window).
 */
class KeyFilter {
  private slots = new Int32Array(64);
  private used = 0;
  private saturated = false;

  /** Whether a key of this callerKeyHash may have been added. */
  mayHold(hash: number): boolean {
    return this.saturated || this.slots[this.slotFor(hash)] !== 0;
  }

  /** Adds a key by its callerKeyHash. */
  add(hash: number): void {
    if (this.saturated) return;
    if ((this.used + 1) * 2 > this.slots.length) {
      if (this.slots.length >= KEY_FILTER_MAX_SLOTS) {
        this.saturated = true;
        return;
      }
      const old = this.slots;
      this.slots = new Int32Array(old.length * 2);
      this.used = 0;
      for (const h of old) if (h !== 0) this.insert(h);
    }
    this.insert(hash);
  }

  private insert(h: number): void {
    const i = this.slotFor(h);
    if (this.slots[i] !== 0) return;
    this.slots[i] = h;
    this.used++;
  }

  /** The slot holding `h`, or the empty one where it would go (linear probing; never full). */
  private slotFor(h: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    // Hashes are odd (0 marks an empty slot): their low bit alone would start every probe at an odd slot.
    let i = (h ^ (h >>> 15)) & mask;
    while (slots[i] !== 0 && slots[i] !== h) i = (i + 1) & mask;
    return i;
  }
}

/**
 * Learns, from every request of a run (successes too), what each caller looked like. Feed it every
 * StorageRequest; read `evidence()` whenever needed (it is cheap to call repeatedly: cached until the
 * next observation).
 */
export class EvidenceObserver implements RecordObserver {
  /**
   * Every caller, in first-seen order (the order evidence() lists them); found by account and identity
   * in `byAccount`. Two maps, not one keyed by account and identity joined: that key was one more string
   * per caller to build, copy and hash, and the grouping the evidence index takes is this one as held.
   */
  private readonly callers: CallerState[] = [];
  /** lower-case account → caller identity → state (the grouping liveEvidence hands the index). */
  private readonly byAccount = new Map<string, Map<string, CallerState>>();
  /** raw AccountName → raw caller key (object id, IP or auth hash) → state; aliases of `callers`. */
  private readonly byRawAccount = new Map<string, RawAccount>();
  /** lower-case account → how many raw spellings of it were seen (1 almost always). */
  private readonly spellings = new Map<string, number>();
  private readonly accounts = new Map<string, string>();
  private readonly truncated = { droppedCallers: 0, foldedValues: 0, droppedBins: 0 };
  private cached: RootCauseEvidence | undefined;
  private cachedLive: RootCauseEvidence | undefined;
  /** The requests of one SAS share its query: each distinct one is parsed once. */
  private readonly sasTimes = new SasTimesCache();
  /** Values of the dimensions many callers share (SHARED_DIMENSIONS), one copy each. */
  private readonly shared = new SharedCopies(SHARED_VALUES);
  /** Every raw caller key of every account's `callers`: most rows of a new caller need no map lookup. */
  private readonly knownKeys = new KeyFilter();

  constructor(private readonly limits: EvidenceLimits = DEFAULT_EVIDENCE_LIMITS) {}

  /**
   * Whether `observe` of a success row of `account`, whose raw caller key has this callerKeyHash and kind,
   * would only count it as a row of a dropped caller: what a reader that has those without making the
   * row asks (UnseenCallerShortcut), then calling countDroppedRow instead. The same tests as `observe`.
   */
  dropsSuccessRow(account: string, keyHash: number, keyKind: CallerKeyKind): boolean {
    // While callers are still taken, a new one is kept: no row of an unseen caller is dropped.
    if (this.callers.length < this.limits.maxCallers) return false;
    const acct = this.byRawAccount.get(account);
    if (!acct) return this.byRawAccount.size >= this.limits.maxCallers;
    return !this.knownKeys.mayHold(keyHash) && this.surelyDropped(acct, keyKind);
  }

  /** What `observe` does with a row dropsSuccessRow said it would drop. */
  countDroppedRow(): void {
    this.cached = undefined;
    this.cachedLive = undefined;
    this.truncated.droppedCallers++;
  }

  /**
   * Kept short: what a row may first need after V8 has optimised this (a new caller past the cap, a new
   * outcome, a row like its caller's last or not) is a method of its own, so that V8 deoptimises and
   * recompiles that method, not all of `observe`. Inline, they recompiled `observe` in each thread,
   * and compiling the scan's `observe` methods took 110-164 ms of a two-thread run; now 45-60 ms
   * (BENCHMARKS.md, thirty-first round).
   */
  observe(r: StorageRequest): void {
    const outcome = outcomeOf(r);
    if (outcome === undefined || !Number.isFinite(r.timeMs)) return;
    this.cached = undefined;
    this.cachedLive = undefined;
    // Hot path: find the caller by the row's raw fields without building strings.
    let acct = this.byRawAccount.get(r.account);
    if (!acct) {
      if (this.byRawAccount.size >= this.limits.maxCallers) {
        this.truncated.droppedCallers++;
        return;
      }
      // Kept for the run: copies, so they do not keep the row's line (or its run of lines) alive.
      const lower = detach(r.account.toLowerCase());
      const n = (this.spellings.get(lower) ?? 0) + 1;
      this.spellings.set(lower, n);
      acct = { lower, callers: new Map(), resourceIdKnown: false, upperCaseIds: false, spellings: n };
      this.byRawAccount.set(detach(r.account), acct);
      if (n > 1) for (const a of this.byRawAccount.values()) if (a.lower === lower) a.spellings = n;
    }
    const byCaller = acct.callers;
    // A row read from bytes tells its caller key's hash and kind without the string: a row of a caller
    // past the cap, most rows of a large run, then decodes none of its caller fields.
    const fromBytes = hasCallerKeyFromBytes(r);
    let rawKey = fromBytes ? undefined : rawCallerKeyOf(r);
    const keyHash = fromBytes ? r.callerKeyHash() : callerKeyHash(rawKey!);
    let state = this.knownKeys.mayHold(keyHash) ? byCaller.get((rawKey ??= rawCallerKeyOf(r))) : undefined;
    if (!state) state = this.unseenCaller(r, acct, rawKey, keyHash);
    if (!state) return;
    const o = this.outcomeSlot(state, outcome);
    if (o < 0) return;
    const t = r.timeMs;
    const shape = state.shapes[o];
    if (shape === undefined) this.recordShape(state, o, r, t, false);
    else if (shape !== ONE_ROW && sameShape(shape, r)) this.repeatShape(shape, r, t);
    else this.recordShape(state, o, r, t, true);
    this.bin(state, t, outcome === "ok");
  }

  /** A row with the same values as its caller's previous row with this outcome: its records counted. */
  private repeatShape(shape: RowShape, r: StorageRequest, t: number): void {
    for (const rec of shape.records) bump(rec, t);
    if (shape.sasRecord) this.noteSasTimes(shape.sasRecord, r, t);
  }

  /**
   * A row whose values differ from its caller's previous row with this outcome, or its first: each
   * value's record. The row's shape is kept from the second row of an outcome on (`keepShape`): most
   * callers of a large run send one row, and a first row's shape, never read, was 265 of the 1,788 bytes
   * such a caller held.
   */
  private recordShape(state: CallerState, o: number, r: StorageRequest, t: number, keepShape: boolean): void {
    const newCaller = state.records.length === 0;
    const records: CallerValueRecord[] = [this.add(state, o, "all", "", t)];
    const ua = r.userAgent ? cleanUserAgent(r.userAgent) : "";
    if (ua) records.push(this.add(state, o, "userAgent", ua, t));
    const version = r.operationVersion ? r.operationVersion.trim() : "";
    if (version) records.push(this.add(state, o, "operationVersion", version, t));
    const slot = keySlotOf(r.authHash);
    if (slot) records.push(this.add(state, o, "keySlot", slot, t));
    if (r.authType) records.push(this.add(state, o, "authType", r.authType, t));
    if (r.callerIp && !state.caller.startsWith("ip:"))
      records.push(this.add(state, o, "callerIp", r.callerIp, t));
    const credential = credentialOf(r);
    let sasRecord: CallerValueRecord | undefined;
    if (credential) {
      const rec = this.add(state, o, "credential", credential, t);
      records.push(rec);
      if (credential.startsWith("sas:")) {
        sasRecord = rec;
        this.noteSasTimes(rec, r, t);
      }
    }
    if (!keepShape) state.shapes[o] = ONE_ROW;
    else
      state.shapes[o] = {
        userAgent: r.userAgent && this.shared.of(r.userAgent),
        operationVersion: r.operationVersion && this.shared.of(r.operationVersion),
        authHash: r.authHash && detach(r.authHash),
        authType: this.shared.of(r.authType),
        callerIp: r.callerIp && detach(r.callerIp),
        // A copy of exactly its length: the pushes that built it left room for 17.
        records: records.slice(),
        sasRecord,
      };
    // The same for a new caller's records, which most callers never add to (one row, or rows alike).
    if (newCaller) {
      state.records = state.records.slice();
      state.keys = state.keys.slice();
    }
  }

  /**
   * Where `outcome`'s values are held in `state`, a new slot for a new outcome; -1 when the caller holds
   * all it may (counted as folded).
   */
  private outcomeSlot(state: CallerState, outcome: string): number {
    const o = state.outcomes.indexOf(outcome);
    if (o >= 0) return o;
    if (state.outcomes.length >= this.limits.maxOutcomesPerCaller) {
      this.truncated.foldedValues++;
      return -1;
    }
    state.outcomes = appended(state.outcomes, outcome);
    state.shapes = appended(state.shapes, undefined);
    return state.outcomes.length - 1;
  }

  /**
   * The state of a caller whose raw key missed (`keyHash`: its callerKeyHash, as `observe` found it);
   * undefined when it is dropped (counted).
   */
  private unseenCaller(
    r: StorageRequest,
    acct: RawAccount,
    rawKey: string | undefined,
    keyHash: number,
  ): CallerState | undefined {
    if (this.surelyDropped(acct, hasCallerKeyFromBytes(r) ? r.callerKeyKind() : callerKeyKindOf(r))) {
      this.truncated.droppedCallers++;
      return undefined;
    }
    const state = this.callerState(r, acct);
    if (!state) return undefined;
    const byCaller = acct.callers;
    if (byCaller.size < this.limits.maxCallers) {
      rawKey ??= rawCallerKeyOf(r);
      byCaller.set(detach(rawKey), state);
      this.knownKeys.add(keyHash);
    }
    return state;
  }

  /**
   * Whether a row whose raw caller key missed can only be a new caller while the caller cap is full,
   * decided without building its identity string: with a new address (or object id) per row, past the
   * cap, this is nearly every row. Conservative: any doubt takes the slow path, which decides the same.
   */
  private surelyDropped(acct: RawAccount, key: CallerKeyKind): boolean {
    if (this.callers.length < this.limits.maxCallers) return false;
    // The slow path would still learn the account's resource id; and another spelling of the account,
    // or a full alias map, could hold the same caller under another raw key.
    if (!acct.resourceIdKnown || acct.spellings !== 1 || acct.callers.size >= this.limits.maxCallers)
      return false;
    // The identity is the lower-cased object id: a lower-case id can only alias an upper-case one.
    if (key === CallerKeyKind.LOWER_CASE_OBJECT_ID) return !acct.upperCaseIds;
    // An address caller is only ever reached through its own address as the raw key.
    return key === CallerKeyKind.ADDRESS;
  }

  /** The canonical caller state of a row (slow path: once per distinct raw caller). */
  private callerState(r: StorageRequest, acct: RawAccount): CallerState | undefined {
    const account = acct.lower;
    if (!acct.resourceIdKnown) {
      if (!this.accounts.has(account) && this.accounts.size < this.limits.maxCallers) {
        const id = accountResourceIdOf(r.resourceId);
        if (id) this.accounts.set(account, detach(id));
      }
      // Known, or no longer learnable (the account map is full): later rows need not try.
      acct.resourceIdKnown = this.accounts.has(account) || this.accounts.size >= this.limits.maxCallers;
    }
    if (r.requesterObjectId && r.requesterObjectId !== r.requesterObjectId.toLowerCase())
      acct.upperCaseIds = true;
    const caller = callerIdentityOf(r);
    let byCaller = this.byAccount.get(account);
    let state = byCaller?.get(caller);
    if (!state) {
      if (this.callers.length >= this.limits.maxCallers) {
        this.truncated.droppedCallers++;
        return undefined;
      }
      if (!byCaller) this.byAccount.set(account, (byCaller = new Map()));
      state = {
        account,
        // Kept for the run: a copy, so it does not keep the row's line alive.
        caller: detach(caller),
        records: [],
        keys: [],
        recordIndex: undefined,
        outcomes: [],
        shapes: [],
        bins: [],
        lastBin: undefined,
      };
      byCaller.set(state.caller, state);
      this.callers.push(state);
    }
    return state;
  }

  private add(
    state: CallerState,
    o: number,
    dimension: CallerDimension,
    value: string,
    t: number,
  ): CallerValueRecord {
    const outcome = state.outcomes[o]!;
    let rec = findRecord(state, o, dimension, value);
    if (!rec) {
      if (valuesHeld(state, o, dimension) >= this.limits.maxValuesPerDimension) {
        this.truncated.foldedValues++;
        value = OTHER_VALUE;
        rec = findRecord(state, o, dimension, value);
      }
      if (!rec) {
        rec = {
          account: state.account,
          caller: state.caller,
          outcome,
          dimension,
          // Kept for the run: a copy, so it does not keep the row's line alive; one copy of a value
          // many callers share.
          value: SHARED_DIMENSIONS.has(dimension) ? this.shared.of(value) : detach(value),
          count: 0,
          firstMs: t,
          lastMs: t,
        };
        state.records.push(rec);
        state.keys.push(keyOf(outcome, dimension));
        if (state.recordIndex) indexRecord(state, o, rec);
        else if (state.records.length > SCAN_LIMIT) {
          state.recordIndex = [];
          for (const r of state.records) indexRecord(state, state.outcomes.indexOf(r.outcome), r);
        }
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
    let b = state.lastBin?.binStartMs === start ? state.lastBin : findBin(state, start);
    if (!b) {
      if (state.bins.length >= this.limits.maxBinsPerCaller) {
        if (start < state.bins[0]!.binStartMs) {
          this.truncated.droppedBins++;
          return;
        }
        state.bins.shift();
        this.truncated.droppedBins++;
      }
      b = { account: state.account, caller: state.caller, binStartMs: start, ok: 0, failed: 0 };
      holdBin(state, b);
    }
    state.lastBin = b;
    if (ok) b.ok++;
    else b.failed++;
  }

  /**
   * The accumulated records themselves, not copies (at the caller cap, copies doubled the heap while
   * explaining): the same object until the next observation, after which it must not be used. For the
   * explainer's index, which is rebuilt after any new observation.
   */
  liveEvidence(): RootCauseEvidence {
    if (this.cachedLive) return this.cachedLive;
    const states = this.callers;
    let listed: Pick<RootCauseEvidence, "callers" | "activity"> | undefined;
    this.cachedLive = {
      // Listed when first read: the explainer's index takes the callers as held (groupings) and never
      // reads the lists, which were 70,000 records and 10,000 bins gathered in cold code after a scan.
      get callers() {
        return (listed ??= recordsAndBinsOf(states, false)).callers;
      },
      get activity() {
        return (listed ??= recordsAndBinsOf(states, false)).activity;
      },
      accounts: [...this.accounts].map(([account, resourceId]) => ({ account, resourceId })),
      truncated: { ...this.truncated },
    };
    groupings.set(this.cachedLive, this.byAccount);
    return this.cachedLive;
  }

  /** The accumulated records (copies; safe to keep). */
  evidence(): RootCauseEvidence {
    if (this.cached) return this.cached;
    const accounts = [...this.accounts].map(([account, resourceId]) => ({ account, resourceId }));
    this.cached = { ...recordsAndBinsOf(this.callers, true), accounts, truncated: { ...this.truncated } };
    return this.cached;
  }

  /** What the caps left out so far (exact counts). */
  capsReached(): EvidenceCapsReport {
    return capsReport(this.callers.length, this.limits.maxCallers, this.truncated);
  }

  /** Entries held, by kind: each is bounded by a cap, whatever the rows (tests check them). */
  retainedEntries(): {
    callers: number;
    records: number;
    bins: number;
    rawAccounts: number;
    rawCallerKeys: number;
    accountIds: number;
  } {
    let records = 0;
    let bins = 0;
    for (const s of this.callers) {
      records += s.records.length;
      bins += s.bins.length;
    }
    let rawCallerKeys = 0;
    for (const a of this.byRawAccount.values()) rawCallerKeys += a.callers.size;
    return {
      callers: this.callers.length,
      records,
      bins,
      rawAccounts: this.byRawAccount.size,
      rawCallerKeys,
      accountIds: this.accounts.size,
    };
  }

  /** Number of (account, caller) pairs remembered: what memory grows with. */
  get callerCount(): number {
    return this.callers.length;
  }
}

/** The records and bins of `states`, caller by caller in their order; `copies`: each a copy. */
function recordsAndBinsOf(
  states: readonly CallerState[],
  copies: boolean,
): Pick<RootCauseEvidence, "callers" | "activity"> {
  const callers: CallerValueRecord[] = [];
  const activity: CallerActivityRecord[] = [];
  for (const s of states) {
    for (const r of s.records) callers.push(copies ? { ...r } : r);
    for (const b of s.bins) activity.push(copies ? { ...b } : b);
  }
  return { callers, activity };
}

function maxOpt(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

function sumOpt(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a + b;
}

/** What merged evidence says of its caps, as EvidenceObserver.capsReached says of one pass. */
export function evidenceCapsOf(evidence: RootCauseEvidence, maxCallers: number): EvidenceCapsReport {
  let callers = 0;
  // Evidence that comes grouped by caller (a merge's output, an observer's) counts its holders.
  const grouping = groupings.get(evidence);
  if (grouping) {
    grouping.forEach((byCaller) =>
      byCaller.forEach((held) => {
        if (held.records.length > 0) callers++;
      }),
    );
    return capsReport(callers, maxCallers, evidence.truncated);
  }
  // Callers per account, not one composite string per record (merged evidence holds tens of thousands).
  const byAccount = new Map<string, Set<string>>();
  for (const r of evidence.callers) {
    const account = r.account.toLowerCase();
    let seen = byAccount.get(account);
    if (!seen) byAccount.set(account, (seen = new Set()));
    if (seen.has(r.caller)) continue;
    seen.add(r.caller);
    callers++;
  }
  return capsReport(callers, maxCallers, evidence.truncated);
}

/** What evidence of `callers` distinct callers, with these counts past its caps, says of them. */
function capsReport(
  callers: number,
  maxCallers: number,
  truncated: RootCauseEvidence["truncated"],
): EvidenceCapsReport {
  return {
    callers,
    maxCallers,
    rowsOfDroppedCallers: truncated.droppedCallers,
    foldedValues: truncated.foldedValues,
    droppedBins: truncated.droppedBins,
  };
}

/** Combines evidence from several sources (workspaces, windows, shards): sum counts, min first, max last. */
export function mergeEvidence(...parts: readonly RootCauseEvidence[]): RootCauseEvidence {
  return mergeEvidenceOf(parts, false);
}

/**
 * mergeEvidence of parts nothing else holds or reads again (a parallel scan's, merged once): their
 * records and bins become the merge's, changed in place rather than copied. A scan's evidence is some
 * 60,000 records, and the copies lived until the report was written.
 */
export function mergeOwnedEvidence(parts: readonly RootCauseEvidence[]): RootCauseEvidence {
  return mergeEvidenceOf(parts, true);
}

/** What a merge holds of one caller: its records, scanned until they outgrow a scan, and its bins. */
interface MergedCaller extends HeldRecords {
  /**
   * value → record per outcome (compared case-blind, as sameOutcome does) and dimension, keyed by
   * lookupKeyOf, only once `records` outgrows a scan: as in the observer's index, no key is built per
   * record.
   */
  recordIndex: Map<string, Map<string, CallerValueRecord>> | undefined;
}

/** A merged caller's index of its records, once they outgrow a scan (SCAN_LIMIT); undefined before. */
function mergedIndexOf(
  held: Pick<HeldRecords, "records" | "keys">,
): Map<string, Map<string, CallerValueRecord>> | undefined {
  const { records, keys } = held;
  if (records.length <= SCAN_LIMIT) return undefined;
  const index = new Map<string, Map<string, CallerValueRecord>>();
  for (let i = 0; i < records.length; i++) indexMerged(index, records[i]!, keys[i]!);
  return index;
}

/** Adds `c`, whose lookup key is `key`, to a merged caller's index. */
function indexMerged(
  index: Map<string, Map<string, CallerValueRecord>>,
  c: CallerValueRecord,
  key: string,
): void {
  let byValue = index.get(key);
  if (!byValue) index.set(key, (byValue = new Map()));
  byValue.set(c.value, c);
}

/**
 * What `find(lower-case account, caller)` gives for the caller of the record before, kept while records
 * of one caller follow each other (an observer lists a caller's records and bins together), so that a
 * run costs one lookup and one lower-casing, not one per record.
 */
class CallerRun<T> {
  /** The run's account, lower-cased. */
  account = "";
  private rawAccount: string | undefined;
  private caller: string | undefined;
  private found: T | undefined;

  constructor(private readonly find: (account: string, caller: string) => T) {}

  of(rawAccount: string, caller: string): T {
    if (rawAccount !== this.rawAccount || caller !== this.caller || this.found === undefined) {
      this.rawAccount = rawAccount;
      this.caller = caller;
      this.account = rawAccount.toLowerCase();
      this.found = this.find(this.account, caller);
    }
    return this.found;
  }
}

function mergeEvidenceOf(parts: readonly RootCauseEvidence[], owned: boolean): RootCauseEvidence {
  // A merge's own output, the one part that holds anything, merges to itself: it is handed on as it is.
  if (owned) {
    const held = parts.filter((p) => !isEmptyEvidence(p));
    if (held.length === 1 && mergeOutputs.has(held[0]!)) return held[0]!;
  }
  const merge = new EvidenceMerge(owned);
  for (const p of parts) merge.add(p);
  return merge.result();
}

function isEmptyEvidence(e: RootCauseEvidence): boolean {
  const t = e.truncated;
  return (
    e.callers.length === 0 &&
    e.activity.length === 0 &&
    e.accounts.length === 0 &&
    t.droppedCallers === 0 &&
    t.foldedValues === 0 &&
    t.droppedBins === 0
  );
}

/**
 * A caller's records as an observer or a merge holds them, each one's lookup key (lookupKeyOf) at the
 * same index, worked out when the record was made: the index takes the keys as they are, where reading
 * every record again for them (70,000 records, spread through the heap by the scan) was the largest
 * single cost of the index (BENCHMARKS.md, thirty-fifth round). `outcomes`, when the holder keeps them:
 * the records' distinct outcomes.
 */
interface HeldRecords extends HeldBins {
  records: CallerValueRecord[];
  keys: string[];
  outcomes?: readonly string[];
}

/** Lower-case account → caller → that caller's records (in the evidence's order) and bins (by start). */
type CallerGrouping = ReadonlyMap<string, ReadonlyMap<string, HeldRecords>>;

/**
 * What an observer's live evidence or a merge's output was built from, caller by caller: the index over
 * it takes that as it is (EvidenceIndex) rather than grouping every record again. Weak: it lives as long
 * as the evidence does.
 */
const groupings = new WeakMap<RootCauseEvidence, CallerGrouping>();

/** Merge outputs: what merging one of them alone gives is itself (an observer's need not be: see sameOutcome). */
const mergeOutputs = new WeakSet<RootCauseEvidence>();

/**
 * The one merge of root-cause evidence, fed part by part (mergeEvidence of the parts is add of each,
 * then result): a parallel scan adds the main thread's part while the other threads finish theirs.
 * `owned`: the parts are nothing else's (mergeOwnedEvidence), so their records and bins become the
 * merge's, changed in place rather than copied.
 */
export class EvidenceMerge {
  private callers: CallerValueRecord[] = [];
  // account → caller → what is held of it. A caller has a handful of records and bins: matching them
  // scans (cheaper than one composite string key per record, which dominated merging large evidence),
  // and one holder serves both (a map of bins per caller was a tenth of merging a parallel scan's parts).
  private readonly byAccount = new Map<string, Map<string, MergedCaller>>();
  // Each part lists its records and bins caller by caller: a run of one caller is looked up once.
  private readonly run = new CallerRun((account, caller) => this.heldOf(account, caller));
  private binsInOrder: CallerActivityRecord[] = [];
  private readonly accounts = new Map<string, string>();
  private readonly truncated = { droppedCallers: 0, foldedValues: 0, droppedBins: 0 };

  constructor(private readonly owned: boolean) {}

  private heldOf(account: string, caller: string): MergedCaller {
    let byCaller = this.byAccount.get(account);
    if (byCaller === undefined) this.byAccount.set(account, (byCaller = new Map()));
    let held = byCaller.get(caller);
    if (held === undefined) {
      held = { records: [], keys: [], recordIndex: undefined, bins: [] };
      byCaller.set(caller, held);
    }
    return held;
  }

  add(p: RootCauseEvidence): void {
    const { run, owned } = this;
    if (owned && this.byAccount.size === 0 && this.adopted(p)) return;
    for (const r of p.callers) {
      const held = run.of(r.account, r.caller);
      const account = run.account;
      const index = held.recordIndex;
      const key = keyOf(r.outcome, r.dimension);
      const cur = index
        ? index.get(key)?.get(r.value)
        : held.records.find(
            (c) => c.dimension === r.dimension && c.value === r.value && sameOutcome(c.outcome, r.outcome),
          );
      if (!cur) {
        const copy = owned ? r : { ...r };
        copy.account = account;
        held.records.push(copy);
        held.keys.push(key);
        this.callers.push(copy);
        if (index) indexMerged(index, copy, key);
        else held.recordIndex = mergedIndexOf(held);
        continue;
      }
      cur.count += r.count;
      cur.firstMs = Math.min(cur.firstMs, r.firstMs);
      cur.lastMs = Math.max(cur.lastMs, r.lastMs);
      const nyv = sumOpt(cur.notYetValid, r.notYetValid);
      if (nyv !== undefined) cur.notYetValid = nyv;
      const lead = maxOpt(cur.maxStartLeadMs, r.maxStartLeadMs);
      if (lead !== undefined) cur.maxStartLeadMs = lead;
      const exp = sumOpt(cur.expired, r.expired);
      if (exp !== undefined) cur.expired = exp;
      const by = maxOpt(cur.maxExpiredByMs, r.maxExpiredByMs);
      if (by !== undefined) cur.maxExpiredByMs = by;
      const st = maxOpt(cur.sasStartMs, r.sasStartMs);
      if (st !== undefined) cur.sasStartMs = st;
      const se = maxOpt(cur.sasExpiryMs, r.sasExpiryMs);
      if (se !== undefined) cur.sasExpiryMs = se;
    }
    for (const b of p.activity) {
      const held = run.of(b.account, b.caller);
      const account = run.account;
      const cur = findBin(held, b.binStartMs);
      if (!cur) {
        const bin = owned ? b : { ...b };
        bin.account = account;
        holdBin(held, bin);
        this.binsInOrder.push(bin);
      } else {
        cur.ok += b.ok;
        cur.failed += b.failed;
      }
    }
    this.addAccountsAndCuts(p);
  }

  /**
   * The first part of an owned merge, when it comes grouped (an observer's live evidence, a merge's
   * output) and no caller of it holds records that the merge would join (outcomes that differ only in
   * case): its callers' records and bins become the merge's as they are held, where adding it looked
   * each record up and copied it into a holder of its own (a parallel scan's main thread, 5,000 callers).
   */
  private adopted(p: RootCauseEvidence): boolean {
    const grouping = groupings.get(p);
    if (!grouping) return false;
    for (const byCaller of grouping.values())
      for (const held of byCaller.values())
        // A holder of one outcome joins nothing: its records are not read.
        if ((held.outcomes === undefined || held.outcomes.length > 1) && joinsRecords(held.records))
          return false;
    grouping.forEach((byCaller, account) => {
      const mine = new Map<string, MergedCaller>();
      byCaller.forEach((held, caller) => {
        if (held.records.length === 0 && held.bins.length === 0) return;
        mine.set(caller, {
          records: held.records,
          keys: held.keys,
          recordIndex: mergedIndexOf(held),
          bins: held.bins,
        });
      });
      this.byAccount.set(account, mine);
    });
    this.callers = p.callers;
    this.binsInOrder = p.activity;
    this.addAccountsAndCuts(p);
    return true;
  }

  /** A part's account ids (the first of each account kept) and what its caps cut (summed). */
  private addAccountsAndCuts(p: RootCauseEvidence): void {
    for (const a of p.accounts)
      if (!this.accounts.has(a.account.toLowerCase()))
        this.accounts.set(a.account.toLowerCase(), a.resourceId);
    this.truncated.droppedCallers += p.truncated.droppedCallers;
    this.truncated.foldedValues += p.truncated.foldedValues;
    this.truncated.droppedBins += p.truncated.droppedBins;
  }

  /** The merge of every part added (the merge is done with: add nothing after). */
  result(): RootCauseEvidence {
    const merged: RootCauseEvidence = {
      callers: this.callers,
      activity: this.binsInOrder,
      accounts: [...this.accounts].map(([account, resourceId]) => ({ account, resourceId })),
      truncated: { ...this.truncated },
    };
    groupings.set(merged, this.byAccount);
    mergeOutputs.add(merged);
    return merged;
  }
}

/**
 * Whether a merge would join two of one caller's records: the same dimension and value under outcomes
 * that differ only in case (sameOutcome). An observer keeps outcomes as logged; most callers have one.
 */
function joinsRecords(records: readonly CallerValueRecord[]): boolean {
  const first = records[0]?.outcome;
  let i = 1;
  while (i < records.length && records[i]!.outcome === first) i++;
  if (i === records.length) return false;
  for (let a = 0; a < records.length; a++)
    for (let b = a + 1; b < records.length; b++) {
      const x = records[a]!;
      const y = records[b]!;
      if (
        x.outcome !== y.outcome &&
        x.dimension === y.dimension &&
        x.value === y.value &&
        sameOutcome(x.outcome, y.outcome)
      )
        return true;
    }
  return false;
}

/** One caller's records, indexed for the explainer. */
export interface CallerView {
  account: string;
  caller: string;
  records: CallerValueRecord[];
  /**
   * lower(outcome) \0 dimension of each record (same index), memoised (lookupKeyOf): what recordsOf
   * compares. A caller holds a handful of records; a map per caller and a list per key cost more to build
   * than all the lookups save: over 10,000 callers the index took 64-72 ms with them, 39-45 without, most
   * of the difference the collector copying them (BENCHMARKS.md, fourteenth round).
   */
  keys: string[];
  /** Ascending by binStartMs. */
  bins: CallerActivityRecord[];
}

/** Evidence indexed by account, built once per evidence snapshot. */
export class EvidenceIndex {
  private readonly byAccount = new Map<string, Map<string, CallerView>>();
  private readonly accountIds = new Map<string, string>();
  /** callersOf results: every incident of an account asks for them several times. */
  private readonly callerLists = new Map<string, readonly CallerView[]>();
  private readonly byValue = new Map<string, ReadonlyMap<string, readonly CallerValueRecord[]>>();
  /** callersWith, per account: lower(outcome) \0 dimension → the callers with such records. */
  private readonly callersByKey = new Map<string, Map<string, CallerView[]>>();

  constructor(readonly evidence: RootCauseEvidence) {
    const grouping = groupings.get(evidence);
    if (grouping) this.adopt(grouping);
    else {
      // Records and bins come caller by caller, as an observer or a merge lists them.
      const run = new CallerRun((account, caller) => this.view(account, caller));
      for (const r of evidence.callers) run.of(r.account, r.caller).records.push(r);
      for (const b of evidence.activity) run.of(b.account, b.caller).bins.push(b);
      for (const m of this.byAccount.values())
        for (const v of m.values()) {
          v.keys = keysOf(v.records);
          v.bins.sort((a, b) => a.binStartMs - b.binStartMs);
        }
    }
    for (const a of evidence.accounts) this.accountIds.set(a.account.toLowerCase(), a.resourceId);
  }

  /**
   * Views of the callers from what an observer or a merge held of each: its records in the order the
   * evidence lists them, their lookup keys as kept beside them and its bins already sorted, with no
   * second pass over every record to group them again (30-57 ms, most of it cold code, after a
   * two-thread scan of 1 GB) or to key them (20-30 ms more).
   */
  private adopt(grouping: CallerGrouping): void {
    // forEach, not for-of over entries: this runs once, cold, where each entry was a new pair.
    grouping.forEach((byCaller, account) => {
      const views = new Map<string, CallerView>();
      byCaller.forEach((held, caller) => {
        if (held.records.length === 0 && held.bins.length === 0) return;
        views.set(caller, {
          account,
          caller,
          records: held.records,
          keys: held.keys,
          bins: held.bins,
        });
      });
      this.byAccount.set(account, views);
    });
  }

  private view(account: string, caller: string): CallerView {
    const acct = account.toLowerCase();
    let m = this.byAccount.get(acct);
    if (!m) {
      m = new Map();
      this.byAccount.set(acct, m);
    }
    let v = m.get(caller);
    if (!v) {
      v = { account: acct, caller, records: [], keys: [], bins: [] };
      m.set(caller, v);
    }
    return v;
  }

  callersOf(account: string): readonly CallerView[] {
    const acct = account.toLowerCase();
    let list = this.callerLists.get(acct);
    if (!list) {
      // In caller order, not arrival order: evidence merged from slices in any order explains the same.
      list = [...(this.byAccount.get(acct)?.values() ?? [])].sort((a, b) => compareText(a.caller, b.caller));
      this.callerLists.set(acct, list);
    }
    return list;
  }

  /**
   * The callers of an account with records of one outcome and dimension, in callersOf order: each
   * incident asks for the few callers that failed with its challenge, and asking every caller of the
   * account (hundreds) for each of hundreds of incidents was some 14% of building them (BENCHMARKS.md,
   * tenth round).
   */
  callersWith(account: string, outcome: string, dimension: CallerDimension): readonly CallerView[] {
    const acct = account.toLowerCase();
    let byKey = this.callersByKey.get(acct);
    if (!byKey) {
      byKey = new Map();
      const views = this.callersOf(acct);
      for (let i = 0; i < views.length; i++) {
        const v = views[i]!;
        for (let k = 0; k < v.keys.length; k++) {
          const key = v.keys[k]!;
          const list = byKey.get(key);
          if (!list) byKey.set(key, [v]);
          // A caller with several records of a key is listed once.
          else if (list[list.length - 1] !== v) list.push(v);
        }
      }
      this.callersByKey.set(acct, byKey);
    }
    return byKey.get(lookupKeyOf(outcome, dimension)) ?? NO_CALLERS;
  }

  /**
   * The records of one outcome and dimension across an account's callers, by value, in callersOf
   * order: "who else succeeded with this key" without scanning every caller per incident.
   */
  recordsByValue(
    account: string,
    outcome: string,
    dimension: CallerDimension,
  ): ReadonlyMap<string, readonly CallerValueRecord[]> {
    const key = account.toLowerCase() + "\u0000" + lookupKeyOf(outcome, dimension);
    let map = this.byValue.get(key);
    if (!map) {
      const built = new Map<string, CallerValueRecord[]>();
      const wanted = lookupKeyOf(outcome, dimension);
      for (const v of this.callersOf(account)) {
        for (let i = 0; i < v.keys.length; i++) {
          if (v.keys[i] !== wanted) continue;
          const r = v.records[i]!;
          const list = built.get(r.value);
          if (list) list.push(r);
          else built.set(r.value, [r]);
        }
      }
      this.byValue.set(key, (map = built));
    }
    return map;
  }

  accountResourceId(account: string): string | undefined {
    return this.accountIds.get(account.toLowerCase());
  }
}

/**
 * Each record's lookup key, for evidence that comes as lists (not as an observer or a merge held it),
 * looked up once per run of consecutive records that share outcome and dimension: a caller's records
 * are mostly listed in such runs.
 */
function keysOf(records: readonly CallerValueRecord[]): string[] {
  const keys = new Array<string>(records.length);
  let outcome: string | undefined;
  let dimension: CallerDimension | undefined;
  let byDimension: Map<CallerDimension, string> | undefined;
  let key = "";
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    // A caller's records change dimension at nearly every record, their outcome seldom.
    if (r.outcome !== outcome) {
      outcome = r.outcome;
      byDimension = lookupKeysOf(outcome);
      dimension = undefined;
    }
    if (r.dimension !== dimension) {
      dimension = r.dimension;
      key = lookupKeyIn(byDimension!, outcome, dimension);
    }
    keys[i] = key;
  }
  return keys;
}

/**
 * lower(outcome) \0 dimension, memoised: the explainer asks for the same few outcomes of every caller
 * of an account, and building (then hashing) a fresh string per call dominated its time.
 */
const lookupKeys = new Map<string, Map<CallerDimension, string>>();

/** The last lookupKeyOf answer: the explainer asks for one outcome and dimension across a run of callers. */
let lastLookup = { outcome: "", dimension: "" as CallerDimension | "", key: "" };

/**
 * What a caller's records are compared by (CallerView.keys, recordsOf): a loop over callers that asks
 * for one outcome and dimension of each looks it up once.
 */
export function lookupKeyOf(outcome: string, dimension: CallerDimension): string {
  const last = lastLookup;
  if (outcome === last.outcome && dimension === last.dimension) return last.key;
  const key = keyOf(outcome, dimension);
  lastLookup = { outcome, dimension, key };
  return key;
}

/**
 * lookupKeyOf without remembering the answer: for records made or merged one after another, whose
 * dimension changes at nearly every record, where the remembered answer was a new object per record.
 */
function keyOf(outcome: string, dimension: CallerDimension): string {
  return lookupKeyIn(lookupKeysOf(outcome), outcome, dimension);
}

/** The memo of `outcome`'s lookup keys by dimension. */
function lookupKeysOf(outcome: string): Map<CallerDimension, string> {
  let byDimension = lookupKeys.get(outcome);
  if (!byDimension) {
    if (lookupKeys.size >= 4096) lookupKeys.clear();
    byDimension = new Map();
    lookupKeys.set(outcome, byDimension);
  }
  return byDimension;
}

function lookupKeyIn(
  byDimension: Map<CallerDimension, string>,
  outcome: string,
  dimension: CallerDimension,
): string {
  let key = byDimension.get(dimension);
  if (key === undefined) {
    key = outcome.toLowerCase() + "\u0000" + dimension;
    byDimension.set(dimension, key);
  }
  return key;
}

const NO_RECORDS: readonly CallerValueRecord[] = Object.freeze([]);
const NO_CALLERS: readonly CallerView[] = Object.freeze([]);

/** The first record of one caller for an outcome and dimension ("all" has one per outcome), if any. */
export function firstRecordOf(
  view: CallerView,
  outcome: string,
  dimension: CallerDimension,
): CallerValueRecord | undefined {
  const key = lookupKeyOf(outcome, dimension);
  for (let i = 0; i < view.keys.length; i++) if (view.keys[i] === key) return view.records[i];
  return undefined;
}

/** Records of one caller for an outcome and dimension. */
export function recordsOf(
  view: CallerView,
  outcome: string,
  dimension: CallerDimension,
): readonly CallerValueRecord[] {
  const key = lookupKeyOf(outcome, dimension);
  let found: CallerValueRecord[] | undefined;
  for (let i = 0; i < view.keys.length; i++) if (view.keys[i] === key) (found ??= []).push(view.records[i]!);
  return found ?? NO_RECORDS;
}
