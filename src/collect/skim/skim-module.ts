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
export const READ_PAST = 64;

let compiled: object | undefined;

/**
 * A new instance of assembly/skim.ts, with its own memory: the skim of a thread and its field locator
 * each have one. The module is compiled once per thread.
 */
export function instantiateSkimModule<Exports>(): Exports {
  compiled ??= new Module(Buffer.from(SKIM_WASM_BASE64, "base64"));
  return new Instance(compiled, {}).exports as Exports;
}

/** Grows `memory` to at least `bytes`; true when it grew (views on its old buffer are then detached). */
export function growMemoryTo(memory: WasmMemory, bytes: number): boolean {
  if (memory.buffer.byteLength >= bytes) return false;
  memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / WASM_PAGE));
  return true;
}
