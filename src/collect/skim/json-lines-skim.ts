import { isAscii } from "node:buffer";
import {
  CallerKeyKind,
  hasUnseenCallerShortcut,
  type CallerKeyFromBytes,
  type UnseenCallerShortcut,
} from "../../model/caller-key.js";
import type { ServiceType, StorageRequest } from "../../model/storage-request.js";
import type { RecordSink } from "../formats.js";
import { MAX_RECORD_BYTES, type DeclineLine } from "../lines.js";
import type { Latin1Buffer } from "../json-fields.js";
import {
  ARCHIVE_SUCCESS_COLUMNS,
  LEAN_REQUEST_FIELDS,
  LOG_ANALYTICS_SUCCESS_COLUMNS,
  leanSuccessRecord,
  type SuccessColumns,
  type SuccessFields,
} from "../storage-columns.js";
import {
  accountFromResourceId,
  hourStartMs,
  parseLoggedTime,
  sameTextIgnoringCase,
  serviceFromResourceId,
  serviceFromServiceType,
  serviceFromTable,
  stripSurroundingQuotes,
  withoutPort,
} from "../values.js";
import { instantiateSkimModule, ModuleMemory, READ_PAST, type WasmMemory } from "./skim-module.js";
import {
  ringSkimFits,
  SCAN_ARENA_FROM,
  SCAN_ARENA_TO,
  SCAN_FULL,
  SCAN_ID_FROM,
  SCAN_ID_TO,
  SCAN_INTS,
  SCAN_ROWS,
  scanRecordInts,
  WINDOW_BYTES,
} from "./skim-ahead-slots.js";

/**
 * The success rows of JSON Lines, read by searching for their keys in the bytes (issue 13).
 *
 * Some 95% of logged requests succeed, and of those the engine reads a dozen fields for root-cause
 * evidence. Walking every byte of their ~1.5 KB lines in JavaScript, to validate fields nobody reads,
 * cost more than DuckDB's whole scan, and so did decoding them into strings. Here a run of lines (valid
 * UTF-8; only its ASCII lines are taken) is copied into WebAssembly memory (assembly/skim.ts) and each
 * line is read there: its keys searched 16 bytes at a time, each from the end of the value before it,
 * and its text values interned, so JavaScript makes one string per distinct value rather than a dozen
 * per row.
 *
 * It answers only when it can vouch for the row, which is why the search is sound: a `"` with no
 * backslash before it is not escaped, so a match of `"key":` that does not follow a backslash can only
 * be that key (inside a string every `"` is escaped), and a value read holds no backslash, so its first
 * `"` closes it and its bytes are its text. Backslashes elsewhere are read past: Storage logs every
 * ETag in its quotes (`"etag":"\"0x8D…\""`), so nearly every real success row has two, and an export
 * writes a dynamic column (AuthorizationDetails) as JSON text. Anything unusual is left to the full
 * reader (`leanStorageRequestFromJsonBytes`), which keeps or rejects the row as it always has:
 * - a 401/403, or a status that is not a plain 3-digit number;
 * - a byte past ASCII anywhere in the line (the splitter decodes the line as UTF-8 for the full reader);
 * - a line that does not start with `{` and end with `}`, whose braces do not pair up (cut after a
 *   nested object), or in which a `}` is followed by anything but `,` `}` `]` (objects run together);
 * - a backslash in a value it reads or just before a key it finds, or spacing between a key and its
 *   colon (spaces and tabs after a colon, as Python's json.dumps writes `"identity": {"type": …`, are
 *   read past);
 * - an archive record's `identity` that is not valid JSON, or has no `type` of its own, when `type` is
 *   not its first key (Storage writes `"identity":{"type":`; records whose keys were sorted, by `jq -S`
 *   or a shipper, have it last, and `identity` is then walked whole);
 * - a value that is not a string or null where text is read, a bad time, no account or service, or an
 *   account its resource id contradicts.
 * Archive records nest keys that also occur deeper, so `identity.type` is read only among identity's own
 * members, `identity.requester.objectId` only inside `requester`, and `resourceId` only before
 * `identity` or past its end (inside it, it is `identity.delegatedResource.resourceId`).
 *
 * What it does not check, by design (issue 13: no validating fields nobody reads), so that such a row
 * is counted and analysed rather than rejected:
 * - the values of the fields a success row does not use (a `correlationId` that is a number, say, or a
 *   string with a bad escape);
 * - the record's nesting as Storage and the exports write it: a key of `properties` is not looked for
 *   elsewhere, a container that is not an object goes unnoticed when nothing in it is read, a line
 *   starting `{"time":` is not searched for a TimeGenerated too, and in a Log Analytics row a key it
 *   reads is taken wherever it stands, inside a nested value too;
 * - a key written twice in one object (the full reader keeps the last; looking for a second status
 *   cost a fifth of the search);
 * - braces inside string values: braces are counted, not parsed, so a cut line whose values hold
 *   braces that pair its own up again passes.
 *
 * The records of envelopes and JSON arrays are offered one by one (`takeRecord`): a record spread over
 * lines is first compacted in the module, which declines it where removing whitespace would join two
 * tokens or a string holds a raw control character (neither is JSON), so that the compacted record has
 * the tokens of the original and the rules above hold for it.
 *
 * The record is the one the full reader builds for the row (`leanSuccessRecord`); a test compares the
 * two on every line of the bundled samples, the simulator's stories and generated archives, and on each
 * of those lines pretty-printed. A lending
 * run (scanStorageRequests) hands out one LentSuccessRow instead, refilled per row, whose values are the
 * same when read during the consumer's call (test/collect/scan-requests.test.ts).
 */

