import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { MAX_RECORD_BYTES } from "../lines.js";
import { successRowSkim } from "./json-lines-skim.js";
import {
  BYTE_LENGTH,
  BYTES,
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
  NOT_READ_AHEAD,
  READY_AT,
  SCANS,
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
}

/**
 * Where the thread starts: at file `file` of `files` (the main thread read those before it itself), at
 * byte `offset`, the start of a line (the main thread read the lines before it).
 */
export interface SkimAheadStart {
  files: readonly string[];
  file: number;
  offset: number;
}

const NEWLINE = 0x0a;
/** How long a wait for a free slot lasts before the stop flag is looked at again. */
const WAIT_MS = 1000;

/**
 * The thread's skim set up (its module compiled, its memory made), then READY_AT set: the main thread,
 * which reads the files itself until then, hands the reading over to it (skim-ahead.ts).
 */
export function readyToSkimAhead(ring: SkimAheadRing): void {
  successRowSkim();
  const states = new Int32Array(ring.states);
  Atomics.store(states, READY_AT, 1);
}

/**
 * The skim-ahead thread's work (skim-ahead.ts): reads each file in turn into the ring's slots, a window
 * of whole lines at a time (the bytes after a window's last line break carried to the next slot's
 * start), and skims each window as the main thread's skim would (SuccessRowSkim.publishWindow), so
 * that the main thread, which splits the same bytes into the same runs, only takes the rows. A window is
 * the lines the main thread's splitter hands its skim: from the slot's start, or after the line break
 * that ends a line longer than a slot (handed on unskimmed, as the splitter carries it).
 */
export function skimAheadFiles(ring: SkimAheadRing, { files, file: first, offset }: SkimAheadStart): void {
  const states = new Int32Array(ring.states);
  const slots = ring.slots.map((memory) => new Slot(memory));
  const skim = successRowSkim();
  let turn = 0;
  /** The thread's values were forgotten since the last slot handed on (see FORGET_BEFORE). */
  let forgotten = false;

  const nextSlot = (): Slot | undefined => {
    const i = turn % SLOTS;
    while (Atomics.load(states, i) !== FREE) {
      if (Atomics.load(states, STOP_AT) !== 0) return undefined;
      Atomics.wait(states, i, FILLED, WAIT_MS);
    }
    if (Atomics.load(states, STOP_AT) !== 0) return undefined;
    const slot = slots[i]!;
    slot.header[WINDOW_START] = -1;
    return slot;
  };
  const handOn = (slot: Slot, fileIndex: number, kind: number, byteLength = 0, last = false): void => {
    const h = slot.header;
    h[KIND] = kind;
    h[LAST] = last ? 1 : 0;
    h[FILE_INDEX] = fileIndex;
    h[BYTE_LENGTH] = byteLength;
    h[FORGET_BEFORE] = forgotten ? 1 : 0;
    forgotten = false;
    const i = turn++ % SLOTS;
    Atomics.store(states, i, FILLED);
    Atomics.notify(states, i);
  };

  for (let f = first; f < files.length; f++) {
    let fd: number;
    try {
      fd = openSync(files[f]!, "r");
    } catch {
      // The main thread opens it itself, and says why it cannot.
      const slot = nextSlot();
      if (!slot) return;
      handOn(slot, f, NOT_READ_AHEAD);
      continue;
    }
    try {
      if (!readFile(fd, f, f === first ? offset : 0)) return;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * One file's slots from byte `from`, the last marked LAST (an empty rest's one END); false when the
   * main thread stopped the thread.
   */
  function readFile(fd: number, fileIndex: number, from: number): boolean {
    let size: number;
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new Error("not a regular file");
      size = stat.size;
    } catch {
      const slot = nextSlot();
      if (!slot) return false;
      handOn(slot, fileIndex, NOT_READ_AHEAD);
      return true;
    }
    let position = from;
    let carried: { slot: Slot; from: number; length: number } | undefined;
    let inLine = false;
    for (;;) {
      const slot = nextSlot();
      if (!slot) return false;
      const bytes = slot.bytes;
      let length = 0;
      if (carried) {
        carried.slot.bytes.copy(bytes, 0, carried.from, carried.from + carried.length);
        length = carried.length;
        carried = undefined;
      }
      let n: number;
      try {
        n =
          position < size
            ? readSync(fd, bytes, length, Math.min(WINDOW_BYTES - length, size - position), position)
            : 0;
      } catch (err) {
        const message = Buffer.from(err instanceof Error ? err.message : String(err), "utf8");
        const written = message.copy(bytes, 0, 0, Math.min(message.length, WINDOW_BYTES));
        slot.header[MESSAGE_LENGTH] = written;
        handOn(slot, fileIndex, ERROR);
        return true;
      }
      // Compressed files are read by the main thread, which inflates them.
      if (position === 0 && n >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
        handOn(slot, fileIndex, NOT_READ_AHEAD);
        return true;
      }
      position += n;
      length += n;
      if (n === 0) {
        // The end (or the file shrank): a last line without a line break goes on as it is.
        if (length > 0) handOn(slot, fileIndex, BYTES, length, true);
        else handOn(slot, fileIndex, END);
        return true;
      }
      const lastBreak = bytes.lastIndexOf(NEWLINE, length - 1);
      if (lastBreak < 0) {
        // Inside a line longer than a slot: handed on whole, as the splitter carries it.
        inLine = true;
        handOn(slot, fileIndex, BYTES, length, position >= size);
        if (position >= size) return true;
        continue;
      }
      const start = inLine ? bytes.indexOf(NEWLINE) + 1 : 0;
      inLine = false;
      if (lastBreak + 1 < length) carried = { slot, from: lastBreak + 1, length: length - lastBreak - 1 };
      skimWindow(slot, start, lastBreak);
      // A file's last slot says so: a file of one slot takes one turn, not two.
      const last = position >= size && !carried;
      handOn(slot, fileIndex, BYTES, lastBreak + 1, last);
      if (last) return true;
    }
  }

  function skimWindow(slot: Slot, start: number, end: number): void {
    const h = slot.header;
    // The splitter hands its skim no run when the slot's only line break ends a carried line.
    if (end < start) return;
    const scans = skim.publishWindow(slot.bytes, start, end, MAX_RECORD_BYTES, slot.results);
    if (scans === undefined) {
      forgotten = true;
      return;
    }
    h[WINDOW_START] = start;
    h[WINDOW_END] = end;
    h[SCANS] = scans;
    h[MAX_LINE_BYTES] = MAX_RECORD_BYTES;
  }
}
