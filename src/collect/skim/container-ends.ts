import { READ_CHUNK_BYTES } from "../input-files.js";
import { instantiateSkimModule, ModuleMemory, type WasmMemory } from "./skim-module.js";

/**
 * Where a JSON object or array the stream scanner captures closes (`containerEnd` in assembly/skim.ts):
 * each record of an Event Hubs envelope or a JSON array is captured whole, and walking its bytes one by
 * one in JavaScript for the closing bracket was a third of reading an envelope (BENCHMARKS.md).
 *
 * One instance per thread: the scanner asks synchronously, from its `push`, so the module's input holds
 * the bytes of one push at a time; each push names itself (`nextInput`), and what the module holds is
 * copied again whenever another push asks.
 */

interface ContainerExports {
  memory: WasmMemory;
  inputOffset(): number;
  containerEnd(from: number, length: number, state: number): number;
  carriedState(): number;
}

/** Bytes copied into the module at a time: a read chunk, so a push is nearly always one copy. */
const WINDOW_BYTES = READ_CHUNK_BYTES;

let inputs = 0;

/** A new name for the bytes of one `push` (see ContainerEnds.end). */
export function nextInput(): number {
  return ++inputs;
}

class ContainerEnds {
  private readonly wasm: ContainerExports;
  private readonly memory: ModuleMemory;
  private readonly input: number;
  /** What the module's input holds: buf[from, to) of the push named `held` (0: nothing). */
  private held = 0;
  private from = 0;
  private to = 0;
  /** The walk's state where the last call's bytes ended before the container closed. */
  carried = 0;

  constructor() {
    this.wasm = instantiateSkimModule<ContainerExports>();
    this.input = this.wasm.inputOffset();
    this.memory = new ModuleMemory(this.wasm.memory, this.input, WINDOW_BYTES);
  }

  /**
   * Just past the closing bracket of the container being captured in buf[from, buf.length), the bytes of
   * the push named `input`; or -1 when they end first (`carried` is then the state to pass on with the
   * next push's bytes). `state` is the walk's state at `from`: 0 at the container's opening bracket.
   */
  end(buf: Buffer, from: number, state: number, input: number): number {
    for (;;) {
      if (input !== this.held || from < this.from || from >= this.to) this.hold(buf, from, input);
      const at = this.wasm.containerEnd(from - this.from, this.to - this.from, state);
      if (at >= 0) return this.from + at;
      state = this.wasm.carriedState();
      if (this.to >= buf.length) {
        this.carried = state;
        return -1;
      }
      from = this.to;
    }
  }

  private hold(buf: Buffer, from: number, input: number): void {
    const to = Math.min(buf.length, from + WINDOW_BYTES);
    this.memory.bytes.set(buf.subarray(from, to), this.input);
    this.held = input;
    this.from = from;
    this.to = to;
  }
}

let ends: ContainerEnds | undefined;

/** The thread's ContainerEnds. */
export function containerEnds(): ContainerEnds {
  return (ends ??= new ContainerEnds());
}
