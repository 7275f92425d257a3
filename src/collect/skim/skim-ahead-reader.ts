import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { isGzipHead } from "../gzip-head.js";
import { MAX_RECORD_BYTES } from "../lines.js";
import { successRowSkim } from "./json-lines-skim.js";
import type { WasmMemory } from "./skim-module.js";
import {
  BYTE_FROM,
  BYTE_LENGTH,
  BYTES,
  BYTES_ALIGNMENT,
  END,
  ERROR,
  FILE_INDEX,
  FILLED,
  FORGET_BEFORE,
  FREE,
  KIND,
  LAST,
  MAX_LINE_BYTES,
  MESSAGE_LENGTH,
  NEXT_FILE_AT,
  NOT_READ_AHEAD,
  READY_AT,
  RESULT_INTS,
  RESULTS_FROM,
  SCANS,
  SEGMENT_COUNT,
  SEGMENTS_PER_SLOT,
  setFileBytes,
  Slot,
  SLOTS,
  STOP_AT,
  WINDOW_BYTES,
  WINDOW_END,
  WINDOW_START,
} from "./skim-ahead-slots.js";

/** The ring a skim-ahead thread writes (skim-ahead-slots.ts), handed to it as it starts. */
export interface SkimAheadRing {
  states: SharedArrayBuffer;
  slots: readonly SharedArrayBuffer[];
  /** The slots' bytes, and the thread's skim module's memory. */
  memory: WasmMemory;
}

/**
 * Where the thread starts: at file `file` of `files` (the main thread read those before it itself), at
 * byte `offset`, the start of a line (the main thread read the lines before it).
 */
export interface SkimAheadStart {
  files: readonly string[];
  file: number;
  offset: number;
  /**
   * Tests only: the thread's read of any byte at or past this offset of a file fails, as a disk's read
   * error in the middle of a file would (no file here fails so).
   */
  failReadAt?: number | undefined;
}

const NEWLINE = 0x0a;
/** How long a wait for a free slot lasts before the stop flag is looked at again. */
const WAIT_MS = 1000;

/**
 * The thread's skim set up (its module compiled, its memory made), then READY_AT set: the main thread,
 * which reads the files itself until then, hands the reading over to it (skim-ahead.ts).
 */
export function readyToSkimAhead(ring: SkimAheadRing): void {
  successRowSkim(ring.memory).checkRingFits();
  const states = new Int32Array(ring.states);
  Atomics.store(states, READY_AT, 1);
  Atomics.notify(states, READY_AT);
}

/**
 * The skim-ahead thread's work (skim-ahead.ts): reads each file in turn into the ring's slots, a window
 * of whole lines at a time (the bytes after a window's last line break carried to the next slot's
 * start), and skims each window as the main thread's skim would (SuccessRowSkim.publishWindow), so
 * that the main thread, which splits the same bytes into the same runs, only takes the rows. A window is
 * the lines the main thread's splitter hands its skim: from the segment's start, or after the line break
 * that ends a line longer than a slot (handed on unskimmed, as the splitter carries it). A file that fits
 * whole in what is left of a slot goes in after the file before it, while the main thread has slots
 * enough to read meanwhile (SEGMENTS_PER_SLOT).
 */
export function skimAheadFiles(
  ring: SkimAheadRing,
  { files, file: first, offset, failReadAt }: SkimAheadStart,
): void {
  const writer = new SlotWriter(ring);
  const states = new Int32Array(ring.states);
  try {
    for (let f = first; f < files.length; f++) {
      // A file the main thread claimed first is its to read (the rest of the first is the thread's).
      const mine =
        (f === first && offset > 0) || Atomics.compareExchange(states, NEXT_FILE_AT, f, f + 1) === f;
      if (mine && !readFile(writer, files[f]!, f, f === first ? offset : 0, failReadAt)) return;
    }
  } finally {
    writer.handOnOpenSlot();
  }
}

/**
 * One file's segments from byte `from`, the last marked LAST (an empty rest's one END); false when the
 * main thread stopped the thread.
 */
