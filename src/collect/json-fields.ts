/**
 * Fast path for JSON Lines: pulls the few fields the engine needs out of one line of JSON bytes without
 * building the whole object graph (JSON.parse of a ~1 KB storage log record allocates dozens of strings
 * and objects the engine never reads). The scan still checks the whole line's JSON syntax; whenever
 * anything is unusual (escaped keys, wrong container types, deep nesting, non-ASCII bytes, any syntax
 * error) it gives up and the caller falls back to JSON.parse, which then reports the precise error.
 */

/** Which fields to pull: key → output name (leaf) or a nested spec (object value). */
export interface FieldSpec {
  readonly [key: string]: string | FieldSpec;
}

export interface KeyMatcher {
  /** Candidate keys by length, as bytes: a line's key is compared in place, never allocated. */
  byLength: Array<Array<{ key: Uint8Array; node: number | KeyMatcher }> | undefined>;
}

/** A compiled selection of fields: each output name has a slot; records are built with one shape. */
export interface FieldSet {
  /** Output names by slot; nested fields are named by their path (`identity.type`). */
  readonly names: readonly string[];
  readonly matcher: KeyMatcher;
  readonly spec: FieldSpec;
  /** Slots → an object with every name as a property, always in the same order (one hidden class). */
  readonly make: (vals: unknown[]) => Record<string, unknown>;
  /** Like make, with only the given names (a factory per subset, same shape every time). */
  readonly maker: (names: readonly string[]) => (vals: unknown[]) => Record<string, unknown>;
}

/**
 * What a check-only field (see compileFieldSet) holds after a scan: the JSON type of its value, not the
 * value. Null still counts as absent.
 */
export const SEEN_STRING: unique symbol = Symbol("string");
export const SEEN_NUMBER: unique symbol = Symbol("number");
export const SEEN_BOOLEAN: unique symbol = Symbol("boolean");
export const SEEN_CONTAINER: unique symbol = Symbol("object or array");

/**
 * Compiles a selection. Names in `checkOnly` get a slot like any other, but a scan records only the
 * JSON type of their value (SEEN_*), so it can be validated without building a string or an object.
 * Two sets compiled from the same spec have the same slots.
 */
export function compileFieldSet(spec: FieldSpec, checkOnly: ReadonlySet<string> = new Set()): FieldSet {
  const names: string[] = [];
  const build = (s: FieldSpec): KeyMatcher => {
    const m: KeyMatcher = { byLength: [] };
    for (const key of Object.keys(s)) {
      const node = s[key]!;
      let compiled: number | KeyMatcher;
      if (typeof node === "string") {
        // A check-only slot is stored as its bitwise complement (negative): one test in the scan loop.
        compiled = checkOnly.has(node) ? ~names.length : names.length;
        names.push(node);
      } else {
        compiled = build(node);
      }
      (m.byLength[key.length] ??= []).push({ key: Buffer.from(key, "latin1"), node: compiled });
    }
    return m;
  };
  const matcher = build(spec);
  // A generated object literal gives every record the same hidden class, which keeps zod's checks and
  // the engine's property reads monomorphic.
  const maker = (subset: readonly string[]) => {
    const props = subset.map((n) => {
      const slot = names.indexOf(n);
      if (slot < 0) throw new Error(`unknown field ${n}`);
      return `${JSON.stringify(n)}: v[${slot}]`;
    });
    return new Function("v", `return {${props.join(", ")}};`) as (vals: unknown[]) => Record<string, unknown>;
  };
  return { names, matcher, spec, make: maker(names), maker };
}

const MAX_DEPTH = 64;
const FAIL = -1;

function ws(b: Uint8Array, i: number): number {
  let c = b[i];
  while (c === 32 || c === 9 || c === 10 || c === 13) c = b[++i];
  return i;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));
}

/**
 * The line being scanned and its next backslash (recomputed only once passed), to jump over strings:
 * its text, or undefined when only its bytes are at hand; `copies`, its bytes in a Buffer, when string
 * values are copied out of them rather than sliced from the text.
 */
const scan: { text: string | undefined; nextBackslash: number; copies: Latin1Buffer | undefined } = {
  text: undefined,
  nextBackslash: -1,
  copies: undefined,
};

/** The line's text from..to: sliced from its text, or copied from its bytes when there is no text. */
function lineText(from: number, to: number): string {
  return scan.text !== undefined ? scan.text.slice(from, to) : scan.copies!.latin1Slice(from, to);
}

