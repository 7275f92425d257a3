import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type { StorageRequest } from "../../model/storage-request.js";
import type { RecordSink } from "../formats.js";
import { youngCollectionHelpers, type YoungCollectionHelpers } from "../../collect-garbage.js";
import { startsAsGzip } from "../gzip-head.js";
import type { FileBytes } from "../input-files.js";
import type { DeclineLine } from "../lines.js";
import { SuccessRowSkim, successRowSkim } from "./json-lines-skim.js";
import {
  BYTE_FROM,
  BYTE_LENGTH,
  BYTES,
  END,
  ERROR,
  FILE_INDEX,
  fileBytesOf,
  FILLED,
  FORGET_BEFORE,
  FREE,
  KIND,
  LAST,
  MAX_LINE_BYTES,
  MESSAGE_LENGTH,
  NEXT_FILE_AT,
  READY_AT,
  RESULTS_FROM,
  SCANS,
  SEGMENT_COUNT,
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
  /** V8's helpers for young collections, while the thread waits for this one (collect-garbage.ts). */
  private readonly helpers: Pick<YoungCollectionHelpers, "set">;
  /** Slots taken, and given back (every turn below `freed`). */
  private turn = 0;
  private freed = 0;
  /** The slot being read, and the index of its next segment. */
  private reading: Slot | undefined;
  private segmentIndex = 0;
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
   * the reading over as soon as the thread is ready, or as `testing` says.
   */
  constructor(
    private readonly files: readonly string[],
    private readonly testing: SkimAheadTesting = {},
  ) {
    this.thread = takeSkimAheadThread();
    this.states = new Int32Array(this.thread.states);
    this.slots = this.thread.slots.map((memory, i) => new Slot(memory, this.thread.memory, i));
    this.helpers = testing.helpers ?? youngCollectionHelpers;
    lastRun = { handOver: undefined, slots: 0, replays: 0, claimed: 0 };
  }

  /**
   * The bytes of `file`: from the thread's slots when it is the next file it reads, else read here until
   * the thread is ready; undefined when the caller is to read it itself (not the next file, compressed,
   * not readable: the caller's own open then says why; or a small file claimed rather than waited for).
   */
  async bytesOf(file: string): Promise<FileBytes | undefined> {
    if (this.stopped || this.files[this.fileIndex] !== file) return undefined;
    const index = this.fileIndex++;
    if (!this.started) {
      if (!(await this.mayHandOver())) return this.readOwn(file, index);
      this.handOver(index, 0);
    }
    // Rather than wait for a small file the thread has not started, the main thread claims it, and the
    // caller reads it as one pass does (a large one is worth the wait: the thread skims it a window ahead).
    if (
      !this.segmentReady() &&
      isSmallFile(file) &&
      Atomics.compareExchange(this.states, NEXT_FILE_AT, index, index + 1) === index
    ) {
      lastRun.claimed++;
      return undefined;
    }
    const segment = await this.firstSegmentOf(index);
    if (!segment) return undefined;
    const read = { bytes: 0 };
    // The file's size as the thread found it: no second look at each of thousands of hourly files.
    const totalBytes = fileBytesOf(segment.fields);
    return { chunks: this.chunksFrom(segment, read), bytesRead: () => read.bytes, totalBytes };
  }

  /** Whether the reading goes over to the thread now: it is ready (or, in tests, the bytes asked are read). */
  private async mayHandOver(): Promise<boolean> {
    const after = this.testing.handOverAfterBytes;
    if (after === undefined) return this.thread.ready();
    if (this.ownBytes < after) return false;
    while (!this.thread.ready()) await this.waitWhile(READY_AT, 0);
    return true;
  }

  /** Tells the thread to read on from file `index`, at `offset` (the start of a line). */
  private handOver(index: number, offset: number): void {
    this.started = true;
    lastRun.handOver = { file: index, offset };
    // The rest of a file begun here is the thread's; from its start, the thread claims it as any other.
    Atomics.store(this.states, NEXT_FILE_AT, offset > 0 ? index + 1 : index);
    this.thread.start({ files: this.files, file: index, offset, failReadAt: this.testing.failReadAt });
  }

  /** Whether a segment is there to take without waiting: in the slot being read, or the next one filled. */
  private segmentReady(): boolean {
    const reading = this.reading;
    if (reading && this.segmentIndex < reading.header[SEGMENT_COUNT]!) return true;
    return Atomics.load(this.states, this.turn % SLOTS) === FILLED;
  }

  /** The thread's first segment of file `index`; undefined when it does not read it (the caller then does). */
  private async firstSegmentOf(index: number): Promise<Segment | undefined> {
    const segment = await this.nextSegment(index);
    const kind = segment.fields[KIND];
    // Not read ahead, or not readable from its start: the caller's own read says why.
    return kind === BYTES || kind === END ? segment : undefined;
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
      if (!stat.isFile() || startsAsGzip(fd)) {
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
    let ahead: Segment | undefined;
    try {
      for (let turn = 0; position < size; turn++) {
        if (!this.started && position > 0 && atLineStart && (await this.mayHandOver())) {
          this.handOver(index, position);
          ahead = await this.firstSegmentOf(index);
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

  /** A file's chunks from its first segment on; `read` counts their bytes. */
  private async *chunksFrom(first: Segment, read: { bytes: number }): AsyncGenerator<Buffer> {
    let current = first;
    try {
      for (;;) {
        const { slot, fields } = current;
        const kind = fields[KIND];
        if (kind === ERROR) throw new Error(messageOf(current));
        if (kind !== BYTES) return;
        const length = fields[BYTE_LENGTH]!;
        read.bytes += length;
        const chunk = Buffer.from(slot.bytes.buffer, slot.bytes.byteOffset + fields[BYTE_FROM]!, length);
        this.offer(current, chunk);
        yield chunk;
        this.settle();
        if (fields[LAST] === 1) return;
        // The chunk before this one stays valid while this one is read (FileBytes): its slot goes back.
        this.releaseThrough(this.turn - 2);
        current = await this.nextSegment(fields[FILE_INDEX]!);
      }
    } finally {
      this.settle();
      // The file's slots go back, but for the one read last while it holds the next files.
      const reading = this.reading;
      if (reading && this.segmentIndex < reading.header[SEGMENT_COUNT]!) this.releaseThrough(this.turn - 2);
      else {
        this.releaseThrough(this.turn - 1);
        this.reading = undefined;
      }
    }
  }

  /** Stops the thread (the main thread reads no more): it ends at its next wait or file. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.helpers.set(false);
    published = undefined;
    this.thread.stop();
  }

  /**
   * The next segment of file `index`: the next in the slot being read, or the first of the next slot
   * once the thread has filled it. The segments left of a file whose reader stopped early (a file
   * refused after its first bytes) are passed over, their values installed.
   */
  private async nextSegment(index: number): Promise<Segment> {
    for (;;) {
      let slot = this.reading;
      if (!slot || this.segmentIndex >= slot.header[SEGMENT_COUNT]!) {
        const i = this.turn % SLOTS;
        // The ring full (the slot the thread fills last before it must wait): the thread waits for us.
        const full = Atomics.load(this.states, (i + SLOTS - 3) % SLOTS) === FILLED;
        this.helpers.set(full && Atomics.load(this.states, i) === FILLED);
        while (Atomics.load(this.states, i) !== FILLED) await this.waitWhile(i, FREE);
        this.turn++;
        lastRun.slots = this.turn;
        slot = this.reading = this.slots[i]!;
        this.segmentIndex = 0;
      }
      const fields = slot.segments[this.segmentIndex++]!;
      if (fields[FORGET_BEFORE] === 1) this.mirror.forgetValues();
      const file = fields[FILE_INDEX]!;
      if (file === index) return { slot, fields };
      if (file > index) throw new Error("skim-ahead: segments out of order");
      if (fields[WINDOW_START]! >= 0)
        this.mirror.installScans(slot.results.subarray(fields[RESULTS_FROM]!), fields[SCANS]!);
    }
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

  /** The segment's window, for `skimJsonLines` to replay while the chunk is read. */
  private offer({ slot, fields }: Segment, chunk: Buffer): void {
    published =
      fields[WINDOW_START]! < 0
        ? undefined
        : {
            chunk,
            start: fields[WINDOW_START]!,
            end: fields[WINDOW_END]!,
            maxLineBytes: fields[MAX_LINE_BYTES]!,
            results: slot.results.subarray(fields[RESULTS_FROM]!),
            scans: fields[SCANS]!,
            mirror: this.mirror,
          };
  }

  /** The values of a window not replayed, installed so that the next windows' ids mean what they say. */
  private settle(): void {
    if (published) this.mirror.installScans(published.results, published.scans);
    published = undefined;
  }
}

interface PublishedWindow {
  chunk: Buffer;
  start: number;
  end: number;
  maxLineBytes: number;
  /** The scans' records (from the segment's), and how many. */
  results: Int32Array;
  scans: number;
  mirror: SuccessRowSkim;
}

/** How a test drives a SkimAhead. */
export interface SkimAheadTesting {
  /** The main thread reads this many bytes itself, then waits for the thread and hands over. */
  handOverAfterBytes?: number;
  /** The thread's reads fail from this byte of a file on, as a disk's read error would. */
  failReadAt?: number;
  /** Told when young collections may have V8's helpers (the process's own otherwise). */
  helpers?: Pick<YoungCollectionHelpers, "set">;
}

/** One segment of a slot: a file's bytes there, or what the thread says of a file it does not read. */
interface Segment {
  slot: Slot;
  fields: Int32Array;
}

/** What the last SkimAhead did (tests): where it handed over, the slots it took, the windows it replayed. */
export interface SkimAheadRun {
  /** Where the thread started (undefined: it never did); the main thread read what is before. */
  handOver: { file: number; offset: number } | undefined;
  slots: number;
  replays: number;
  /** Files after the hand-over the main thread claimed and read itself, rather than wait. */
  claimed: number;
}

let lastRun: SkimAheadRun = { handOver: undefined, slots: 0, replays: 0, claimed: 0 };

/** What the last skim-ahead scan did (tests). */
export function lastSkimAheadRun(): Readonly<SkimAheadRun> {
  return lastRun;
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
    lastRun.replays++;
    return w.mirror.replayWindow(chunk, start, w.results, w.scans, out, decline, lend);
  }
  return successRowSkim().run(chunk, start, end, maxLineBytes, out, decline, lend);
}

const NEWLINE = 0x0a;

/** Whether `file` is at most a window: what the main thread may claim rather than wait for. */
function isSmallFile(file: string): boolean {
  try {
    return statSync(file).size <= WINDOW_BYTES;
  } catch {
    return false;
  }
}

/** How long the main thread blocks for a slot before it looks at the thread's end. */
const BLOCKING_WAIT_MS = 50;

function messageOf({ slot, fields }: Segment): string {
  const from = fields[BYTE_FROM]!;
  return slot.bytes.toString("utf8", from, from + fields[MESSAGE_LENGTH]!);
}