/** The columns of a success row, one slot each: the lean fields, the time read from its column. */
const COLUMN_OF_SLOT: ReadonlyArray<keyof SuccessColumns> = LEAN_REQUEST_FIELDS.map((field) =>
  field === "timeMs" ? "time" : field,
);
const slotOf = (column: keyof SuccessColumns): number => COLUMN_OF_SLOT.indexOf(column);
const TIME = slotOf("time");
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
 * Slots whose values seldom repeat (a blob's URI, an address with its port, a token's hash, a caller):
 * located and decoded per row rather than interned, as interning them would only fill the table, and
 * keep strings alive until it is reset, long enough to be copied into the old generation. The module
 * reads the caller key from the last three where they are located.
 */
const LOCATED_SLOTS = [URI, CALLER_IP, AUTH_HASH, OBJECT_ID];
/** The slots assembly/skim.ts has as constants; checked when the module is set up. */
const WASM_SLOTS: ReadonlyArray<[keyof SuccessColumns, number]> = [
  ["time", 0],
  ["statusCode", 4],
  ["callerIp", 8],
  ["statusText", 5],
  ["authType", 6],
  ["authHash", 7],
  ["operationVersion", 10],
  ["requesterObjectId", 12],
  ["resourceId", 13],
];

/** Key ids in the module: each layout's slot keys, then the nested archive keys and the table. */
const ARCHIVE_KEYS = SLOTS;
const IDENTITY_KEY = 2 * SLOTS;
const REQUESTER_KEY = IDENTITY_KEY + 1;
const OBJECT_ID_KEY = IDENTITY_KEY + 2;
const TABLE_KEY = IDENTITY_KEY + 3;
const KEY_BYTES = 64;

/** Row fields written by the module (i32 offsets within a row). */
const ROW_START = 0;
const ROW_END = 1;
const ROW_LAYOUT = 2;
/** ROW_LAYOUT of a line declined whose bytes are all ASCII (0: declined, maybe past ASCII). */
const DECLINED_ASCII = -1;
/** ROW_LAYOUT of a line declined whose bytes are all ASCII and whose status is 401 or 403. */
const DECLINED_AUTH_FAILURE = -2;
const ROW_STATUS = 3;
const ROW_HOUR = 4;
const ROW_MS_IN_HOUR = 5;
const ROW_TIME_START = 6;
const ROW_TIME_LENGTH = 7;
const ROW_VALUES = 8;
/** The caller key's hash and CallerKeyKind, read by the module from the located slots below. */
const ROW_CALLER_KEY = ROW_VALUES + 2 * SLOTS;
const TAKEN_LOG_ANALYTICS = 1;
const GIVE_UP = -1;

const NEWLINE = 0x0a;

interface SkimExports {
  memory: WasmMemory;
  inputOffset(): number;
  keysOffset(): number;
  internedOffset(): number;
  rowsOffset(): number;
  entriesOffset(): number;
  maxIds(): number;
  rowInts(): number;
  isFull(): number;
  resumeOffset(): number;
  resetInterned(): void;
  nextValueId(): number;
  arenaEnd(): number;
  initOrders(): void;
  tableOf(start: number, end: number): number;
  scan(from: number, length: number, maxLineBytes: number): number;
  compactRecord(length: number): number;
  setInput(at: number): void;
}

/** The key of `column` in one layout as searched: `"name":`, the last part of its path. */
function keyOf(cols: SuccessColumns, column: keyof SuccessColumns): string {
  const path = cols[column];
  return JSON.stringify(path.slice(path.lastIndexOf(".") + 1)) + ":";
}

/**
 * One thread's skim: the module instance and, per value id, its string and what is derived from it.
 * Ids live until the module's intern table fills; then both sides forget them together.
 */
