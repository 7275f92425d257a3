/**
 * The memory a skim-ahead thread and the main thread share (skim-ahead.ts): a ring of slots, each one
 * window of a file's bytes, or several small files whole, and what the skim found in them, written by the
 * thread and read by the main thread in turn. `states` says whose turn each slot is.
 *
 * A slot's bytes (at most WINDOW_BYTES: the main thread's skim reads a run of at most that much as one
 * window, so a window cut here is one it would have cut) lie in the ring's memory, which is the thread's
 * skim module's memory (ringMemory): the module reads each window where the thread read it, not a copy.
 * The rest of a slot is a SharedArrayBuffer of its own: its header (how many segments, then each
 * segment's fields: one file's bytes in the slot, or a file the thread does not read), then the scans'
 * records (Int32) of each segment from its RESULTS_FROM, each: SCAN_INTS of counts, its rows (ROW_INTS
 * each, as the module wrote them), one table id per row, the entries of the values it interned ([offset,
 * length] per id) and their bytes.
 */
import { READ_PAST, skimModuleMemory, type WasmMemory } from "./skim-module.js";

/**
 * Slots in the ring: the one the main thread reads, the one before it (still valid), and six the thread
 * fills ahead. With four the main thread waited 370-530 ms for slots over 1 GB, with eight 210-260 ms,
 * with sixteen no less (BENCHMARKS.md, thirty-eighth round).
 */
export const SLOTS = 8;
/**
 * The skim reads a run in windows of at most this many bytes, cut at a line break: the module's memory is
 * sized to one. Files are read a window at a time (READ_CHUNK_BYTES), so a run is nearly always one
 * window: larger windows, with the same reads, took more time.
 */
export const WINDOW_BYTES = 1 << 20;
/** Room for the scans' records of one window; a window whose records do not fit is handed on unskimmed. */
const RESULT_BYTES = 3 << 20;
/**
 * Files a slot holds at most. One slot a file, eight slots held eight of an archive's hourly files (57 to
 * 730 KB): a pause of the main thread of a few milliseconds filled them, and the two threads took turns
 * waiting, 600 ms each over 5,280 files (BENCHMARKS.md, thirty-ninth round).
 */
export const SEGMENTS_PER_SLOT = 32;
/** Header: how many segments the slot holds, then SEGMENT_INTS per segment. */
export const SEGMENT_COUNT = 0;
const SEGMENT_INTS = 14;
const HEADER_INTS = 1 + SEGMENTS_PER_SLOT * SEGMENT_INTS;
/**
 * Where a slot's bytes start, and where each segment's start in them, are multiples of this: V8 copies
 * out of shared memory word by word only when source and target are aligned alike, else byte by byte,
 * and the skim's copy of each window into its module took four times as long (measured).
 */
export const BYTES_ALIGNMENT = 64;
const HEADER_BYTES = Math.ceil((HEADER_INTS * 4) / BYTES_ALIGNMENT) * BYTES_ALIGNMENT;
const RESULTS_AT = HEADER_BYTES;
export const SLOT_BYTES = RESULTS_AT + RESULT_BYTES;
export const RESULT_INTS = RESULT_BYTES >> 2;
/**
 * Where the slots' bytes start in the ring's memory: past the module's own (its tables, and the input it
 * reads other runs from, some 3 MB; the thread checks, see ringSkimFits), each slot's WINDOW_BYTES then
 * the READ_PAST bytes the module may read past a window.
 */
const RING_BYTES_AT = 4 << 20;
const RING_STRIDE = WINDOW_BYTES + Math.max(READ_PAST, BYTES_ALIGNMENT);

/** The ring's memory: the thread's skim module's, with room for every slot's bytes. */
export function ringMemory(): WasmMemory {
  return skimModuleMemory(RING_BYTES_AT + SLOTS * RING_STRIDE);
}

/**
 * Whether a module whose own memory ends at `moduleEnd` (its input and what it reads past it) leaves the
 * slots' bytes alone.
 */
export function ringSkimFits(moduleEnd: number): boolean {
  return moduleEnd <= RING_BYTES_AT;
}