/** Where the line's next `"` (34) or `\` (92) is from `from`, or -1. */
function nextIn(code: 34 | 92, from: number): number {
  return scan.text !== undefined
    ? scan.text.indexOf(code === 34 ? '"' : "\\", from)
    : scan.copies!.indexOf(code, from);
}

/**
 * Node's Buffer with its one-byte decoder, which decodes a range as Latin-1 without `toString`'s argument
 * checks: a flat string of exactly the bytes, sharing nothing.
 */
export type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** Short strings (keys, codes) are looped over byte by byte; longer ones jump to the quote natively. */
const SHORT_STRING = 24;
/**
 * V8 keeps a slice of at least this many characters as a view on its parent; a shorter one is a copy of
 * its own, which slicing makes without the native call that copying out of the bytes costs.
 */
const MIN_SLICED_STRING = 13;

/**
 * From the opening quote at i: index after the closing quote, or FAIL. Raw control characters inside
 * long strings are not looked for (JSON.parse would refuse them; Storage never writes them).
 */
function str(b: Uint8Array, i: number, end: number): number {
  i++;
  const shortEnd = i + SHORT_STRING < end ? i + SHORT_STRING : end;
  while (i < shortEnd) {
    const c = b[i]!;
    if (c === 34) return i + 1;
    if (c === 92) return escapedStr(b, i, end);
    if (c < 32) return FAIL;
    i++;
  }
  if (i >= end) return FAIL;
  const q = nextIn(34, i);
  if (q < 0) return FAIL;
  if (scan.nextBackslash < i) {
    const bs = nextIn(92, i);
    scan.nextBackslash = bs < 0 ? end : bs;
  }
  if (scan.nextBackslash < q) return escapedStr(b, scan.nextBackslash, end);
  return q + 1;
}

/** The rest of a string from a backslash at i, byte by byte. */
function escapedStr(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c === 34) return i + 1;
    if (c === 92) {
      const e = b[i + 1];
      if (e === 117) {
        if (!isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return FAIL;
        i += 6;
      } else if (
        e === 34 ||
        e === 92 ||
        e === 47 ||
        e === 98 ||
        e === 102 ||
        e === 110 ||
        e === 114 ||
        e === 116
      ) {
        i += 2;
      } else return FAIL;
    } else if (c < 32) {
      return FAIL;
    } else i++;
  }
  return FAIL;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/** From a number at i: index after it, or FAIL (JSON grammar). */
function num(b: Uint8Array, i: number): number {
  if (b[i] === 45) i++;
  const first = b[i];
  if (first === 48) i++;
  else if (first !== undefined && first >= 49 && first <= 57) {
    i++;
    while (isDigit(b[i])) i++;
  } else return FAIL;
  if (b[i] === 46) {
    i++;
    if (!isDigit(b[i])) return FAIL;
    while (isDigit(b[i])) i++;
  }
  const e = b[i];
  if (e === 101 || e === 69) {
    i++;
    const sign = b[i];
    if (sign === 43 || sign === 45) i++;
    if (!isDigit(b[i])) return FAIL;
    while (isDigit(b[i])) i++;
  }
  return i;
}

function lit(b: Uint8Array, i: number, c0: number, c1: number, c2: number, c3: number, c4: number): number {
  if (b[i + 1] !== c1 || b[i + 2] !== c2 || b[i + 3] !== c3) return FAIL;
  if (c0 === 102) return b[i + 4] === c4 ? i + 5 : FAIL;
  return i + 4;
}

/** Skips the value at i, validating it; index after it, or FAIL. */
function skip(b: Uint8Array, i: number, end: number, depth: number): number {
  const c = b[i];
  if (c === 34) return str(b, i, end);
  if (c === 123) return depth > MAX_DEPTH ? FAIL : obj(b, i, end, NO_FIELDS, NO_VALUES, depth);
  if (c === 91) {
    if (depth > MAX_DEPTH) return FAIL;
    i = ws(b, i + 1);
    if (b[i] === 93) return i + 1;
    for (;;) {
      i = skip(b, i, end, depth + 1);
      if (i < 0) return FAIL;
      i = ws(b, i);
      const d = b[i];
      if (d === 44) i = ws(b, i + 1);
      else if (d === 93) return i + 1;
      else return FAIL;
    }
  }
  if (c === 116) return lit(b, i, 116, 114, 117, 101, 0);
  if (c === 102) return lit(b, i, 102, 97, 108, 115, 101);
  if (c === 110) return lit(b, i, 110, 117, 108, 108, 0);
  return num(b, i);
}