export class SuccessRowSkim {
  private readonly wasm: SkimExports;
  private readonly input: number;
  private readonly rowsAt: number;
  private readonly rowInts: number;
  private readonly entriesAt: number;
  /** Views on the module's memory, sized once to a window (it never grows after). */
  private readonly bytes: Latin1Buffer;
  private readonly ints: Int32Array;
  /**
   * The bytes of the run being read and where it starts in them (the module's input; a skim-ahead
   * slot's bytes when replaying), and the ints its rows are in (the module's rows; the slot's results).
   */
  private runBytes: Latin1Buffer;
  private runAt: number;
  private rowInts32: Int32Array;
  /** Replaying: where the scan's table ids start in rowInts32, and its first row; -1: ask the module. */
  private tablesAt = -1;
  private firstRowAt = 0;
  // Per value id, sized to the module's ids up front: arrays written at scattered high indices turn into
  // slow dictionaries.
  private readonly texts: Array<string | undefined>;
  private readonly hours: Array<number | undefined>;
  private readonly userAgents: Array<string | undefined>;
  /** Per resource id: its account (null when it names none). */
  private readonly accountsOfIds: Array<string | null | undefined>;
  /** Per resource id: the AccountName value id last found to name its account (0: none yet). */
  private readonly agreeingNames: Int32Array;
  /** Per ServiceType value: its service (null when it names none). */
  private readonly servicesOfIds: Array<ServiceType | null | undefined>;
  /** Scratch fields of the row being built (leanSuccessRecord copies them). */
  private readonly fields: SuccessFields = {
    timeMs: 0,
    account: "",
    service: "blob",
    operation: "",
    statusCode: 0,
    statusText: undefined,
    authType: undefined,
    authHash: undefined,
    callerIp: undefined,
    userAgent: undefined,
    operationVersion: undefined,
    uri: undefined,
    requesterObjectId: undefined,
    resourceId: undefined,
  };

  /**
   * On `memory` (a skim-ahead ring's, whose windows publishWindow then reads where they lie) or on a
   * memory of its own.
   */
  constructor(memory?: WasmMemory) {
    for (const [column, slot] of WASM_SLOTS)
      if (slotOf(column) !== slot)
        throw new Error(`json-lines-skim: slot of ${column} is not ${slot} as assembly/skim.ts has it`);
    this.wasm = instantiateSkimModule<SkimExports>(memory);
    this.input = this.wasm.inputOffset();
    this.rowsAt = this.wasm.rowsOffset() >> 2;
    this.rowInts = this.wasm.rowInts();
    if (this.rowInts !== ROW_CALLER_KEY + 2)
      throw new Error(`json-lines-skim: a row is ${this.rowInts} ints, not ${ROW_CALLER_KEY + 2}`);
    this.entriesAt = this.wasm.entriesOffset() >> 2;
    const ids = this.wasm.maxIds();
    this.texts = new Array<string | undefined>(ids).fill(undefined);
    this.hours = new Array<number | undefined>(ids).fill(undefined);
    this.userAgents = new Array<string | undefined>(ids).fill(undefined);
    this.accountsOfIds = new Array<string | null | undefined>(ids).fill(undefined);
    this.agreeingNames = new Int32Array(ids);
    this.servicesOfIds = new Array<ServiceType | null | undefined>(ids).fill(undefined);
    const views = new ModuleMemory(this.wasm.memory, this.input, WINDOW_BYTES);
    this.bytes = views.bytes;
    this.ints = views.ints;
    this.runBytes = this.bytes;
    this.runAt = this.input;
    this.rowInts32 = this.ints;
    this.writeKeys();
    const interned = this.wasm.internedOffset();
    for (let slot = 0; slot < SLOTS; slot++)
      this.bytes[interned + slot] = LOCATED_SLOTS.includes(slot) ? 0 : 1;
    this.wasm.initOrders();
  }

  /** Throws unless this skim's own input leaves a skim-ahead ring's slots alone (they share its memory). */
  checkRingFits(): void {
    if (!ringSkimFits(this.input + WINDOW_BYTES + READ_PAST))
      throw new Error("json-lines-skim: the module's memory runs into the skim-ahead ring's slots");
  }

  private writeKeys(): void {
    const keys: Array<string | undefined> = [];
    COLUMN_OF_SLOT.forEach((column, slot) => {
      keys[slot] = keyOf(LOG_ANALYTICS_SUCCESS_COLUMNS, column);
      keys[ARCHIVE_KEYS + slot] = keyOf(ARCHIVE_SUCCESS_COLUMNS, column);
    });
    // `type` as the first key of `identity` (the module walks identity when it is not); `objectId` is
    // searched inside `requester` instead.
    keys[ARCHIVE_KEYS + AUTH_TYPE] = '"identity":{"type":';
    keys[ARCHIVE_KEYS + OBJECT_ID] = undefined;
    keys[IDENTITY_KEY] = '"identity":';
    keys[REQUESTER_KEY] = '"requester":';
    keys[OBJECT_ID_KEY] = '"objectId":';
    keys[TABLE_KEY] = '"Type":';
    const at = this.wasm.keysOffset();
    keys.forEach((key, id) => {
      if (key && key.length > KEY_BYTES - 4) throw new Error(`json-lines-skim: key ${key} is too long`);
      const entry = at + id * KEY_BYTES;
      this.ints[entry >> 2] = key?.length ?? 0;
      if (key) this.bytes.write(key, entry + 4, "latin1");
    });
  }