/** `states[slot]`: whose turn the slot is. */
export const FREE = 0;
export const FILLED = 1;
/** `states[SLOTS]`: set by the main thread when it wants no more slots (the thread then stops). */
export const STOP_AT = SLOTS;
/**
 * `states[SLOTS + 1]`: set by the thread once its modules are loaded and its skim set up. Until then the
 * main thread reads the files itself, and then tells the thread where to go on from (skim-ahead.ts).
 */
export const READY_AT = SLOTS + 1;
/**
 * `states[SLOTS + 2]`: the next file nobody has claimed. The thread claims each file before it reads it;
 * the main thread, about to wait for a file the thread has not started, claims it and reads it itself.
 */
export const NEXT_FILE_AT = SLOTS + 2;
export const STATES = SLOTS + 3;

/** A segment's fields (Int32 index within it). */
export const KIND = 0;
/** Its bytes, [BYTE_FROM, BYTE_FROM + BYTE_LENGTH) of the slot's. */
export const BYTE_FROM = 1;
export const BYTE_LENGTH = 2;
/** The window skimmed, [start, end) of the segment's bytes; start -1 when none was. */
export const WINDOW_START = 3;
export const WINDOW_END = 4;
export const SCANS = 5;
/** Where its scans' records start in the slot's results. */
export const RESULTS_FROM = 6;
/** 1 when the values the thread interned before this segment are forgotten (its table was emptied). */
export const FORGET_BEFORE = 7;
export const FILE_INDEX = 8;
export const MAX_LINE_BYTES = 9;
/** KIND ERROR: the length of the message written as the segment's bytes. */
export const MESSAGE_LENGTH = 10;
/** KIND BYTES: 1 when they are the file's last (no END follows). */
export const LAST = 11;
/** KIND BYTES or END: the file's size as the thread found it, in two halves (a file may pass 2 GB). */
const FILE_BYTES_HIGH = 12;
const FILE_BYTES_LOW = 13;

/** Writes a file's size into a segment's fields (FILE_BYTES_HIGH and _LOW). */
export function setFileBytes(fields: Int32Array, bytes: number): void {
  fields[FILE_BYTES_HIGH] = Math.floor(bytes / 2 ** 32);
  fields[FILE_BYTES_LOW] = bytes % 2 ** 32;
}

/** The file's size setFileBytes wrote into a segment's fields. */
export function fileBytesOf(fields: Int32Array): number {
  return fields[FILE_BYTES_HIGH]! * 2 ** 32 + (fields[FILE_BYTES_LOW]! >>> 0);
}

/** KIND values. */
export const BYTES = 1;
/** The file is done, and had no bytes. */
export const END = 2;
/** The file is not read ahead (compressed, or not a regular file): the main thread reads it itself. */
export const NOT_READ_AHEAD = 3;
/** The file could not be read: the message is the slot's bytes (what the main thread's read would say). */
export const ERROR = 4;

/** A scan's counts (Int32 index within its record). */
export const SCAN_ROWS = 0;
export const SCAN_FULL = 1;
export const SCAN_ID_FROM = 2;
export const SCAN_ID_TO = 3;
export const SCAN_ARENA_FROM = 4;
export const SCAN_ARENA_TO = 5;
export const SCAN_INTS = 6;

/** The views of slot `index`: its SharedArrayBuffer `memory`, its bytes in the ring's memory `ring`. */
export class Slot {
  readonly header: Int32Array;
  readonly bytes: Buffer;
  readonly results: Int32Array;
  /** Each segment's fields. */
  readonly segments: Int32Array[];

  constructor(memory: SharedArrayBuffer, ring: WasmMemory, index: number) {
    this.header = new Int32Array(memory, 0, HEADER_INTS);
    this.bytes = Buffer.from(ring.buffer, RING_BYTES_AT + index * RING_STRIDE, WINDOW_BYTES);
    this.results = new Int32Array(memory, RESULTS_AT, RESULT_INTS);
    this.segments = Array.from({ length: SEGMENTS_PER_SLOT }, (_, k) =>
      this.header.subarray(1 + k * SEGMENT_INTS, 1 + (k + 1) * SEGMENT_INTS),
    );
  }
}

/** Ints of a scan's record with `rows` rows of `rowInts`, `ids` entries and `arenaBytes` of their text. */
export function scanRecordInts(rows: number, rowInts: number, ids: number, arenaBytes: number): number {
  return SCAN_INTS + rows * (rowInts + 1) + ids * 2 + ((arenaBytes + 3) >> 2);
}
