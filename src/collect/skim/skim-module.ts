import type { Latin1Buffer } from "../json-fields.js";
import { SKIM_SHARED_WASM_BASE64, SKIM_WASM_BASE64 } from "./skim-wasm.js";

/** The parts of the WebAssembly API used here (TypeScript's ES libraries do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (limits: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const { Module, Instance, Memory } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const WASM_PAGE = 65536;
/** The module reads up to this far past a line (16-byte loads): memory holds that much past any input. */
export const READ_PAST = 64;
/** The memory the shared build declares (scripts/skim-wasm-compile.mjs): 3 MiB at first, at most 1 GiB. */
const INITIAL_PAGES = 48;
const MAXIMUM_PAGES = 16384;

let compiled: object | undefined;
let compiledShared: object | undefined;

/**
 * A shared memory for the module's shared build, at least `bytes` long: a skim-ahead ring's, in which
 * the thread's module reads the windows where the thread read them (skim-ahead-slots.ts).
 */
export function skimModuleMemory(bytes: number): WasmMemory {
  const initial = Math.max(INITIAL_PAGES, Math.ceil(bytes / WASM_PAGE));
  return new Memory({ initial, maximum: MAXIMUM_PAGES, shared: true });
}

/**
 * A new instance of assembly/skim.ts: with a memory of its own (the skim of a thread, its field
 * locator), or, given a shared `memory` (a skim-ahead thread's ring), of the module's shared build on it.
 * Only that thread's instance is on shared memory: V8 copies into shared memory with
 * TypedArray.prototype.set a byte at a time unless both ends are aligned alike, 330 ms per GB for
 * windows cut at line breaks against 24 by memmove, and every other instance copies its input in
 * (BENCHMARKS.md, forty-third round). Each build is compiled once per thread that uses it.
 */
export function instantiateSkimModule<Exports>(memory?: WasmMemory): Exports {
  if (memory === undefined) {
    compiled ??= new Module(Buffer.from(SKIM_WASM_BASE64, "base64"));
    return new Instance(compiled, {}).exports as Exports;
  }
  compiledShared ??= new Module(Buffer.from(SKIM_SHARED_WASM_BASE64, "base64"));
  return new Instance(compiledShared, { env: { memory } }).exports as Exports;
}

/**
 * An instance's memory as JavaScript reads and writes it: room for an input at `input` (and READ_PAST
 * after it), and views on it. Growing the memory detaches the views on its old buffer, so `fit` makes
 * new ones whenever it grew.
 */
export class ModuleMemory {
  bytes!: Latin1Buffer;
  ints!: Int32Array;
  private buffer: ArrayBuffer | undefined;

  constructor(
    private readonly memory: WasmMemory,
    private readonly input: number,
    inputBytes: number,
  ) {
    this.fit(inputBytes);
  }

  /**
   * Room for `inputBytes` at the input. The views' own length answers first: `memory.buffer` is a call
   * into the runtime, and the field locator fits each 401/403 line (three such calls a line were some
   * 20 ms of 36,000 lines). A view on a buffer the module's memory grew away from is detached, of length
   * 0, and so is made again.
   */
  fit(inputBytes: number): void {
    const needed = this.input + inputBytes + READ_PAST;
    if (this.bytes !== undefined && this.bytes.length >= needed) return;
    const { memory } = this;
    if (memory.buffer.byteLength < needed)
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / WASM_PAGE));
    if (this.buffer !== memory.buffer) {
      this.buffer = memory.buffer;
      this.bytes = Buffer.from(memory.buffer) as Latin1Buffer;
      this.ints = new Int32Array(memory.buffer);
    }
  }
}