  /**
   * Reads the lines of chunk[start, end), valid UTF-8 (split at `\n`, a `\r` before it dropped; the last
   * line ends at `end`), pushing the record of each success row it takes (ASCII lines only) to `out` and
   * handing every other line to `decline`, in order. Returns how many lines there were.
   */
  run(
    chunk: Buffer,
    start: number,
    end: number,
    maxLineBytes: number,
    out: RecordSink<StorageRequest>,
    decline: DeclineLine,
    lend = false,
  ): number {
    this.lendTo(out, lend);
    let lines = 0;
    let from = start;
    for (;;) {
      let stop = end;
      if (end - from > WINDOW_BYTES) {
        stop = chunk.lastIndexOf(0x0a, from + WINDOW_BYTES);
        if (stop < from) {
          // One line longer than a window, and so than any line a record may be: declined unread.
          stop = chunk.indexOf(0x0a, from);
          if (stop < 0 || stop > end) stop = end;
          const last = stop > from && chunk[stop - 1] === 13 ? stop - 1 : stop;
          decline(from, last, lines++);
          if (stop >= end) return lines;
          from = stop + 1;
          continue;
        }
      }
      lines += this.window(chunk, from, stop, maxLineBytes, out, decline, lines);
      if (stop >= end) return lines;
      from = stop + 1;
    }
  }

  /**
   * One record captured whole (ASCII; an element of an envelope or a JSON array), as a line of JSON Lines
   * is read: its record pushed to `out` (lent when `lend`, as by `run`) when the skim takes it. A record
   * spread over lines (`az` output, `jq .`) is first compacted in the module (`compactRecord`). False when
   * it is left to the full reader.
   */
  takeRecord(bytes: Buffer, out: RecordSink<StorageRequest>, lend = false): boolean {
    if (bytes.length > WINDOW_BYTES) return false;
    this.lendTo(out, lend);
    this.copyIn(bytes);
    const length = bytes.indexOf(NEWLINE) < 0 ? bytes.length : this.wasm.compactRecord(bytes.length);
    if (length < 0) return false;
    this.recordDeclined = false;
    return (
      this.scanInput(length, 0, MAX_RECORD_BYTES, out, this.declineRecord, 0) === 1 && !this.recordDeclined
    );
  }

  private recordDeclined = false;
  private readonly declineRecord: DeclineLine = () => {
    this.recordDeclined = true;
  };

  /**
   * `bytes` as the module's input, at its own place: a skim on a ring's memory may have read its last
   * window where it lay (publishWindow), and the module reads wherever it was last pointed.
   */
  private copyIn(bytes: Uint8Array): void {
    this.wasm.setInput(this.input);
    this.bytes.set(bytes, this.input);
  }

  /** One window of whole lines: copied in once, then read in as many scans as the rows need. */
  private window(
    chunk: Buffer,
    start: number,
    end: number,
    maxLineBytes: number,
    out: RecordSink<StorageRequest>,
    decline: DeclineLine,
    before: number,
  ): number {
    this.copyIn(chunk.subarray(start, end));
    return this.scanInput(end - start, start, maxLineBytes, out, decline, before);
  }

  /**
   * The lines of the module's input [0, length), copied from the caller's bytes at `start` (where a
   * declined line is named): read in as many scans as the rows need.
   */
  private scanInput(
    length: number,
    start: number,
    maxLineBytes: number,
    out: RecordSink<StorageRequest>,
    decline: DeclineLine,
    before: number,
  ): number {
    this.runBytes = this.bytes;
    this.runAt = this.input;
    this.rowInts32 = this.ints;
    this.tablesAt = -1;
    let lines = 0;
    for (let from = 0; from <= length;) {
      const rows = this.wasm.scan(from, length, maxLineBytes);
      lines += this.takeRows(this.rowsAt, rows, start, out, decline, before + lines);
      from = this.wasm.resumeOffset();
      if (this.wasm.isFull()) this.forgetValues();
    }
    return lines;
  }

  /** `rows` rows from `firstRow` of rowInts32: each one's record pushed to `out`, or its line declined. */
  private takeRows(
    firstRow: number,
    rows: number,
    start: number,
    out: RecordSink<StorageRequest>,
    decline: DeclineLine,
    before: number,
  ): number {
    const ints = this.rowInts32;
    this.firstRowAt = firstRow;
    let taken = 0;
    for (let r = 0; r < rows; r++) {
      const row = firstRow + r * this.rowInts;
      const layout = ints[row + ROW_LAYOUT]!;
      const record = layout <= 0 ? undefined : this.record(row, ints);
      if (record === undefined)
        decline(
          start + ints[row + ROW_START]!,
          start + ints[row + ROW_END]!,
          before + r,
          layout === DECLINED_ASCII || layout === DECLINED_AUTH_FAILURE,
          layout === DECLINED_AUTH_FAILURE,
        );
      else {
        taken++;
        if (record !== COUNTED) out.push(record);
      }
    }
    rowsTaken += taken;
    return rows;
  }