function lookup(m: KeyMatcher, b: Uint8Array, from: number, length: number): number | KeyMatcher | undefined {
  const candidates = m.byLength[length];
  if (candidates === undefined) return undefined;
  outer: for (let k = 0; k < candidates.length; k++) {
    const cand = candidates[k]!;
    const key = cand.key;
    if (key[0] !== b[from]) continue;
    for (let j = 1; j < length; j++) if (key[j] !== b[from + j]) continue outer;
    return cand.node;
  }
  return undefined;
}

/**
 * The value of the JSON number at b[from, to): a plain non-negative integer (status codes) read from its
 * bytes, anything else through Number() of its text.
 */
export function numberValue(
  b: Uint8Array,
  from: number,
  to: number,
  text: (from: number, to: number) => string = lineText,
): number {
  if (to - from <= 15) {
    let v = 0;
    let j = from;
    for (; j < to; j++) {
      const d = b[j]! - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (j === to) return v;
  }
  return Number(text(from, to));
}

const NO_FIELDS: KeyMatcher = { byLength: [] };
const NO_VALUES: unknown[] = [];

/**
 * One object from `{` at i, with the common tokens (keys, string values, numbers) handled inline: the
 * per-token cost of calls dominated the scan, so only containers recurse.
 */
function obj(b: Uint8Array, i: number, end: number, m: KeyMatcher, vals: unknown[], depth: number): number {
  i++;
  let c = b[i];
  while (c === 32 || c === 9 || c === 10 || c === 13) c = b[++i];
  if (c === 125) return i + 1;
  for (;;) {
    if (c !== 34) return FAIL;
    const keyStart = i + 1;
    i = keyStart;
    c = b[i];
    while (c !== 34) {
      if (c === undefined || c === 92 || c < 32) return FAIL;
      c = b[++i];
    }
    const node = lookup(m, b, keyStart, i - keyStart);
    c = b[++i];
    while (c === 32 || c === 9 || c === 10 || c === 13) c = b[++i];
    if (c !== 58) return FAIL;
    c = b[++i];
    while (c === 32 || c === 9 || c === 10 || c === 13) c = b[++i];
    if (c === 34) {
      const valueStart = i + 1;
      // Short values (codes, names) end within a few bytes: a loop beats a call; long ones jump natively.
      let q = valueStart;
      const shortEnd = valueStart + SHORT_STRING < end ? valueStart + SHORT_STRING : end;
      c = b[q];
      while (q < shortEnd && c !== 34 && c !== 92 && c! >= 32) c = b[++q];
      if (c !== 34 || q >= shortEnd) q = nextIn(34, valueStart);
      if (q < 0) return FAIL;
      if (scan.nextBackslash < valueStart) {
        const bs = nextIn(92, valueStart);
        scan.nextBackslash = bs < 0 ? end : bs;
      }
      let escaped = false;
      if (scan.nextBackslash < q) {
        i = escapedStr(b, scan.nextBackslash, end);
        if (i < 0) return FAIL;
        escaped = true;
      } else i = q + 1;
      if (typeof node === "number") {
        if (node < 0) vals[~node] = SEEN_STRING;
        else
          vals[node] = escaped
            ? (JSON.parse(lineText(valueStart - 1, i)) as unknown)
            : scan.copies && i - 1 - valueStart >= MIN_SLICED_STRING
              ? scan.copies.latin1Slice(valueStart, i - 1)
              : lineText(valueStart, i - 1);
      } else if (node !== undefined) return FAIL;
    } else if (node === undefined) {
      i = skip(b, i, end, depth + 1);
    } else if (typeof node === "number") {
      const start = i;
      if (c === 123 || c === 91) {
        i = skip(b, i, end, depth + 1);
        if (i < 0) return FAIL;
        if (node < 0) vals[~node] = SEEN_CONTAINER;
        else vals[node] = JSON.parse(lineText(start, i)) as unknown;
      } else if (c === 116 || c === 102 || c === 110) {
        i = skip(b, i, end, depth + 1);
        // null counts as absent, as in Log Analytics.
        if (c !== 110) {
          if (node < 0) vals[~node] = SEEN_BOOLEAN;
          else vals[node] = c === 116;
        }
      } else {
        i = num(b, i);
        if (i < 0) return FAIL;
        if (node < 0) vals[~node] = SEEN_NUMBER;
        else vals[node] = numberValue(b, start, i);
      }
    } else if (c === 123) {
      if (depth >= MAX_DEPTH) return FAIL;
      i = obj(b, i, end, node, vals, depth + 1);
    } else if (c === 110) {
      i = lit(b, i, 110, 117, 108, 108, 0);
    } else {
      // A nested field that is not an object: the general path names the field.
      return FAIL;
    }
    if (i < 0) return FAIL;
    c = b[i];
    while (c === 32 || c === 9 || c === 10 || c === 13) c = b[++i];
    if (c === 125) return i + 1;
    if (c !== 44) return FAIL;
    c = b[++i];
    while (c === 32 || c === 9 || c === 10 || c === 13) c = b[++i];
  }
}

/**
 * The set's fields (by slot) from the JSON object in bytes[start, end), whose ASCII text is `text`
 * (text.charCodeAt(k) === bytes[start + k]); undefined when the fast path cannot vouch for the line.
 *
 * String values are slices of `text`, which keep the whole line alive as long as they live; with
 * `copies` (bytes in a Buffer) each is a copy of its own bytes instead, for a row whose values are kept:
 * cheaper than slicing and then detaching every one. With copies the text may be left undefined: the line
 * is then read from its bytes alone, and never decoded whole.
 */
export function extractFields(
  bytes: Uint8Array,
  start: number,
  end: number,
  text: string | undefined,
  set: FieldSet,
  copies = false,
): unknown[] | undefined {
  // A view bounded to the line: no scan can run on into the next line.
  const b = bytes.subarray(start, end);
  const copiesFrom = copies && Buffer.isBuffer(b) ? (b as Latin1Buffer) : undefined;
  if (text === undefined && copiesFrom === undefined) return undefined;
  const n = b.length;
  let i = ws(b, 0);
  if (b[i] !== 123) return undefined;
  const vals = new Array<unknown>(set.names.length);
  scan.text = text;
  scan.nextBackslash = -1;
  scan.copies = copiesFrom;
  try {
    i = obj(b, i, n, set.matcher, vals, 0);
  } catch {
    // JSON.parse refused an escaped string or a nested value: the general path reports it.
    return undefined;
  } finally {
    scan.text = undefined;
    scan.copies = undefined;
  }
  if (i < 0) return undefined;
  return ws(b, i) === n ? vals : undefined;
}

/** Result of flattening a parsed object: the slots, or the path of a value with the wrong shape. */
export type FlattenResult = { vals: unknown[] } | { badField: string };

interface FlattenPlan {
  /** Leaves in slot order: the path of keys leading to each. */
  leaves: Array<{ slot: number; path: string[] }>;
  /** Nested specs, outermost first: a present value there must be an object. */
  containers: Array<{ path: string[]; name: string }>;
}

const plans = new WeakMap<FieldSet, FlattenPlan>();

function planOf(set: FieldSet): FlattenPlan {
  let plan = plans.get(set);
  if (plan) return plan;
  const leaves: FlattenPlan["leaves"] = [];
  const containers: FlattenPlan["containers"] = [];
  let slot = 0;
  const walk = (spec: FieldSpec, path: string[]) => {
    for (const key of Object.keys(spec)) {
      const node = spec[key]!;
      if (typeof node === "string") leaves.push({ slot: slot++, path: [...path, key] });
      else {
        containers.push({ path: [...path, key], name: [...path, key].join(".") });
        walk(node, [...path, key]);
      }
    }
  };
  walk(set.spec, []);
  plan = { leaves, containers };
  plans.set(set, plan);
  return plan;
}

function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function at(source: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = source;
  for (let i = 0; i < path.length; i++) {
    if (v === null || v === undefined) return undefined;
    v = own(v as Record<string, unknown>, path[i]!);
  }
  return v;
}

/** The same selection as extractFields, from an already parsed object (null counts as absent). */
export function flattenFields(source: Record<string, unknown>, set: FieldSet): FlattenResult {
  const plan = planOf(set);
  for (const c of plan.containers) {
    const v = at(source, c.path);
    if (v !== undefined && v !== null && (typeof v !== "object" || Array.isArray(v)))
      return { badField: c.name };
  }
  const vals = new Array<unknown>(set.names.length);
  for (const leaf of plan.leaves) {
    const path = leaf.path;
    const v = path.length === 1 ? own(source, path[0]!) : at(source, path);
    if (v !== null && v !== undefined) vals[leaf.slot] = v;
  }
  return { vals };
}
