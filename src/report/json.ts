import type { AnalysisResult } from "../engine/analyze.js";
import { sanitizeOutboundText } from "../redact.js";

/** Exactly one JSON object (issue 2's field names), through the redaction boundary. */
export function renderJson(result: AnalysisResult): string {
  const chunks: Uint8Array[] = [];
  writeJsonChunks(result, (chunk) => {
    chunks.push(chunk);
  });
  return Buffer.concat(chunks).toString("utf8");
}

/** The bytes of a chunk: pieces are encoded into it as they come, and it is handed on when full. */
const CHUNK_BYTES = 256 * 1024;
/** Most UTF-8 bytes one UTF-16 code unit can take (a surrogate pair's two take four). */
const MAX_UTF8_PER_UNIT = 3;

/**
 * The JSON report as a sequence of UTF-8 chunks, without a redacted deep copy of the result and without
 * one string of the whole document (issue 13): the bytes of
 * `JSON.stringify(sanitizeOutbound(result), null, 2)` followed by a line break, each string (and key)
 * passed through the redaction boundary as it is written. A chunk is handed on once and not reused.
 */
export function writeJsonChunks(result: AnalysisResult, emit: (chunk: Uint8Array) => void): void {
  const w = new ChunkWriter(emit);
  writeValue(w, result, "");
  w.put("\n");
  w.flush();
}

/**
 * Writes the JSON report to `out` chunk by chunk as it is produced. (Node writes stdout to files and
 * pipes synchronously on Linux, so no chunk waits in a buffer; elsewhere the stream buffers them.)
 */
export function streamJson(result: AnalysisResult, out: NodeJS.WritableStream): void {
  writeJsonChunks(result, (chunk) => {
    out.write(chunk);
  });
}

/** Keys a writer remembers as written: a report repeats a few dozen keys thousands of times. */
const KEY_TEXTS = 1024;
/**
 * Short strings a writer remembers as passing the boundary unchanged: a report repeats its series'
 * minutes, addresses and user agents across incidents, and the boundary's patterns cost more than a
 * lookup. Longer strings (URIs, guidance) seldom repeat and are checked each time.
 */
const CLEAN_TEXTS = 4096;
const CLEAN_TEXT_MAX_LENGTH = 128;

class ChunkWriter {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;
  private readonly keyTexts = new Map<string, string>();
  private readonly cleanTexts = new Set<string>();

  constructor(private readonly emit: (chunk: Uint8Array) => void) {}

  /**
   * Encodes `s` into the chunk. Strings were gathered and joined into one per chunk, then encoded as it
   * was written: two copies of the report's 7 MB where encoding each piece in place is one.
   */
  put(s: string): void {
    const most = s.length * MAX_UTF8_PER_UNIT;
    if (most > CHUNK_BYTES - this.used) {
      this.flush();
      if (most > CHUNK_BYTES) return this.emit(Buffer.from(s, "utf8"));
    }
    this.used += this.chunk.write(s, this.used, "utf8");
  }

  /** A key as written (stringText), worked out once per report. */
  keyText(key: string): string {
    let text = this.keyTexts.get(key);
    if (text === undefined) {
      text = stringText(key);
      if (this.keyTexts.size >= KEY_TEXTS) this.keyTexts.clear();
      this.keyTexts.set(key, text);
    }
    return text;
  }

  /** Whether the redaction boundary leaves `s` as it is. */
  passesUnchanged(s: string): boolean {
    if (s.length > CLEAN_TEXT_MAX_LENGTH) return sanitizeOutboundText(s) === s;
    if (this.cleanTexts.has(s)) return true;
    if (sanitizeOutboundText(s) !== s) return false;
    if (this.cleanTexts.size >= CLEAN_TEXTS) this.cleanTexts.clear();
    this.cleanTexts.add(s);
    return true;
  }