  /**
   * Whether `record` may ask for the row's table: a Log Analytics row taken whose ServiceType names no
   * service (a skim-ahead thread asks for it then, and only then: the search costs a pass over the line).
   */
  private needsTable(row: number, ints: Int32Array): boolean {
    return (
      ints[row + ROW_LAYOUT] === TAKEN_LOG_ANALYTICS &&
      this.serviceOf(ints[row + ROW_VALUES + 2 * SERVICE]!) === undefined
    );
  }

  /** The Log Analytics table of a row taken: asked of the module, or as a skim-ahead thread asked it. */
  private tableIdOf(row: number, ints: Int32Array): number {
    if (this.tablesAt < 0) return this.wasm.tableOf(ints[row + ROW_START]!, ints[row + ROW_END]!);
    return ints[this.tablesAt + (row - this.firstRowAt) / this.rowInts]!;
  }

  /**
   * A skim-ahead thread's part (skim-ahead.ts): reads the window chunk[start, end) as a run of one window
   * is read, and writes each scan's record (skim-ahead-slots.ts) to `results`: its rows, the table of
   * each Log Analytics row that may need it (needsTable; the main thread never asks the module),
   * and the values interned meanwhile. How many scans, and the ints of `results` they took; undefined
   * when they do not fit: the values interned are then forgotten, and the main thread, told so, reads the
   * window itself. A window in this skim's own memory (a ring's slot) is read where it lies; any other
   * is copied in first, as `window` copies it.
   */
  publishWindow(
    chunk: Buffer,
    start: number,
    end: number,
    maxLineBytes: number,
    results: Int32Array,
  ): { scans: number; ints: number } | undefined {
    const length = end - start;
    if (chunk.buffer === this.bytes.buffer) this.wasm.setInput(chunk.byteOffset + start);
    else this.copyIn(chunk.subarray(start, end));
    const ints = this.ints;
    let used = 0;
    let scans = 0;
    for (let from = 0; from <= length; scans++) {
      const idFrom = this.wasm.nextValueId();
      const arenaFrom = this.wasm.arenaEnd();
      const rows = this.wasm.scan(from, length, maxLineBytes);
      const rowsAt = used + SCAN_INTS;
      const tables = rowsAt + rows * this.rowInts;
      if (tables + rows > results.length) return this.dropWindow();
      results.set(ints.subarray(this.rowsAt, this.rowsAt + rows * this.rowInts), rowsAt);
      for (let r = 0; r < rows; r++) {
        const row = this.rowsAt + r * this.rowInts;
        results[tables + r] = this.needsTable(row, ints)
          ? this.wasm.tableOf(ints[row + ROW_START]!, ints[row + ROW_END]!)
          : 0;
      }
      const idTo = this.wasm.nextValueId();
      const arenaTo = this.wasm.arenaEnd();
      const next = used + scanRecordInts(rows, this.rowInts, idTo - idFrom, arenaTo - arenaFrom);
      if (next > results.length) return this.dropWindow();
      const full = this.wasm.isFull();
      results[used + SCAN_ROWS] = rows;
      results[used + SCAN_FULL] = full ? 1 : 0;
      results[used + SCAN_ID_FROM] = idFrom;
      results[used + SCAN_ID_TO] = idTo;
      results[used + SCAN_ARENA_FROM] = arenaFrom;
      results[used + SCAN_ARENA_TO] = arenaTo;
      const entries = tables + rows;
      results.set(ints.subarray(this.entriesAt + idFrom * 2, this.entriesAt + idTo * 2), entries);
      bytesOf(results, entries + (idTo - idFrom) * 2, arenaTo - arenaFrom).set(
        this.bytes.subarray(arenaFrom, arenaTo),
      );
      used = next;
      from = this.wasm.resumeOffset();
      if (full) this.forgetValues();
    }
    return { scans, ints: used };
  }

  private dropWindow(): undefined {
    this.forgetValues();
    return undefined;
  }

  /**
   * The main thread's part of skim-ahead: the lines of a window a skim-ahead thread read
   * (publishWindow), chunk[start, ...), taken from its `scans` records in `results` as `run` takes them
   * from the module's scans. This skim's values must be the thread's before the window's (see
   * `installScans`).
   */
  replayWindow(
    chunk: Buffer,
    start: number,
    results: Int32Array,
    scans: number,
    out: RecordSink<StorageRequest>,
    decline: DeclineLine,
    lend: boolean,
  ): number {
    this.lendTo(out, lend);
    this.runBytes = chunk as Latin1Buffer;
    this.runAt = start;
    this.rowInts32 = results;
    let lines = 0;
    for (let s = 0, at = 0; s < scans; s++) {
      const rows = results[at + SCAN_ROWS]!;
      this.tablesAt = at + SCAN_INTS + rows * this.rowInts;
      this.installValues(results, at);
      lines += this.takeRows(at + SCAN_INTS, rows, start, out, decline, lines);
      at = this.afterScan(results, at);
    }
    this.tablesAt = -1;
    return lines;
  }

