import {
  numberValue,
  SEEN_BOOLEAN,
  SEEN_CONTAINER,
  SEEN_NUMBER,
  SEEN_STRING,
  type FieldSet,
  type KeyMatcher,
  type Latin1Buffer,
} from "../json-fields.js";
import { instantiateSkimModule, ModuleMemory, type WasmMemory } from "./skim-module.js";

/**
 * The fields of a whole line, located in WebAssembly (`locate` in assembly/skim.ts) for the lines the
 * success-row skim declines: nearly all of them 401/403s, whose every field the full reader reads and
 * keeps. Walking their ~1.5 KB in JavaScript (json-fields.ts, `obj`) was a third of reading a 401/403;
 * here JavaScript only copies each value out of the bytes.
 *
 * It gives what extractFields gives for the same bytes with copies, or nothing: the module refuses more
 * than `obj` does (raw control characters and bytes past ASCII in strings, deep nesting, more values
 * than it records), and extractFields then reads the line (test/collect/field-locator.test.ts).
 */

interface LocatorExports {
  memory: WasmMemory;
  inputOffset(): number;
  matchersOffset(): number;
  matchersBytes(): number;
  foundOffset(): number;
  locate(length: number): number;
}

/** Kinds of value the module records (assembly/skim.ts, FOUND_*). */
const STRING = 1;
const ESCAPED = 2;
const NUMBER = 3;
const TRUE = 4;
const FALSE = 5;
const CONTAINER = 6;
/** What a check-only field holds for each kind. */
const SEEN_OF_KIND: readonly unknown[] = [
  undefined,
  SEEN_STRING,
  SEEN_STRING,
  SEEN_NUMBER,
  SEEN_BOOLEAN,
  SEEN_BOOLEAN,
  SEEN_CONTAINER,
];
const ENTRY_INTS = 4;
const NO_MATCHER = -1;
/** A key is stored with room for the module's 16-byte compare after it. */
const KEY_SLACK = 16;

export class FieldLocator {
  private readonly wasm: LocatorExports;
  private readonly input: number;
  private readonly foundAt: number;
  private readonly memory: ModuleMemory;
  /** The bytes of the line being read, for numberValue's fallback; let go of after each line. */
  private line: Latin1Buffer | undefined;
  private readonly lineText = (from: number, to: number): string => this.line!.latin1Slice(from, to);

  constructor(private readonly set: FieldSet) {
    this.wasm = instantiateSkimModule<LocatorExports>();
    this.input = this.wasm.inputOffset();
    this.foundAt = this.wasm.foundOffset() >> 2;
    this.memory = new ModuleMemory(this.wasm.memory, this.input, 0);
    this.writeMatchers();
  }

  /**
   * extractFields(bytes, start, end, text, set, true) for the line bytes[start, end), or undefined when
   * the module cannot vouch for it.
   */
  fields(bytes: Latin1Buffer, start: number, end: number): unknown[] | undefined {
    this.memory.fit(end - start);
    bytes.copy(this.memory.bytes, this.input, start, end);
    const n = this.wasm.locate(end - start);
    if (n < 0) return undefined;
    const vals = new Array<unknown>(this.set.names.length);
    const ints = this.memory.ints;
    this.line = bytes;
    try {
      for (let k = 0, at = this.foundAt; k < n; k++, at += ENTRY_INTS) {
        const slot = ints[at]!;
        const kind = ints[at + 1]!;
        if (slot < 0) {
          vals[~slot] = SEEN_OF_KIND[kind];
          continue;
        }
        const from = start + ints[at + 2]!;
        const to = start + ints[at + 3]!;
        if (kind === STRING) vals[slot] = bytes.latin1Slice(from + 1, to - 1);
        else if (kind === NUMBER) vals[slot] = numberValue(bytes, from, to, this.lineText);
        else if (kind === ESCAPED || kind === CONTAINER) vals[slot] = JSON.parse(bytes.latin1Slice(from, to));
        else vals[slot] = kind === TRUE ? true : kind === FALSE ? false : undefined;
      }
    } catch {
      // JSON.parse refused an escape or a nested value, as extractFields would: the general path names it.
      return undefined;
    } finally {
      this.line = undefined;
    }
    return vals;
  }

  /**
   * The set's matchers, as the module reads them (assembly/skim.ts, before `locate`): the top one first,
   * each placed before the matchers nested in it, then the keys.
   */
  private writeMatchers(): void {
    const base = this.wasm.matchersOffset();
    const limit = base + this.wasm.matchersBytes();
    const matchers: KeyMatcher[] = [];
    const collect = (m: KeyMatcher): void => {
      matchers.push(m);
      for (const bucket of m.byLength)
        for (const c of bucket ?? []) if (typeof c.node !== "number") collect(c.node);
    };
    collect(this.set.matcher);
    const at = new Map<KeyMatcher, number>();
    let next = base;
    for (const m of matchers) {
      at.set(m, next);
      const entries = m.byLength.reduce((n, bucket) => n + (bucket?.length ?? 0), 0);
      next += 4 + m.byLength.length * 8 + entries * ENTRY_INTS * 4;
    }
    const { bytes, ints } = this.memory;
    for (const m of matchers) {
      const p = at.get(m)!;
      ints[p >> 2] = m.byLength.length - 1;
      let entry = p + 4 + m.byLength.length * 8;
      m.byLength.forEach((bucket, length) => {
        const list = bucket ?? [];
        ints[(p + 4 + length * 8) >> 2] = entry;
        ints[(p + 8 + length * 8) >> 2] = list.length;
        for (const c of list) {
          if (next + c.key.length + KEY_SLACK > limit)
            throw new Error("field-locator: the fields' keys do not fit");
          bytes.set(c.key, next);
          const e = entry >> 2;
          ints[e] = c.key.length;
          ints[e + 1] = next;
          ints[e + 2] = typeof c.node === "number" ? NO_MATCHER : at.get(c.node)!;
          ints[e + 3] = typeof c.node === "number" ? c.node : 0;
          next += c.key.length + KEY_SLACK;
          entry += ENTRY_INTS * 4;
        }
      });
    }
  }
}
