import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** The thread's `gc`, once looked for: null until then, undefined where it cannot be had. */
let exposed: (() => void) | undefined | null = null;

/**
 * A full garbage collection on demand, or undefined where the runtime does not allow one.
 *
 * A one-pass `analyze` calls it once, between reading the rows and building incidents: what the scan
 * allocated (decoded lines, records, the young strings the collector promoted) is dead by then but was
 * not yet collected, and explaining allocates on top of it. Collecting there took the peak of a one-pass
 * analyze of 1 GB from about 210 MB to 175 MB (BENCHMARKS.md), for some 40 ms. (A parallel analyze
 * peaks while its threads scan, and collecting after it lowered nothing.) V8 exposes `gc`
 * only behind a flag: set it here, at run time, and take the function from a fresh context.
 */
export function fullGarbageCollection(): (() => void) | undefined {
  // Taken once per thread: each call otherwise sets a V8 flag and builds a fresh context.
  if (exposed === null) {
    try {
      setFlagsFromString("--expose-gc");
      const gc: unknown = runInNewContext("gc");
      exposed = typeof gc === "function" ? () => void (gc as () => unknown)() : undefined;
    } catch {
      exposed = undefined;
    }
  }
  return exposed;
}

/**
 * Young collections handed to V8's helper threads only while another core would otherwise wait. The CLI
 * runs with `--no-parallel-scavenge` (src/cli/node-flags.ts): with both cores scanning, helpers took
 * their time from the scans. But while the callers of the root-cause evidence fill, the skim-ahead
 * thread waits for the main thread with the ring full (some 250 ms of an analyze of 1 GB), and young
 * collections are a third of the main thread's time then: the skim-ahead reader turns helpers on when it
 * finds the ring full and off when it has to wait for a slot, and off when it ends (BENCHMARKS.md,
 * forty-fifth round). V8 reads the flag at each collection. A process started without
 * `--no-parallel-scavenge` keeps V8's own choice.
 */
export class YoungCollectionHelpers {
  private on = false;

  constructor(
    private readonly allowed = process.execArgv.includes("--no-parallel-scavenge"),
    private readonly setFlags: (flags: string) => void = setFlagsFromString,
  ) {}

  set(on: boolean): void {
    if (on === this.on || !this.allowed) return;
    this.on = on;
    this.setFlags(on ? "--parallel-scavenge" : "--no-parallel-scavenge");
  }
}

/** The process's one: V8's flags are the process's. */
export const youngCollectionHelpers = new YoungCollectionHelpers();

/** Old-generation growth between files that is collected at once (see GarbageBetweenFiles). */
const GROWTH_BETWEEN_COLLECTIONS_BYTES = 40 * 1024 * 1024;

/**
 * Bounds the garbage a read of many files leaves behind. Each file's reader (parser, line splitter,
 * handles, its last batch) lives long enough to be promoted and dies when the file ends: over an
 * archive of 5,394 hourly files of 1 GB, V8 let some 37 MB of it pile up in the old generation before
 * collecting, and the peak rose by 20 MB against the same rows in one file (BENCHMARKS.md). Before each
 * file but the first, once the heap holds 40 MB more than after the last collection here (or in all,
 * before the first), this collects (some 30 ms each). Never after the last file: `analyze` collects
 * once when the read ends, and a second collection there cost a read of one file 35 ms for nothing.
 * Counting the first 40 MB from an empty heap, not from the heap the read began with, matters: from the
 * latter the tree of hourly files peaked 18 MB higher (measured).
 */
export class GarbageBetweenFiles {
  /** What the heap held after the last collection here (none yet: nothing). */
  private baseline = 0;
  private first = true;

  constructor(
    private readonly heapUsed: () => number = () => getHeapStatistics().used_heap_size,
    private readonly collector: () => (() => void) | undefined = fullGarbageCollection,
  ) {}

  /** Called before each file (or piece of one) is read. */
  nextFile(): void {
    if (this.first) {
      this.first = false;
      return;
    }
    if (this.heapUsed() - this.baseline <= GROWTH_BETWEEN_COLLECTIONS_BYTES) return;
    const collect = this.collector();
    if (!collect) return;
    collect();
    this.baseline = this.heapUsed();
  }
}
