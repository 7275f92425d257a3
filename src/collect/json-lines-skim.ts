import type { StorageRequest } from "../model/storage-request.js";
import {
  ARCHIVE_SUCCESS_COLUMNS,
  LEAN_REQUEST_FIELDS,
  LOG_ANALYTICS_SUCCESS_COLUMNS,
  leanSuccessRequest,
  type SuccessColumns,
} from "./storage-records.js";
import {
  accountFromResourceId,
  parseLoggedTime,
  serviceFromResourceId,
  serviceFromServiceType,
  serviceFromTable,
} from "./values.js";

/**
 * The success rows of JSON Lines, read by searching for their keys (issue 13).
 *
 * Some 95% of logged requests succeed, and of those the engine reads a dozen fields for root-cause
 * evidence. Walking every byte of their ~1.5 KB lines in JavaScript, to validate fields nobody reads,
 * cost more than DuckDB's whole scan; here a success row is read with the engine's native string search
 * instead, each key searched from where the previous one was found, without an object graph.
 *
 * It answers only when it can vouch for the row, which is why the search is sound: in a line with no
 * backslash every `"` delimits a string, so `"key":` can only be that key. Anything unusual is left to
 * the full reader (`leanStorageRequestFromJsonBytes`), which keeps or rejects the row as it always has:
 * - a 401/403, or a status that is not a plain 3-digit number;
 * - a line that does not start with `{` and end with `}`, whose braces do not pair up (cut after a
 *   nested object), or in which a `}` is followed by anything but `,` `}` `]` (objects run together);
 * - a backslash anywhere, or spacing after the first key;
 * - a value that is not a string or null where text is read, a bad time, no account or service, or an
 *   account its resource id contradicts.
 * Archive records nest keys that also occur deeper, so `identity.type` is read only as the first key of
 * `identity`, `identity.requester.objectId` only inside `requester`, and `resourceId` only before
 * `identity`.
 *
 * What it does not check, by design (issue 13: no validating fields nobody reads), so that such a row
 * is counted and analysed rather than rejected:
 * - the values of the fields a success row does not use (a `correlationId` that is a number, say);
 * - the record's nesting as Storage and the exports write it: a key of `properties` is not looked for
 *   elsewhere, a container that is not an object goes unnoticed when nothing in it is read, and a line
 *   starting `{"time":` is not searched for a TimeGenerated too;
 * - a key written twice in one object (the full reader keeps the last; looking for a second status
 *   cost a fifth of the search);
 * - braces inside string values: braces are counted, not parsed, so a cut line whose values hold
 *   braces that pair its own up again passes.
 *
 * The record is the one the full reader builds for the row (`leanSuccessRequest`); a test compares the
 * two on every line of the bundled samples, the simulator's stories and generated archives.
 */
export function skimSuccessRow(line: string): StorageRequest | undefined {
  const n = line.length;
  if (n < 2 || line.charCodeAt(0) !== 123 || line.charCodeAt(n - 1) !== 125) return undefined;
  // Compact JSON only: `"key":` with nothing between the first key and its colon.
  if (line.charCodeAt(line.indexOf('"', 2) + 1) !== 58) return undefined;
  if (line.indexOf("\\") >= 0 || !oneWholeObject(line)) return undefined;
  const layout = line.startsWith(ARCHIVE.first)
    ? ARCHIVE
    : find(line, LOG_ANALYTICS.time, 0) >= 0
      ? LOG_ANALYTICS
      : ARCHIVE;
  if (!layout.read(line)) return undefined;
  const v = layout.values;
  const time = v[TIME];
  const operation = v[OPERATION];
  const status = statusOf(line, layout.statusAt);
  if (time === undefined || operation === undefined || status < 0) return undefined;
  const timeMs = parseLoggedTime(time);
  if (Number.isNaN(timeMs)) return undefined;
  const resourceId = v[RESOURCE_ID];
  const named = v[ACCOUNT];
  const accountOfId = cachedAccountOf(resourceId);
  // Compared as written first: lower-casing both per row cost more than the rest of the account check.
  if (
    named !== undefined &&
    accountOfId !== undefined &&
    named !== accountOfId &&
    named.toLowerCase() !== accountOfId.toLowerCase()
  )
    return undefined;
  const account = named ?? accountOfId;
  if (!account) return undefined;
  let service = serviceFromServiceType(v[SERVICE]);
  if (!service && layout.table) {
    const table = textAt(line, valueAt(line, layout.table, 0));
    if (table === GIVE_UP) return undefined;
    service = serviceFromTable(table);
  }
  service ??= serviceFromResourceId(resourceId);
  if (!service) return undefined;
  return leanSuccessRequest({
    timeMs,
    account,
    service,
    operation,
    statusCode: status,
    statusText: v[STATUS_TEXT],
    authType: v[AUTH_TYPE],
    authHash: v[AUTH_HASH],
    callerIp: v[CALLER_IP],
    userAgent: v[USER_AGENT],
    operationVersion: v[OPERATION_VERSION],
    uri: v[URI],
    requesterObjectId: v[OBJECT_ID],
    resourceId,
  });
}

