/**
 * The memory a skim-ahead thread and the main thread share (skim-ahead.ts): a ring of slots, each one
 * window of a file's bytes, or several small files whole, and what the skim found in them, written by the
 * thread and read by the main thread in turn. Each slot is a SharedArrayBuffer of its own; `states` says
 * whose turn it is.
 *
 * A slot: its header (how many segments, then each segment's fields: one file's bytes in the slot, or a
 * file the thread does not read), then the bytes (at most WINDOW_BYTES: the main thread's skim reads a
 * run of at most that much as one window, so a window cut here is one it would have cut), then the scans'
 * records (Int32) of each segment from its RESULTS_FROM, each: SCAN_INTS of counts, its rows (ROW_INTS
 * each, as the module wrote them), one table id per row, the entries of the values it interned ([offset,
 * length] per id) and their bytes.
 */

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
const BYTES_AT = HEADER_BYTES;
const RESULTS_AT = BYTES_AT + WINDOW_BYTES;
export const SLOT_BYTES = RESULTS_AT + RESULT_BYTES;
export const RESULT_INTS = RESULT_BYTES >> 2;

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

/** The views of one slot. */
export class Slot {
  readonly header: Int32Array;
  readonly bytes: Buffer;
  readonly results: Int32Array;
  /** Each segment's fields. */
  readonly segments: Int32Array[];

  constructor(readonly memory: SharedArrayBuffer) {
    this.header = new Int32Array(memory, 0, HEADER_INTS);
    this.bytes = Buffer.from(memory, BYTES_AT, WINDOW_BYTES);
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