  /** The values a skim-ahead thread interned in the `scans` records of `results`, for a window not replayed. */
  installScans(results: Int32Array, scans: number): void {
    for (let s = 0, at = 0; s < scans; s++) {
      this.installValues(results, at);
      at = this.afterScan(results, at);
    }
  }

  /** The entries and text of the values the scan at `at` interned (after its rows and their tables). */
  private installValues(results: Int32Array, at: number): void {
    const entries = at + SCAN_INTS + results[at + SCAN_ROWS]! * (this.rowInts + 1);
    const idFrom = results[at + SCAN_ID_FROM]!;
    const ids = results[at + SCAN_ID_TO]! - idFrom;
    const arenaFrom = results[at + SCAN_ARENA_FROM]!;
    const arenaBytes = results[at + SCAN_ARENA_TO]! - arenaFrom;
    this.ints.set(results.subarray(entries, entries + ids * 2), this.entriesAt + idFrom * 2);
    this.bytes.set(bytesOf(results, entries + ids * 2, arenaBytes), arenaFrom);
  }

  /** Where the scan after the one at `at` starts; the values forgotten when the thread's table filled. */
  private afterScan(results: Int32Array, at: number): number {
    const rows = results[at + SCAN_ROWS]!;
    const ids = results[at + SCAN_ID_TO]! - results[at + SCAN_ID_FROM]!;
    const arenaBytes = results[at + SCAN_ARENA_TO]! - results[at + SCAN_ARENA_FROM]!;
    if (results[at + SCAN_FULL] === 1) this.forgetValues();
    return at + scanRecordInts(rows, this.rowInts, ids, arenaBytes);
  }

  /** How many times the intern table filled and was emptied. */
  resets = 0;

  /** Forgets every interned value, as the module does (or, replaying, as the skim-ahead thread did). */
  forgetValues(): void {
    this.resets++;
    this.wasm.resetInterned();
    this.texts.fill(undefined);
    this.hours.fill(undefined);
    this.userAgents.fill(undefined);
    this.accountsOfIds.fill(undefined);
    this.agreeingNames.fill(0);
    this.servicesOfIds.fill(undefined);
  }

  /** Whether the records this run gives `out` are lent (see `run`), and its shortcut when it has one. */
  private lendTo(out: RecordSink<StorageRequest>, lend: boolean): void {
    this.lend = lend;
    this.shortcut = lend && hasUnseenCallerShortcut(out) ? out : undefined;
  }

  /** Whether this run's records are lent (see `run`). */
  private lend = false;
  /** The lending run's consumer, when it may count a row without it (UnseenCallerShortcut). */
  private shortcut: UnseenCallerShortcut | undefined;
  private lentRow: LentSuccessRow | undefined;

  /**
   * The record of a row the module took, or undefined when what is left to check fails: a new record,
   * or when lending the one LentSuccessRow, refilled; COUNTED when the consumer counted the row without
   * it (UnseenCallerShortcut).
   */
  private record(row: number, ints: Int32Array): StorageRequest | typeof COUNTED | undefined {
    const v = row + ROW_VALUES;
    const status = ints[row + ROW_STATUS]!;
    const operation = this.text(ints[v + 2 * OPERATION]!);
    if (ints[v + 2 * TIME] === 0 || operation === undefined || status < 0) return undefined;
    const msInHour = ints[row + ROW_MS_IN_HOUR]!;
    const timeMs =
      msInHour >= 0
        ? this.hourMs(ints[row + ROW_HOUR]!) + msInHour
        : parseLoggedTime(
            this.runBytes.toString(
              "latin1",
              this.runAt + ints[row + ROW_TIME_START]!,
              this.runAt + ints[row + ROW_TIME_START]! + ints[row + ROW_TIME_LENGTH]!,
            ),
          );
    if (Number.isNaN(timeMs)) return undefined;
    const resourceIdId = ints[v + 2 * RESOURCE_ID]!;
    const resourceId = this.text(resourceIdId);
    const namedId = ints[v + 2 * ACCOUNT]!;
    const named = this.text(namedId);
    const accountOfId = this.accountOf(resourceIdId);
    if (
      named !== undefined &&
      accountOfId !== undefined &&
      !this.namesAccountOf(namedId, resourceIdId, named, accountOfId)
    )
      return undefined;
    const account = named ?? accountOfId;
    if (!account) return undefined;
    let service = this.serviceOf(ints[v + 2 * SERVICE]!);
    if (!service && ints[row + ROW_LAYOUT] === TAKEN_LOG_ANALYTICS) {
      const table = this.tableIdOf(row, ints);
      if (table === GIVE_UP) return undefined;
      service = serviceFromTable(this.text(table));
    }
    service ??= serviceFromResourceId(resourceId);
    if (!service) return undefined;
    const keyHash = ints[row + ROW_CALLER_KEY]!;
    const keyKind = ints[row + ROW_CALLER_KEY + 1]! as CallerKeyKind;
    if (this.shortcut?.countsOnly(account, timeMs, keyHash, keyKind)) return COUNTED;
    const f = this.fields;
    f.timeMs = timeMs;
    f.account = account;
    f.service = service;
    f.operation = operation;
    f.statusCode = status;
    f.statusText = this.text(ints[v + 2 * STATUS_TEXT]!);
    f.authType = this.text(ints[v + 2 * AUTH_TYPE]!);
    f.userAgent = this.userAgent(ints[v + 2 * USER_AGENT]!);
    f.operationVersion = this.text(ints[v + 2 * OPERATION_VERSION]!);
    f.resourceId = resourceId;
    if (this.lend) {
      const lent = (this.lentRow ??= new LentSuccessRow(this));
      lent.refill(f, v, keyHash, keyKind);
      return lent;
    }
    f.authHash = this.located(v + 2 * AUTH_HASH);
    f.callerIp = this.callerIp(v);
    f.uri = this.located(v + 2 * URI);
    f.requesterObjectId = this.located(v + 2 * OBJECT_ID);
    return leanSuccessRecord(f);
  }

