import type { Latin1Buffer } from "../json-fields.js";
import { SKIM_WASM_BASE64 } from "./skim-wasm.js";

/** The parts of the WebAssembly API used here (TypeScript's ES libraries do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const WASM_PAGE = 65536;
/** The module reads up to this far past a line (16-byte loads): memory holds that much past any input. */
const READ_PAST = 64;

let compiled: object | undefined;

/**
 * A new instance of assembly/skim.ts, with its own memory: the skim of a thread and its field locator
 * each have one. The module is compiled once per thread.
 */
export function instantiateSkimModule<Exports>(): Exports {
  compiled ??= new Module(Buffer.from(SKIM_WASM_BASE64, "base64"));
  return new Instance(compiled, {}).exports as Exports;
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