/**
 * A `"key":` to search for. The native search runs about twice as fast for a pattern that does not
 * start with `"` (so common in JSON): it looks for the tail and checks the head.
 */
interface Key {
  quoted: string;
  head: string;
  tail: string;
}

function keyOf(quoted: string): Key {
  return { quoted, head: quoted.slice(0, 2), tail: quoted.slice(2) + ":" };
}

const ABSENT = -1;
const GIVE_UP: unique symbol = Symbol("give up");

/** Where `"key":` starts at or after `from`, or ABSENT. */
function find(line: string, key: Key, from: number): number {
  for (let t = from + 2; ;) {
    const i = line.indexOf(key.tail, t);
    if (i < 0) return ABSENT;
    if (line.charCodeAt(i - 1) === key.head.charCodeAt(1) && line.charCodeAt(i - 2) === 34) return i - 2;
    t = i + 1;
  }
}

/** Where the value of `key` starts (just after its `:`), or ABSENT. */
function valueAt(line: string, key: Key, from: number): number {
  const k = find(line, key, from);
  return k < 0 ? ABSENT : k + key.quoted.length + 1;
}

/**
 * Text as the full reader's `text()` reads it: absent, null and "" are undefined; a number, a boolean
 * or anything else is left to the full reader.
 */
function textAt(line: string, at: number): string | undefined | typeof GIVE_UP {
  if (at < 0) return undefined;
  if (line.charCodeAt(at) === 34) {
    // No backslash in the line: the next quote closes the string.
    const close = line.indexOf('"', at + 1);
    return close < 0 ? GIVE_UP : close > at + 1 ? line.slice(at + 1, close) : undefined;
  }
  return line.startsWith("null", at) ? undefined : GIVE_UP;
}

