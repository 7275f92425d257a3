import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import type { PartScanRequest } from "./scan-part.js";
import type { WorkerReply } from "./scan-worker.js";

// Only Node's own modules and types are imported: the CLI loads this module to start scan threads
// before it loads the engine (prestartScanThreads).

/**
 * Threads `analyze` uses unless told: two, one pass read ahead on the second (SKIM_AHEAD_THREADS), keep
 * the whole analyze of 1 GB well within 200 MB (peaks of 129-136 MB). From three threads the input is cut
 * into parts, each scan thread an isolate of its own, some 20-30 MB at 1 GB (Node's worker environment
 * about 14 MB, its modules, zod among them, 3 MB more, the scan's working set and garbage the rest): peaks
 * of 169-173 MB with three, 195-200 with four (BENCHMARKS.md). `--threads N` trades that memory for more
 * cores.
 */
export const DEFAULT_MAX_SCAN_THREADS = 2;

/** Threads `analyze` uses by default: the cores this process may use, up to DEFAULT_MAX_SCAN_THREADS. */
export function defaultScanThreads(): number {
  return Math.max(1, Math.min(DEFAULT_MAX_SCAN_THREADS, availableParallelism()));
}

/**
 * Two threads share one pass (skim-ahead, src/collect/skim/skim-ahead.ts): the second reads the files
 * and skims their success rows a window ahead, the main thread does the rest. Cutting the input into two
 * parts instead made each thread's isolate warm up its own code, and the parts be merged: over the
 * bench's 1 GB archive two parts took 1.44-1.61 s, skim-ahead 1.26-1.45 s, with less memory (BENCHMARKS.md,
 * thirty-eighth round). From three threads on, the input is cut into parts.
 */
export const SKIM_AHEAD_THREADS = 2;

/**
 * The least input (bytes of the paths named; a directory counts as large enough) for which skim-ahead
 * pays for its thread with the default thread count. Over the first 50 MB of the bench's archive it took
 * 0.46-0.54 s against 0.49-0.54 s in one pass, over 108 MB 0.54-0.58 s against 0.61-0.66 s, over 250 MB
 * 0.69-0.72 s against 0.80-0.85 s (four pairs each); over the archive's 56 MB of 401/403 lines alone,
 * whose work is the main thread's, 0.95-0.97 s against 0.95-1.00 s (BENCHMARKS.md, thirty-eighth
 * round). `--threads 2` reads ahead whatever the size.
 */
export const SKIM_AHEAD_MIN_BYTES = 64 * 1024 * 1024;

/**
 * Whether `analyze` over `bytes` of local files on `threads` threads reads ahead (SKIM_AHEAD_THREADS):
 * when the two threads were asked for (`--threads 2`), or are the default and the input is large enough.
 */
export function readsAhead(threads: number, bytes: number, asked: boolean): boolean {
  return threads === SKIM_AHEAD_THREADS && bytes > 0 && (asked || bytes >= SKIM_AHEAD_MIN_BYTES);
}

/** Whether `analyze` on `threads` threads cuts its input into parts, one per thread. */
export function cutsParts(threads: number): boolean {
  return threads > SKIM_AHEAD_THREADS;
}

/**
 * A scan thread's young generation. V8's default (16 MB semi-spaces, 32 MB or more committed) is sized for
 * a main thread; a scan's live set at any collection is one read chunk's records, so 12 MB in all costs
 * no time worth measuring and keeps some 20 MB per thread off the peak (BENCHMARKS.md).
 */
const SCAN_THREAD_YOUNG_GENERATION_MB = 12;

/**
 * A worker thread running scan-worker.ts: started idle, it loads its modules and waits for the one part
 * it is to scan. Its end (an error, an exit) is kept from the start, so a thread that fails while it
 * waits reports that when it is asked to scan, not as an unhandled error.
 */
class ScanThread {
  private readonly worker: Worker;
  private readonly ended: Promise<never>;