function readFile(
  writer: SlotWriter,
  file: string,
  fileIndex: number,
  from: number,
  failReadAt = Number.POSITIVE_INFINITY,
): boolean {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    // The main thread opens it itself, and says why it cannot.
    return writer.notReadAhead(fileIndex);
  }
  try {
    let size: number;
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new Error("not a regular file");
      size = stat.size;
    } catch {
      return writer.notReadAhead(fileIndex);
    }
    let position = from;
    let carried: { bytes: Buffer; from: number; length: number } | undefined;
    let inLine = false;
    for (;;) {
      // The rest of a file that fits whole where the last file ended goes in after it.
      const whole = carried === undefined && !inLine ? size - position : undefined;
      const segment = writer.segment(fileIndex, BYTES, whole, size);
      if (!segment) return false;
      const { bytes, at, room } = segment;
      let length = 0;
      if (carried) {
        carried.bytes.copy(bytes, at, carried.from, carried.from + carried.length);
        length = carried.length;
        carried = undefined;
      }
      let n: number;
      try {
        const want = Math.min(room - length, size - position);
        if (position < size && position + want > failReadAt) throw new Error("EIO: i/o error, read");
        n = position < size ? readSync(fd, bytes, at + length, want, position) : 0;
      } catch (err) {
        writer.fail(err);
        return true;
      }
      // Compressed files are read by the main thread, which inflates them.
      if (position === 0 && isGzipHead(bytes.subarray(at, at + n))) {
        writer.done(NOT_READ_AHEAD);
        return true;
      }
      position += n;
      length += n;
      if (n === 0) {
        // The end (or the file shrank): a last line without a line break goes on as it is.
        if (length > 0) writer.done(BYTES, length, true);
        else writer.done(END);
        return true;
      }
      const lastBreak = bytes.lastIndexOf(NEWLINE, at + length - 1);
      if (lastBreak < at) {
        // Inside a line longer than a slot: handed on whole, as the splitter carries it.
        inLine = true;
        writer.done(BYTES, length, position >= size);
        if (position >= size) return true;
        continue;
      }
      const start = inLine ? bytes.indexOf(NEWLINE, at) + 1 - at : 0;
      inLine = false;
      const end = lastBreak - at;
      if (end + 1 < length) carried = { bytes, from: lastBreak + 1, length: length - end - 1 };
      // The splitter hands its skim no run when the segment's only line break ends a carried line.
      if (end >= start) writer.skim(start, end);
      // A file's last segment says so: a file of one segment takes one, not two.
      const last = position >= size && !carried;
      writer.done(BYTES, end + 1, last);
      if (last) return true;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the thread writes: segments into slots, a slot handed on to the main thread when the next
 * segment does not fit in it, or at once unless the main thread has slots enough to read meanwhile.
 */
class SlotWriter {
  private readonly states: Int32Array;
  private readonly slots: Slot[];
  private readonly skimmer = successRowSkim();
  private turn = 0;
  /** The slot being written, not handed on yet, and how much of it is used. */
  private open: Slot | undefined;
  private segments = 0;
  private bytesUsed = 0;
  private resultsUsed = 0;
  /** The segment being written. */
  private current: Int32Array | undefined;
  private currentAt = 0;
  /** The thread's values were forgotten since the last segment written (see FORGET_BEFORE). */
  private forgotten = false;

  constructor(ring: SkimAheadRing) {
    this.states = new Int32Array(ring.states);
    this.slots = ring.slots.map((memory, i) => new Slot(memory, ring.memory, i));
  }

  /**
   * A new segment of file `fileIndex` (of `fileBytes`, when known), of kind `kind`: in the open slot
   * when `whole` (the bytes it will hold, all the file has left) fits there, else at the start of a new
   * slot. Undefined when the main thread stopped the thread.
   */
  segment(
    fileIndex: number,
    kind: number,
    whole = 0,
    fileBytes = 0,
  ): { bytes: Buffer; at: number; room: number } | undefined {
    if (this.open && !this.fits(whole)) this.handOnOpenSlot();
    if (!this.open) {
      const slot = this.nextSlot();
      if (!slot) return undefined;
      this.open = slot;
      this.segments = 0;
      this.bytesUsed = 0;
      this.resultsUsed = 0;
    }
    this.bytesUsed = aligned(this.bytesUsed);
    const seg = this.open.segments[this.segments]!;
    seg[KIND] = kind;
    seg[FILE_INDEX] = fileIndex;
    seg[BYTE_FROM] = this.bytesUsed;
    seg[BYTE_LENGTH] = 0;
    seg[WINDOW_START] = -1;
    seg[LAST] = 0;
    seg[FORGET_BEFORE] = this.forgotten ? 1 : 0;
    setFileBytes(seg, fileBytes);
    this.forgotten = false;
    this.current = seg;
    this.currentAt = this.bytesUsed;
    return { bytes: this.open.bytes, at: this.bytesUsed, room: WINDOW_BYTES - this.bytesUsed };
  }

  /** Skims [start, end) of the segment's bytes (SuccessRowSkim.publishWindow) into the slot's results. */
  skim(start: number, end: number): void {
    const seg = this.current!;
    const slot = this.open!;
    const at = this.currentAt;
    const published = this.skimmer.publishWindow(
      slot.bytes,
      at + start,
      at + end,
      MAX_RECORD_BYTES,
      slot.results.subarray(this.resultsUsed),
    );
    if (published === undefined) {
      this.forgotten = true;
      return;
    }
    seg[WINDOW_START] = start;
    seg[WINDOW_END] = end;
    seg[SCANS] = published.scans;
    seg[RESULTS_FROM] = this.resultsUsed;
    seg[MAX_LINE_BYTES] = MAX_RECORD_BYTES;
    this.resultsUsed = aligned((this.resultsUsed + published.ints) * 4) / 4;
  }

  /**
   * The segment is written: of kind `kind`, its first `byteLength` bytes (`last` when they end the file).
   * The slot is handed on unless another file may follow in it.
   */
  done(kind: number, byteLength = 0, last = false): void {
    const seg = this.current!;
    seg[KIND] = kind;
    seg[BYTE_LENGTH] = byteLength;
    seg[LAST] = last ? 1 : 0;
    this.bytesUsed += byteLength;
    this.segments++;
    this.current = undefined;
    const fileEnds = kind !== BYTES || last;
    if (!fileEnds || !this.mainHasEnough()) this.handOnOpenSlot();
  }

  /** A segment saying the thread does not read file `fileIndex`; false when the main thread stopped it. */
  notReadAhead(fileIndex: number): boolean {
    if (!this.segment(fileIndex, NOT_READ_AHEAD)) return false;
    this.done(NOT_READ_AHEAD);
    return true;
  }

  /** The file could not be read: the error's message is the segment's bytes. */
  fail(err: unknown): void {
    const seg = this.current!;
    const message = Buffer.from(err instanceof Error ? err.message : String(err), "utf8");
    seg[MESSAGE_LENGTH] = message.copy(
      this.open!.bytes,
      this.currentAt,
      0,
      Math.min(message.length, WINDOW_BYTES - this.currentAt),
    );
    this.done(ERROR);
  }

  handOnOpenSlot(): void {
    const slot = this.open;
    if (!slot) return;
    this.open = undefined;
    slot.header[SEGMENT_COUNT] = this.segments;
    const i = this.turn++ % SLOTS;
    Atomics.store(this.states, i, FILLED);
    Atomics.notify(this.states, i);
  }

  /** Whether a segment of `bytes` (the rest of a file) fits in the open slot after what it holds. */
  private fits(bytes: number | undefined): boolean {
    return (
      bytes !== undefined &&
      this.segments < SEGMENTS_PER_SLOT &&
      aligned(this.bytesUsed) + bytes <= WINDOW_BYTES &&
      // Room for the skim's records in proportion, as a slot has for a window.
      this.resultsUsed + Math.ceil((bytes * RESULT_INTS) / WINDOW_BYTES) <= RESULT_INTS
    );
  }

  /**
   * Whether the main thread has slots enough to read while this one takes more files: it holds two (the
   * one it reads, the one before), so a third filled one is ahead of it.
   */
  private mainHasEnough(): boolean {
    let filled = 0;
    for (let i = 0; i < SLOTS; i++) if (Atomics.load(this.states, i) === FILLED) filled++;
    return filled >= MAIN_HAS_ENOUGH;
  }

  private nextSlot(): Slot | undefined {
    const i = this.turn % SLOTS;
    while (Atomics.load(this.states, i) !== FREE) {
      if (Atomics.load(this.states, STOP_AT) !== 0) return undefined;
      Atomics.wait(this.states, i, FILLED, WAIT_MS);
    }
    if (Atomics.load(this.states, STOP_AT) !== 0) return undefined;
    return this.slots[i]!;
  }
}

/** `at` rounded up to where a segment may start (BYTES_ALIGNMENT). */
function aligned(at: number): number {
  return Math.ceil(at / BYTES_ALIGNMENT) * BYTES_ALIGNMENT;
}

/** Filled slots (the main thread's two among them) past which the thread puts more files in a slot. */
const MAIN_HAS_ENOUGH = 3;
