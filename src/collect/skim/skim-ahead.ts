import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type { StorageRequest } from "../../model/storage-request.js";
import type { RecordSink } from "../formats.js";
import { isGzipHead, type FileBytes } from "../input-files.js";
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
  READY_AT,
  SCANS,
  Slot,
  SLOTS,
  WINDOW_BYTES,
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
 *
 * The thread takes some 100-150 ms to load its modules, more than the main thread takes to load the
 * engine: until it is ready, the main thread reads the files itself, a window of whole lines at a time,
 * then tells the thread where to go on from (the start of the line after the last it read), so that
 * neither thread waits for the other to start (BENCHMARKS.md, thirty-ninth round).
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
  /** The thread was told where to start. */
  private started = false;
  /** Bytes the main thread read itself before it handed the reading over. */
  private ownBytes = 0;
  /** The main thread's own reads alternate between two buffers (a chunk stays valid while the next is read). */
  private ownBuffers: Buffer[] | undefined;

  /**
   * Reads `files` ahead on the thread prestartSkimAhead started, or on a new one. The main thread hands
   * the reading over as soon as the thread is ready, or, given `handOverAfterBytes` (tests), once it has
   * read that many bytes itself, waiting for the thread then.
   */
  constructor(
    private readonly files: readonly string[],
    private readonly handOverAfterBytes?: number,
  ) {
    this.thread = takeSkimAheadThread();
    this.states = new Int32Array(this.thread.states);
    this.slots = this.thread.slots.map((memory) => new Slot(memory));
    lastHandOver = undefined;
  }

  /**
   * The bytes of `file`: from the thread's slots when it is the next file it reads, else read here until
   * the thread is ready; undefined when the caller is to read it itself (not the next file, compressed,
   * or not readable: the caller's own open then says why).
   */
  async bytesOf(file: string): Promise<FileBytes | undefined> {
    if (this.stopped || this.files[this.fileIndex] !== file) return undefined;
    const index = this.fileIndex++;
    if (!this.started) {
      if (!(await this.mayHandOver())) return this.readOwn(file, index);
      this.handOver(index, 0);
    }
    const slot = await this.firstSlotOf(index);
    if (!slot) return undefined;
    const read = { bytes: 0 };
    return { chunks: this.chunksFrom(slot, read), bytesRead: () => read.bytes, totalBytes: sizeOf(file) };
  }

  /** Whether the reading goes over to the thread now: it is ready (or, in tests, the bytes asked are read). */
  private async mayHandOver(): Promise<boolean> {
    if (this.handOverAfterBytes === undefined) return this.thread.ready();
    if (this.ownBytes < this.handOverAfterBytes) return false;
    while (!this.thread.ready()) await this.waitWhile(READY_AT, 0);
    return true;
  }

  /** Tells the thread to read on from file `index`, at `offset` (the start of a line). */
  private handOver(index: number, offset: number): void {
    this.started = true;
    lastHandOver = { file: index, offset };
    this.thread.start({ files: this.files, file: index, offset });
  }

  /** The thread's first slot of file `index`; undefined when it does not read it (the caller then does). */
  private async firstSlotOf(index: number): Promise<Slot | undefined> {
    const slot = await this.take();
    if (slot.header[FILE_INDEX] !== index) throw new Error("skim-ahead: slots out of order");
    const kind = slot.header[KIND];
    if (kind === BYTES || kind === END) return slot;
    // Not read ahead, or not readable from its start: the caller's own read says why.
    this.releaseThrough(this.turn - 1);
    return undefined;
  }

  /**
   * File `index` read here, before the thread is ready; undefined when the caller is to open it (it does
   * not open as a regular file, or is compressed: the caller says why, or inflates it).
   */
  private readOwn(file: string, index: number): FileBytes | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(file, "r");
      const stat = fstatSync(fd);
      const magic = Buffer.alloc(2);
      if (!stat.isFile() || isGzipHead(magic.subarray(0, readSync(fd, magic, 0, 2, 0)))) {
        closeSync(fd);
        return undefined;
      }
      const read = { bytes: 0 };
      return {
        chunks: this.ownChunks(fd, stat.size, index, read),
        bytesRead: () => read.bytes,
        totalBytes: stat.size,
      };
    } catch {
      if (fd !== undefined) closeSync(fd);
      return undefined;
    }
  }

  /**
   * The chunks of file `index` (open as `fd`) read here, whole lines where a window holds a line break,
   * until the thread is ready; then the thread's from the next line on. A file it cannot open after all
   * is read on here.
   */
  private async *ownChunks(
    fd: number,
    size: number,
    index: number,
    read: { bytes: number },
  ): AsyncGenerator<Buffer> {
    const buffers = (this.ownBuffers ??= [
      Buffer.allocUnsafe(WINDOW_BYTES),
      Buffer.allocUnsafe(WINDOW_BYTES),
    ]);
    let position = 0;
    let atLineStart = true;
    let ahead: Slot | undefined;
    try {
      for (let turn = 0; position < size; turn++) {
        if (!this.started && position > 0 && atLineStart && (await this.mayHandOver())) {
          this.handOver(index, position);
          ahead = await this.firstSlotOf(index);
          if (ahead) break;
        }
        const buffer = buffers[turn % 2]!;
        const n = readSync(fd, buffer, 0, Math.min(WINDOW_BYTES, size - position), position);
        // The file shrank: it ends here.
        if (n === 0) return;
        const lastBreak = position + n < size ? buffer.lastIndexOf(NEWLINE, n - 1) : -1;
        const length = lastBreak >= 0 ? lastBreak + 1 : n;
        atLineStart = buffer[length - 1] === NEWLINE;
        position += length;
        read.bytes += length;
        this.ownBytes += length;
        yield buffer.subarray(0, length);
      }
    } finally {
      closeSync(fd);
    }
    if (ahead) yield* this.chunksFrom(ahead, read);
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
    while (Atomics.load(this.states, i) !== FILLED) await this.waitWhile(i, FREE);
    this.turn++;
    const slot = this.slots[i]!;
    if (slot.header[FORGET_BEFORE] === 1) this.mirror.forgetValues();
    return slot;
  }

  /**
   * Waits a while for states[index] to change from `value`, or throws why the thread ended. A blocking
   * wait wakes within microseconds (Atomics.waitAsync's wake-up goes through the event loop); a long one
   * lets the loop run, for the thread's end to be heard.
   */
  private async waitWhile(index: number, value: number): Promise<void> {
    if (this.thread.failure) throw this.thread.failure;
    if (Atomics.wait(this.states, index, value, BLOCKING_WAIT_MS) === "timed-out")
      await new Promise((resolve) => setImmediate(resolve));
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

/** Where the last SkimAhead handed the reading over to its thread (undefined: it never did). */
let lastHandOver: { file: number; offset: number } | undefined;

/** Where the last skim-ahead scan's thread started (tests: the main thread read up to there itself). */
export function lastSkimAheadHandOver(): { file: number; offset: number } | undefined {
  return lastHandOver;
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

const NEWLINE = 0x0a;

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
