import { Worker } from "node:worker_threads";
import { READY_AT, ringMemory, SLOT_BYTES, SLOTS, STATES, STOP_AT } from "./skim-ahead-slots.js";
import type { SkimAheadRing, SkimAheadStart } from "./skim-ahead-reader.js";
import type { WasmMemory } from "./skim-module.js";

// Only Node's own modules, the ring's layout (and the skim module's memory it lies in) and types are
// imported: the CLI loads this module to start the thread before it loads the engine (prestartSkimAhead).

/**
 * The thread that reads ahead: started idle (prestartSkimAhead), with the ring it writes; once `ready`,
 * given where to start (`start`), it reads the files from there and ends. Its end (an error, an exit)
 * is kept, to be reported by a wait for a slot it will never fill.
 */
export class SkimAheadThread {
  readonly states = new SharedArrayBuffer(STATES * 4);
  private readonly stateInts = new Int32Array(this.states);
  readonly slots = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(SLOT_BYTES));
  /** Where the slots' bytes lie: the thread's skim module's memory (skim-ahead-slots.ts). */
  readonly memory: WasmMemory = ringMemory();
  failure: Error | undefined;
  private readonly worker: Worker;

  constructor() {
    this.worker = new Worker(workerScript(), {
      workerData: { states: this.states, slots: this.slots, memory: this.memory } satisfies SkimAheadRing,
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    // Idle, it keeps nothing alive: a run that never uses it exits without waiting for it.
    this.worker.unref();
    const ended = (err: Error): void => {
      this.failure ??= err;
      for (let i = 0; i < STATES; i++) Atomics.notify(this.stateInts, i);
    };
    this.worker.once("error", ended);
    this.worker.once("exit", (code) => ended(new Error(`the skim-ahead thread stopped (exit code ${code})`)));
  }

  /** Whether the thread has loaded its modules and set up its skim (it then waits for `start`). */
  ready(): boolean {
    return Atomics.load(this.stateInts, READY_AT) === 1;
  }

  start(from: SkimAheadStart): void {
    this.worker.ref();
    this.worker.postMessage(from);
  }

  stop(): void {
    Atomics.store(this.stateInts, STOP_AT, 1);
    for (let i = 0; i < SLOTS; i++) Atomics.notify(this.stateInts, i);
    void this.worker.terminate();
  }
}

/** The thread prestartSkimAhead started, not yet taken. */
let spareThread: SkimAheadThread | undefined;

/**
 * Starts the skim-ahead thread before it is needed: the CLI calls this before it loads the engine, so
 * that the thread's isolate and modules (some 80 ms) load beside the main thread's.
 */
export function prestartSkimAhead(): void {
  spareThread ??= new SkimAheadThread();
}

/** The prestarted thread, or a new one. */
export function takeSkimAheadThread(): SkimAheadThread {
  const thread = spareThread ?? new SkimAheadThread();
  spareThread = undefined;
  return thread;
}

/** Stops the prestarted thread when the run does not read ahead after all. */
export function releaseSkimAhead(): void {
  spareThread?.stop();
  spareThread = undefined;
}

/**
 * The built thread next to this module. Under vitest this module runs from src/ as TypeScript, which a
 * worker thread cannot load with its `.js` imports: it then runs the built copy (`npm test` builds first).
 */
function workerScript(): URL {
  const here = import.meta.url;
  if (here.endsWith(".ts"))
    return new URL(
      here.replace(/\/src\/collect\/skim\/[^/]+\.ts$/, "/dist/src/collect/skim/skim-ahead-worker.js"),
    );
  return new URL("./skim-ahead-worker.js", here);
}