  /** The string of value `id`, decoded the first time it is asked for. */
  private text(id: number): string | undefined {
    if (id === 0) return undefined;
    let s = this.texts[id];
    if (s === undefined) {
      const entry = this.entriesAt + id * 2;
      const at = this.ints[entry]!;
      s = this.bytes.latin1Slice(at, at + this.ints[entry + 1]!);
      this.texts[id] = s;
    }
    return s;
  }

  private hourMs(id: number): number {
    let ms = this.hours[id];
    if (ms === undefined) this.hours[id] = ms = hourStartMs(this.text(id)!);
    return ms;
  }

  /** The caller address of the row whose values start at `values`, without its port. */
  callerIp(values: number): string | undefined {
    const ip = this.located(values + 2 * CALLER_IP);
    return ip === undefined ? undefined : withoutPort(ip);
  }

  /** A located value: decoded from the run, which is still in the module's memory. */
  located(value: number): string | undefined {
    const length = this.rowInts32[value + 1]!;
    if (length === 0) return undefined;
    const at = this.runAt + this.rowInts32[value]!;
    return this.runBytes.latin1Slice(at, at + length);
  }

  private userAgent(id: number): string | undefined {
    if (id === 0) return undefined;
    return (this.userAgents[id] ??= stripSurroundingQuotes(this.text(id)!));
  }

  private serviceOf(id: number): ServiceType | undefined {
    return this.derived(this.servicesOfIds, id, serviceFromServiceType);
  }

  /** Whether AccountName `named` (value id namedId) names the resource id's account `ofId`: once per pair of ids. */
  private namesAccountOf(namedId: number, resourceIdId: number, named: string, ofId: string): boolean {
    if (this.agreeingNames[resourceIdId] === namedId) return true;
    if (!sameTextIgnoringCase(named, ofId)) return false;
    this.agreeingNames[resourceIdId] = namedId;
    return true;
  }

  private accountOf(resourceIdId: number): string | undefined {
    return this.derived(this.accountsOfIds, resourceIdId, accountFromResourceId);
  }

  /** derive(text of value `id`), worked out once per id and kept in `known` (null when it gives none). */
  private derived<T>(
    known: Array<T | null | undefined>,
    id: number,
    derive: (text: string | undefined) => T | undefined,
  ): T | undefined {
    if (id === 0) return undefined;
    let value = known[id];
    if (value === undefined) known[id] = value = derive(this.text(id)) ?? null;
    return value ?? undefined;
  }
}

/**
 * The one record a lending skim hands out for every success row it takes (scanStorageRequests). Its
 * values are set per row; the four that seldom repeat (URI, caller address, auth hash, object id) are
 * decoded from the row's bytes only when read, and then kept for the row. The root-cause evidence asks it
 * for its caller key's hash and kind instead (CallerKeyFromBytes), which the module read from the same
 * bytes. A row whose caller the evidence drops at its cap, most rows of a large run, is not even lent:
 * the consumer counts it from the key (UnseenCallerShortcut). Valid only while the consumer's `observe`
 * runs: after it, the object and the bytes are the next row's.
 */
