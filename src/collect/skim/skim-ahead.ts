import { statSync } from "node:fs";
import type { StorageRequest } from "../../model/storage-request.js";
import type { RecordSink } from "../formats.js";
import type { FileBytes } from "../input-files.js";
import type { DeclineLine } from "../lines.js";
import { SuccessRowSkim, successRowSkim } from "./json-lines-skim.js";
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
  SCANS,
  Slot,
  SLOTS,
  WINDOW_END,
  WINDOW_START,
} from "./skim-ahead-slots.js";
import { takeSkimAheadThread, type SkimAheadThread } from "./skim-ahead-thread.js";

/**
 * Skim-ahead: a second thread reads the input's JSON Lines files and runs the success-row skim over them
 * (skim-ahead-thread.ts), a window ahead of the main thread, which takes the rows the skim found and does
 * everything else: the 401/403 rows, the clusters, the evidence, as in one pass. Two threads then share
 * one pass's work without a second isolate's warm-up or a merge: the skim's WebAssembly is what the
 * second thread runs (BENCHMARKS.md, thirty-eighth round).
 *
 * The main thread reads the thread's slots as it would read the files (`bytesOf`, FileBytes): its line
 * splitter cuts them into the runs the thread skimmed, and `skimJsonLines` replays a run the thread
 * skimmed (SuccessRowSkim.replayWindow) in place of skimming it. Any other run (the file's text decoded
 * from UTF-16, a line longer than a slot) is skimmed as ever; the values the thread interned are
 * installed in order all the same, so that the replaying skim's ids stay the thread's.
 */
export class SkimAhead {
  private readonly thread: SkimAheadThread;
  private readonly states: Int32Array;
  private readonly slots: Slot[];
  /** The replaying skim: its ids are the thread's. */
  private readonly mirror = new SuccessRowSkim();
  /** Slots taken, and given back (every turn below `freed`). */
  private turn = 0;
  private freed = 0;
  private fileIndex = 0;
  private stopped = false;

  /** Reads `files` ahead on the thread prestartSkimAhead started, or on a new one. */
  constructor(private readonly files: readonly string[]) {
    this.thread = takeSkimAheadThread();
    this.states = new Int32Array(this.thread.states);
    this.slots = this.thread.slots.map((memory) => new Slot(memory));
    this.thread.start(files);
  }

  /**
   * The bytes of `file`, from the thread's slots when it is the next file it reads; undefined when the
   * caller is to read it itself (not the thread's next file, compressed, or not readable: the caller's
   * own open then says why).
   */
  async bytesOf(file: string): Promise<FileBytes | undefined> {
    if (this.stopped || this.files[this.fileIndex] !== file) return undefined;
    const index = this.fileIndex++;
    const slot = await this.take();
    if (slot.header[FILE_INDEX] !== index) throw new Error("skim-ahead: slots out of order");
    const kind = slot.header[KIND];
    if (kind !== BYTES && kind !== END) {
      // Not read ahead, or not readable from its start: the caller's own read says why.
      this.releaseThrough(this.turn - 1);
      return undefined;
    }
    const read = { bytes: 0 };
    return { chunks: this.chunksFrom(slot, read), bytesRead: () => read.bytes, totalBytes: sizeOf(file) };
  }

  /** A file's chunks from its first slot on; `read` counts their bytes. */
  private async *chunksFrom(first: Slot, read: { bytes: number }): AsyncGenerator<Buffer> {
    let current = first;
    try {
      for (;;) {
        const kind = current.header[KIND];
        if (kind === ERROR) throw new Error(messageOf(current));
        if (kind !== BYTES) return;
        const length = current.header[BYTE_LENGTH]!;
        read.bytes += length;
        const chunk = Buffer.from(current.memory, current.bytes.byteOffset, length);
        this.offer(current, chunk);
        yield chunk;
        this.settle();
        if (current.header[LAST] === 1) return;
        // The chunk before this one stays valid while this one is read (FileBytes): released now.
        this.releaseThrough(this.turn - 2);
        current = await this.take();
      }
    } finally {
      this.settle();
      this.releaseThrough(this.turn - 1);
    }
  }

  /** Stops the thread (the main thread reads no more): it ends at its next wait or file. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    published = undefined;
    this.thread.stop();
  }

  /** The next slot, once the thread has filled it. */
  private async take(): Promise<Slot> {
    const i = this.turn % SLOTS;
    while (Atomics.load(this.states, i) !== FILLED) {
      if (this.thread.failure) throw this.thread.failure;
      // A blocking wait wakes within microseconds (Atomics.waitAsync's wake-up goes through the event
      // loop); a long one lets the loop run, for the thread's end to be heard.
      if (Atomics.wait(this.states, i, FREE, BLOCKING_WAIT_MS) === "timed-out")
        await new Promise((resolve) => setImmediate(resolve));
    }
    this.turn++;
    const slot = this.slots[i]!;
    if (slot.header[FORGET_BEFORE] === 1) this.mirror.forgetValues();
    return slot;
  }

  /** Gives the slots of every turn up to `turn` back to the thread, in the order they were taken. */
  private releaseThrough(turn: number): void {
    for (; this.freed <= turn; this.freed++) {
      const i = this.freed % SLOTS;
      Atomics.store(this.states, i, FREE);
      Atomics.notify(this.states, i);
    }
  }

  /** The slot's window, for `skimJsonLines` to replay while the chunk is read. */
  private offer(slot: Slot, chunk: Buffer): void {
    const h = slot.header;
    published =
      h[WINDOW_START]! < 0
        ? undefined
        : {
            chunk,
            start: h[WINDOW_START]!,
            end: h[WINDOW_END]!,
            maxLineBytes: h[MAX_LINE_BYTES]!,
            slot,
            mirror: this.mirror,
          };
  }

  /** The values of a window not replayed, installed so that the next windows' ids mean what they say. */
  private settle(): void {
    if (published) this.mirror.installScans(published.slot.results, published.slot.header[SCANS]!);
    published = undefined;
  }
}

interface PublishedWindow {
  chunk: Buffer;
  start: number;
  end: number;
  maxLineBytes: number;
  slot: Slot;
  mirror: SuccessRowSkim;
}

/** The window of the chunk being read, when a skim-ahead thread skimmed it and it is not replayed yet. */
let published: PublishedWindow | undefined;

/**
 * The skim of the run chunk[start, end) (LineHandler.skimRun): replayed from a skim-ahead thread when it
 * skimmed exactly that run, else this thread's skim's.
 */
export function skimJsonLines(
  chunk: Buffer,
  start: number,
  end: number,
  maxLineBytes: number,
  out: RecordSink<StorageRequest>,
  decline: DeclineLine,
  lend = false,
): number {
  const w = published;
  if (w && w.chunk === chunk && w.start === start && w.end === end && w.maxLineBytes === maxLineBytes) {
    published = undefined;
    return w.mirror.replayWindow(chunk, start, w.slot.results, w.slot.header[SCANS]!, out, decline, lend);
  }
  return successRowSkim().run(chunk, start, end, maxLineBytes, out, decline, lend);
}

/** How long the main thread blocks for a slot before it looks at the thread's end. */
const BLOCKING_WAIT_MS = 50;

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return Number.NaN;
  }
}

function messageOf(slot: Slot): string {
  return slot.bytes.toString("utf8", 0, slot.header[MESSAGE_LENGTH]!);
}