  constructor() {
    const worker = new Worker(workerScript(), {
      resourceLimits: { maxYoungGenerationSizeMb: SCAN_THREAD_YOUNG_GENERATION_MB },
    });
    // Idle, it keeps nothing alive: a run that never uses it exits without waiting for it. (A listener
    // for its messages would: it is added when the thread is given a part.)
    worker.unref();
    this.worker = worker;
    this.ended = new Promise((_, reject) => {
      worker.once("error", reject);
      worker.once("exit", (code) =>
        reject(new Error(`a scan thread stopped (exit code ${code}) before reporting`)),
      );
    });
    this.ended.catch(() => undefined);
  }

  /** Scans `req` on this thread: its reply, or why it has none. */
  scan(req: PartScanRequest): Promise<WorkerReply> {
    const { worker } = this;
    worker.ref();
    const replied = new Promise<WorkerReply>((resolve) => worker.once("message", resolve));
    worker.postMessage(req);
    // A reply comes before the thread's exit, which then ends nothing.
    return Promise.race([replied, this.ended]);
  }

  stop(): void {
    void this.worker.terminate();
  }
}

/** Threads started before they were asked for, not yet taken. */
const spares: ScanThread[] = [];
let threadFlagsSet = false;
let threadsTaken = false;

/**
 * V8 flags are per process and read as isolates start and as code is compiled, so they are set before
 * the first scan thread starts, and before the engine loads when the files will be read ahead.
 * - With a young generation as small as the scan threads', V8's allocation-site pretenuring sees a
 *   chunk's records survive one collection (they wait in their batch) and allocates every later record
 *   in the old generation, where they die: the heap grew past 380 MB.
 * - Each thread's isolate compiles the same hot functions again, on V8's background threads, which on a
 *   machine whose cores all scan take their time from the scans: compiling them was some 13% of a
 *   one-pass analyze's CPU, most of it the inlined callees. Without inlining, a two-thread analyze of
 *   1 GB took 1-11% less time in every pair measured (BENCHMARKS.md, tenth round). Read ahead, the one
 *   isolate's code compiles on the core the skim-ahead thread uses: without inlining, 1 GB took
 *   1.20-1.27 s against 1.28-1.32 s over the archive, 1.13-1.38 s against 1.22-1.34 s over Log
 *   Analytics (four pairs each, thirty-eighth round). One pass, which compiles on an idle core, gains
 *   nothing from it, and keeps it (releaseSpareScanThreads).
 */
export function setThreadFlags(): void {
  if (threadFlagsSet) return;
  threadFlagsSet = true;
  setFlagsFromString("--no-allocation-site-pretenuring");
  setFlagsFromString("--no-turbo-inlining");
}

/**
 * Starts `count` scan threads ahead of need: the CLI calls this before it loads the engine, so a
 * thread's isolate and modules (some 60-90 ms) load beside the main thread's instead of after the
 * input is planned, while the main thread already scans.
 */
export function prestartScanThreads(count: number): void {
  setThreadFlags();
  for (let i = 0; i < count; i++) spares.push(new ScanThread());
}

/** A scan thread for one part: a spare if one was started, else a new one. */
export function takeScanThread(): { scan(req: PartScanRequest): Promise<WorkerReply> } {
  setThreadFlags();
  threadsTaken = true;
  return spares.shift() ?? new ScanThread();
}

/** A run that reads its files ahead keeps the thread flags (setThreadFlags). */
export function keepThreadFlags(): void {
  setThreadFlags();
  threadsTaken = true;
}

/** Threads started ahead and not yet taken. */
export function spareScanThreads(): number {
  return spares.length;
}

/**
 * Stops the spares nobody took (the input made fewer parts, or one). A run that took none goes on in
 * one pass, with the flags one pass compiles best with.
 */
export function releaseSpareScanThreads(): void {
  for (const spare of spares.splice(0)) spare.stop();
  if (threadFlagsSet && !threadsTaken) {
    setFlagsFromString("--turbo-inlining");
    threadFlagsSet = false;
  }
}

/**
 * The built worker next to this module. Under vitest this module runs from src/ as TypeScript, which a
 * worker thread cannot load with its `.js` imports: it then runs the built copy (`npm test` builds first).
 */
function workerScript(): URL {
  const here = import.meta.url;
  if (here.endsWith(".ts"))
    return new URL(here.replace(/\/src\/engine\/[^/]+\.ts$/, "/dist/src/engine/scan-worker.js"));
  return new URL("./scan-worker.js", here);
}