  flush(): void {
    if (this.used === 0) return;
    this.emit(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
    this.used = 0;
  }
}

/**
 * Whether the boundary leaves every string and key of `v` as it is, so JSON.stringify writes exactly
 * what this writer would. Walks `v` as JSON.stringify does (toJSON, own enumerable keys).
 */
function passesUnchanged(w: ChunkWriter, v: unknown): boolean {
  if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function")
    v = (v as { toJSON(): unknown }).toJSON();
  if (typeof v === "string") return w.passesUnchanged(v);
  if (typeof v === "bigint") return false;
  if (v === null || typeof v !== "object") return true;
  if (Array.isArray(v)) {
    for (const item of v) if (!passesUnchanged(w, item)) return false;
    return true;
  }
  const obj = v as Record<string, unknown>;
  for (const key of Object.keys(obj))
    if (!isSkipped(obj[key]) && (!w.passesUnchanged(key) || !passesUnchanged(w, obj[key]))) return false;
  return true;
}

/** True for what JSON.stringify leaves out of objects (and writes as null in arrays). */
function isSkipped(v: unknown): boolean {
  return v === undefined || typeof v === "function" || typeof v === "symbol";
}

/** A string as the report writes it: through the redaction boundary, then JSON-quoted. */
function stringText(s: string): string {
  return JSON.stringify(sanitizeOutboundText(s));
}

/** The text of an array of strings, finite numbers and booleans only; undefined for any other array. */
function flatArray(v: readonly unknown[], inner: string, indent: string): string | undefined {
  let out = "[";
  for (let i = 0; i < v.length; i++) {
    const item = v[i];
    let text: string;
    if (typeof item === "string") text = stringText(item);
    else if (typeof item === "number" && Number.isFinite(item)) text = JSON.stringify(item);
    else if (typeof item === "boolean") text = item ? "true" : "false";
    else return undefined;
    out += (i > 0 ? ",\n" : "\n") + inner + text;
  }
  return out + "\n" + indent + "]";
}

/**
 * JSON.stringify(item, null, 2) with every line after the first indented by `inner` (spaces, two a
 * level): `item` is stringified nested in as many arrays as `inner` has levels, where V8 indents it so
 * itself, and its text is cut out of theirs. Re-indenting the text afterwards copied every incident's
 * text once more (20 MB of a 1 GB run's tail, BENCHMARKS.md).
 */
function indentedJson(item: object, inner: string): string {
  const levels = inner.length / 2;
  let nested: unknown = item;
  for (let i = 0; i < levels; i++) nested = [nested];
  const text = JSON.stringify(nested, null, 2);
  // Level i (1-based) opens with "[", a line break and 2i spaces, and closes with a line break,
  // 2(i - 1) spaces and "]".
  const opening = 2 * levels + levels * (levels + 1);
  const closing = 2 * levels + levels * (levels - 1);
  return text.slice(opening, text.length - closing);
}

function writeValue(w: ChunkWriter, value: unknown, indent: string): void {
  let v = value;
  if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function")
    v = (v as { toJSON(): unknown }).toJSON();
  if (v === null) return w.put("null");
  switch (typeof v) {
    case "string":
      return w.put(stringText(v));
    case "number":
      return w.put(Number.isFinite(v) ? JSON.stringify(v) : "null");
    case "boolean":
      return w.put(v ? "true" : "false");
    case "bigint":
      throw new TypeError("Do not know how to serialize a BigInt");
    case "object":
      break;
    default:
      return w.put("null");
  }
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) return w.put("[]");
    // Most arrays in a report are pairs or lists of plain values (an incident's per-minute series):
    // one piece each, not one per token.
    const flat = flatArray(v, inner, indent);
    if (flat !== undefined) return w.put(flat);
    w.put("[\n");
    for (let i = 0; i < v.length; i++) {
      if (i > 0) w.put(",\n");
      w.put(inner);
      const item: unknown = v[i];
      if (isSkipped(item)) w.put("null");
      // An element (an incident, a caller) that the boundary would leave as it is: written by V8's own
      // JSON.stringify, faster than piece by piece, already indented to its place.
      else if (item !== null && typeof item === "object" && passesUnchanged(w, item))
        w.put(indentedJson(item, inner));
      else writeValue(w, item, inner);
    }
    w.put("\n" + indent + "]");
    return;
  }
  const obj = v as Record<string, unknown>;
  let first = true;
  for (const key of Object.keys(obj)) {
    const item = obj[key];
    if (isSkipped(item)) continue;
    w.put(first ? "{\n" : ",\n");
    first = false;
    w.put(inner + w.keyText(key) + ": ");
    writeValue(w, item, inner);
  }
  w.put(first ? "{}" : "\n" + indent + "}");
}