class LentSuccessRow implements StorageRequest, CallerKeyFromBytes {
  timeMs = 0;
  account = "";
  service: ServiceType = "blob";
  operation = "";
  statusCode: number | null = 0;
  statusText = "";
  authType = "";
  userAgent: string | undefined = undefined;
  operationVersion: string | undefined = undefined;
  resourceId: string | undefined = undefined;
  objectKey: string | undefined = undefined;
  requesterAppId: string | undefined = undefined;
  requesterTenantId: string | undefined = undefined;
  requesterUpn: string | undefined = undefined;
  requesterAudience: string | undefined = undefined;
  requesterTokenIssuer: string | undefined = undefined;
  delegatedResourceId: string | undefined = undefined;
  authorizationDetails: unknown = undefined;
  correlationId: string | undefined = undefined;
  protocol: string | undefined = undefined;
  sasExpiryStatus: string | undefined = undefined;
  tlsVersion: string | undefined = undefined;
  clientRequestId: string | undefined = undefined;
  /** The row's values (ROW_VALUES in the module's rows), where the located slots are found. */
  private values = 0;
  /** Decoded located values of this row; NOT_READ until asked for. */
  private decodedUri: string | undefined | typeof NOT_READ = NOT_READ;
  private decodedCallerIp: string | undefined | typeof NOT_READ = NOT_READ;
  private decodedAuthHash: string | undefined | typeof NOT_READ = NOT_READ;
  private decodedObjectId: string | undefined | typeof NOT_READ = NOT_READ;
  /** This row's callerKeyHash and kind, as the module read them from its bytes. */
  private keyHash = 0;
  private keyKind: CallerKeyKind = CallerKeyKind.NONE;

  constructor(private readonly skim: SuccessRowSkim) {}

  /** This row's values: `f`'s, but for the located ones, which are read from the row at `values`. */
  refill(f: Readonly<SuccessFields>, values: number, keyHash: number, keyKind: CallerKeyKind): void {
    this.timeMs = f.timeMs;
    this.account = f.account;
    this.service = f.service;
    this.operation = f.operation;
    this.statusCode = f.statusCode;
    this.statusText = f.statusText ?? "";
    this.authType = f.authType ?? "";
    this.userAgent = f.userAgent;
    this.operationVersion = f.operationVersion;
    this.resourceId = f.resourceId;
    this.values = values;
    this.decodedUri = NOT_READ;
    this.decodedCallerIp = NOT_READ;
    this.decodedAuthHash = NOT_READ;
    this.decodedObjectId = NOT_READ;
    this.keyHash = keyHash;
    this.keyKind = keyKind;
  }

  callerKeyHash(): number {
    return this.keyHash;
  }

  callerKeyKind(): CallerKeyKind {
    return this.keyKind;
  }

  get uri(): string | undefined {
    if (this.decodedUri === NOT_READ) this.decodedUri = this.skim.located(this.values + 2 * URI);
    return this.decodedUri;
  }

  get callerIp(): string | undefined {
    if (this.decodedCallerIp === NOT_READ) this.decodedCallerIp = this.skim.callerIp(this.values);
    return this.decodedCallerIp;
  }

  get authHash(): string | undefined {
    if (this.decodedAuthHash === NOT_READ)
      this.decodedAuthHash = this.skim.located(this.values + 2 * AUTH_HASH);
    return this.decodedAuthHash;
  }

  get requesterObjectId(): string | undefined {
    if (this.decodedObjectId === NOT_READ)
      this.decodedObjectId = this.skim.located(this.values + 2 * OBJECT_ID);
    return this.decodedObjectId;
  }
}

/** `bytes` bytes of `ints` from int `at`. */
function bytesOf(ints: Int32Array, at: number, bytes: number): Uint8Array {
  return new Uint8Array(ints.buffer, ints.byteOffset + at * 4, bytes);
}

/** What `record` returns for a row the consumer counted without it. */
const COUNTED: unique symbol = Symbol("counted");

/** A located value not decoded yet. */
const NOT_READ: unique symbol = Symbol("not read");

let skim: SuccessRowSkim | undefined;

/**
 * Rows the skims of this thread took (made or counted; every other line went to the full reader): a
 * replayed window must take the rows a skim of it would (test/collect/skim-ahead.test.ts).
 */
let rowsTaken = 0;
export function successRowsTaken(): number {
  return rowsTaken;
}

/**
 * This thread's skim, set up on first use (the timer's module load does not pay for it); on `memory` when
 * it is a skim-ahead thread's (skim-ahead-reader.ts).
 */
export function successRowSkim(memory?: WasmMemory): SuccessRowSkim {
  return (skim ??= new SuccessRowSkim(memory));
}

/**
 * One line (ASCII, no line break) through the skim, as the readers run it over lines of ASCII runs: its
 * record, or undefined when the skim leaves it to the full reader.
 */
export function skimSuccessRow(line: string): StorageRequest | undefined {
  const bytes = Buffer.from(line, "utf8");
  if (bytes.length !== line.length || !isAscii(bytes) || line.includes("\n")) return undefined;
  const out: StorageRequest[] = [];
  successRowSkim().run(bytes, 0, bytes.length, MAX_RECORD_BYTES, out, () => undefined);
  return out[0];
}

/**
 * One record captured whole (ASCII; on one line or pretty-printed) through the skim, as the readers run
 * it over the records of envelopes and JSON arrays: its record, or undefined when the skim leaves it to
 * the full reader.
 */
export function skimSuccessRecord(text: string): StorageRequest | undefined {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length !== text.length || !isAscii(bytes)) return undefined;
  const out: StorageRequest[] = [];
  return successRowSkim().takeRecord(bytes, out) ? out[0] : undefined;
}