/** A status other than 401/403: 100–599 as a number or a string of 3 digits; else -1. */
function statusOf(line: string, at: number): number {
  if (at < 0) return -1;
  const quoted = line.charCodeAt(at) === 34;
  const d = quoted ? at + 1 : at;
  const end = line.charCodeAt(d + 3);
  if (quoted ? end !== 34 : end !== 44 && end !== 125) return -1;
  const a = line.charCodeAt(d) - 48;
  const b = line.charCodeAt(d + 1) - 48;
  const c = line.charCodeAt(d + 2) - 48;
  if (a < 1 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  const status = a * 100 + b * 10 + c;
  return status === 401 || status === 403 ? -1 : status;
}

/**
 * One whole object: as many `{` as `}` (a line cut after a nested object also ends with `}`), and every
 * `}` but the last followed by `,` `}` or `]` (not by another object run together with it).
 */
function oneWholeObject(line: string): boolean {
  let opens = 0;
  for (let i = line.indexOf("{"); i >= 0; i = line.indexOf("{", i + 1)) opens++;
  const last = line.length - 1;
  let closes = 1;
  for (let i = line.indexOf("}"); i >= 0 && i < last; i = line.indexOf("}", i + 1)) {
    closes++;
    let j = i + 1;
    let c = line.charCodeAt(j);
    while (c === 32 || c === 9) c = line.charCodeAt(++j);
    if (c !== 44 && c !== 125 && c !== 93) return false;
  }
  return opens === closes;
}

/** The columns of a success row, one slot each: the lean fields, the time read from its column. */
const COLUMN_OF_SLOT: ReadonlyArray<keyof SuccessColumns> = LEAN_REQUEST_FIELDS.map((field) =>
  field === "timeMs" ? "time" : field,
);
const slotOf = (column: keyof SuccessColumns): number => COLUMN_OF_SLOT.indexOf(column);
const TIME = slotOf("time");
const STATUS = slotOf("statusCode");
const OPERATION = slotOf("operation");
const ACCOUNT = slotOf("account");
const SERVICE = slotOf("service");
const RESOURCE_ID = slotOf("resourceId");
const STATUS_TEXT = slotOf("statusText");
const AUTH_TYPE = slotOf("authType");
const AUTH_HASH = slotOf("authHash");
const CALLER_IP = slotOf("callerIp");
const USER_AGENT = slotOf("userAgent");
const OPERATION_VERSION = slotOf("operationVersion");
const URI = slotOf("uri");
const OBJECT_ID = slotOf("requesterObjectId");
const SLOTS = COLUMN_OF_SLOT.length;

/**
 * The keys of one shape of record, searched in the order they were last found in: each from where the
 * previous one was found, so a line is scanned about once. A key found only before that point means the
 * writer orders its keys differently, and the order is learnt again from that line.
 */
class Layout {
  /** The text values of the line read last (they view the line). */
  readonly values: Array<string | undefined> = new Array<string | undefined>(SLOTS).fill(undefined);
  /** Where the status value of the line read last starts, or ABSENT. */
  statusAt = ABSENT;
  private readonly positions = new Array<number>(SLOTS).fill(ABSENT);
  private order: number[];
  /** How a record of this shape starts when its time comes first. */
  readonly first: string;
  readonly time: Key;

  constructor(
    /** By slot; the archive's `objectId` is searched inside `requester` (REQUESTER_KEY), not here. */
    private readonly keys: ReadonlyArray<Key | undefined>,
    /** Log Analytics: the table (`Type`), read only when ServiceType is absent. */
    readonly table: Key | undefined,
    private readonly archive: boolean,
  ) {
    this.order = keys.flatMap((key, slot) => (key ? [slot] : []));
    this.time = keys[TIME]!;
    this.first = `{${this.time.quoted}:`;
  }

  /** Reads the line's fields into `values` and `statusAt`; false to give up. */
  read(line: string): boolean {
    const { keys, positions, values } = this;
    let cursor = 0;
    let reordered = false;
    for (const slot of this.order) {
      const key = keys[slot]!;
      let k = find(line, key, cursor);
      if (k < 0 && cursor > 0) {
        // Only the part before the cursor is left to search: an absent key costs one scan in all.
        k = find(line.slice(0, cursor + key.tail.length + 1), key, 0);
        if (k >= 0) reordered = true;
      }
      positions[slot] = k;
      if (k < 0) {
        values[slot] = undefined;
        if (slot === STATUS) this.statusAt = ABSENT;
        continue;
      }
      const at = k + key.quoted.length + 1;
      if (at > cursor) cursor = at;
      else reordered = true;
      if (slot === STATUS) {
        this.statusAt = at;
        continue;
      }
      const text = textAt(line, at);
      if (text === GIVE_UP) return false;
      values[slot] = text;
    }
    if (reordered) this.learn();
    return !this.archive || this.archiveNesting(line);
  }

  /**
   * The archive's nested keys, where the full reader reads them: `identity.type` (or no identity at
   * all), `resourceId` before `identity`, and `objectId` inside `requester`.
   */
  private archiveNesting(line: string): boolean {
    const p = this.positions;
    const identity = p[AUTH_TYPE]!;
    if (identity < 0) {
      const at = valueAt(line, IDENTITY_KEY, 0);
      if (at >= 0 && !line.startsWith("null", at)) return false;
    } else if (p[RESOURCE_ID]! > identity) return false;
    this.values[OBJECT_ID] = undefined;
    // `requester` lies inside `identity`: before the first key found after it that is not identity's.
    let bound = line.length;
    for (const slot of OUTSIDE_IDENTITY) if (p[slot]! > identity && p[slot]! < bound) bound = p[slot]!;
    const requester = identity < 0 ? ABSENT : valueAt(line.slice(0, bound), REQUESTER_KEY, identity);
    if (requester < 0 || line.startsWith("null", requester)) return true;
    if (line.charCodeAt(requester) !== 123) return false;
    const close = line.indexOf("}", requester);
    const nested = line.indexOf("{", requester + 1);
    if (close < 0 || (nested >= 0 && nested < close)) return false;
    const at = valueAt(line, OBJECT_ID_KEY, requester);
    if (at < 0 || at > close) return true;
    const text = textAt(line, at);
    if (text === GIVE_UP) return false;
    this.values[OBJECT_ID] = text;
    return true;
  }

  private learn(): void {
    const p = this.positions;
    const at = (slot: number) => (p[slot]! < 0 ? Number.MAX_SAFE_INTEGER : p[slot]!);
    this.order = this.order.slice().sort((a, b) => at(a) - at(b));
  }
}

/** Slots whose archive keys lie outside `identity`. */
const OUTSIDE_IDENTITY = [TIME, STATUS, OPERATION, ACCOUNT, SERVICE, RESOURCE_ID, CALLER_IP, USER_AGENT, URI];
const IDENTITY_KEY = keyOf('"identity"');
const REQUESTER_KEY = keyOf('"requester"');
const OBJECT_ID_KEY = keyOf('"objectId"');

/** A layout searching each column's last path part; `overrides` replace the key of some slots. */
function layoutOf(
  cols: SuccessColumns,
  overrides: Partial<Record<number, string | undefined>>,
  archive: boolean,
  table?: string,
): Layout {
  const keys = COLUMN_OF_SLOT.map((column, slot) => {
    const quoted =
      slot in overrides
        ? overrides[slot]
        : JSON.stringify(cols[column].slice(cols[column].lastIndexOf(".") + 1));
    return quoted === undefined ? undefined : keyOf(quoted);
  });
  return new Layout(keys, table === undefined ? undefined : keyOf(JSON.stringify(table)), archive);
}

const LOG_ANALYTICS = layoutOf(LOG_ANALYTICS_SUCCESS_COLUMNS, {}, false, "Type");
const ARCHIVE = layoutOf(
  ARCHIVE_SUCCESS_COLUMNS,
  // `type` as the first key of `identity`; `objectId` is searched inside `requester` (archiveNesting).
  { [AUTH_TYPE]: '"identity":{"type"', [OBJECT_ID]: undefined },
  true,
);

/** Consecutive rows often share their resource id: its account is parsed once. */
let lastResourceId: string | undefined = "\u0000none";
let lastAccountOfId: string | undefined;

function cachedAccountOf(resourceId: string | undefined): string | undefined {
  if (resourceId !== lastResourceId) {
    lastResourceId = resourceId;
    lastAccountOfId = accountFromResourceId(resourceId);
  }
  return lastAccountOfId;
}
