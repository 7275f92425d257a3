import { isAscii, isUtf8 } from "node:buffer";
import { MAX_RECORD_BYTES } from "./lines.js";
import { containerEnds, nextInput } from "./skim/container-ends.js";

/** Where a value sits: one frame per enclosing container, outermost first. */
export interface JsonFrame {
  isObject: boolean;
  /** Current key (objects). */
  key: string;
  /** Current element index (arrays). */
  index: number;
}

export type ScanDecision = "descend" | "capture";

export interface JsonScanPolicy {
  /** For a container value at `frames`: walk into it, or capture it whole. Scalars are always captured. */
  decide(frames: readonly JsonFrame[], isObject: boolean): ScanDecision;
  /**
   * A captured value. `text` is its JSON text, or undefined when it could not be decoded (`problem`).
   * `line` is the physical line where the value starts (exact with `manyDocuments`; otherwise lines
   * inside captured values are not counted).
   */
  value(
    frames: readonly JsonFrame[],
    text: string | undefined,
    problem: CaptureProblem | undefined,
    bytes?: Buffer,
    line?: number,
  ): void;
  /**
   * Optional: a captured object or array of ASCII bytes, before its text is made; true when the policy
   * took it, and `value` is then not called for it.
   */
  rawValue?(frames: readonly JsonFrame[], bytes: Buffer): boolean;
  /**
   * The structure is broken at the shallow level, or the input ended early; the rest is skipped.
   * `line` is the physical line where it was noticed (exact with `manyDocuments`, as for `value`).
   */
  fail(frames: readonly JsonFrame[], reason: string, line?: number): void;
}

export type CaptureProblem = "invalid-utf8" | "too-large";

const enum State {
  Value,
  ValueOrClose,
  Key,
  KeyOrClose,
  Colon,
  AfterValue,
  Done,
  Failed,
}

const enum Capture {
  None,
  Container,
  String,
  Literal,
  Key,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Line feeds in buf[from, to): a native search per line, so compact JSON (few or none) costs next to
 * nothing. Searched in a view that ends at `to`: a search of the whole buffer ran on to the next line
 * feed, the end of an Event Hubs event's line, some 100 records later, for every record of it.
 */
function countLineFeeds(buf: Buffer, from: number, to: number): number {
  const view = buf.subarray(from, to);
  let count = 0;
  for (let i = view.indexOf(0x0a); i >= 0; i = view.indexOf(0x0a, i + 1)) count++;
  return count;
}

function startsLiteral(c: number): boolean {
  // digits, minus, and the first letters of true/false/null (anything else is malformed anyway and
  // JSON.parse will say so once captured).
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || (c >= 0x61 && c <= 0x7a);
}

/**
 * Streaming JSON walker over Buffers: follows the shallow structure (arrays, objects, keys) and hands
 * back whole values at the places the policy asks for (each element of a top-level array, each row of a
 * Logs API table), so memory is bounded by one value, never the file. Values are captured as bytes and
 * parsed by JSON.parse, which is far faster than tokenising everything in JS.
 *
 * With `manyDocuments`, the input may hold several top-level values one after another (objects saved
 * pretty-printed, `jq .` output): each is handed to the policy in turn.
 */
export class JsonStreamScanner {
  private readonly frames: JsonFrame[] = [];
  private state: State = State.Value;
  private capture: Capture = Capture.None;
  private parts: Buffer[] = [];
  private capturedBytes = 0;
  private tooLarge = false;
  /** A container's walk where the last push ended inside it (ContainerEnds.end). */
  private containerState = 0;
  /** The bytes of the current push, as ContainerEnds names them. */
  private input = 0;
  private inString = false;
  private escaped = false;
  /** Physical line of the next byte, and of the value being captured (for rejections). */
  private line = 1;
  private valueLine = 1;

  constructor(
    private readonly policy: JsonScanPolicy,
    private readonly maxValueBytes: number = MAX_RECORD_BYTES,
    private readonly manyDocuments = false,
  ) {}

  push(buf: Buffer): void {
    const n = buf.length;
    let i = 0;
    this.input = nextInput();
    while (i < n) {
      if (this.capture !== Capture.None) {
        i = this.scanCapture(buf, i);
        continue;
      }
      const c = buf[i]!;
      if (isSpace(c)) {
        if (c === 0x0a) this.line++;
        i++;
        continue;
      }
      switch (this.state) {
        case State.Done:
          if (this.manyDocuments) {
            // The next document starts here; read this byte again as the start of a value.
            this.state = State.Value;
            break;
          }
          this.failAt(`unexpected data after the end of the JSON document`);
          return;
        case State.Failed:
          return;
        case State.Value:
        case State.ValueOrClose: {
          if (c === 0x5d && this.state === State.ValueOrClose) {
            this.close(false);
            i++;
            break;
          }
          if (c === 0x7b || c === 0x5b) {
            const isObject = c === 0x7b;
            if (this.policy.decide(this.frames, isObject) === "descend") {
              this.frames.push({ isObject, key: "", index: 0 });
              this.state = isObject ? State.KeyOrClose : State.ValueOrClose;
              i++;
            } else {
              this.beginCapture(Capture.Container);
            }
          } else if (c === QUOTE) {
            this.beginCapture(Capture.String);
          } else if (startsLiteral(c)) {
            this.beginCapture(Capture.Literal);
          } else {
            this.failAt(`unexpected '${String.fromCharCode(c)}' where a value should start`);
            return;
          }
          break;
        }
        case State.Key:
        case State.KeyOrClose:
          if (c === 0x7d && this.state === State.KeyOrClose) {
            this.close(true);
            i++;
          } else if (c === QUOTE) {
            this.beginCapture(Capture.Key);
          } else {
            this.failAt(`expected a key string, found '${String.fromCharCode(c)}'`);
            return;
          }
          break;
        case State.Colon:
          if (c !== 0x3a) {
            this.failAt(`expected ':' after a key`);
            return;
          }
          this.state = State.Value;
          i++;
          break;
        case State.AfterValue: {
          const top = this.frames[this.frames.length - 1];
          if (!top) {
            this.state = State.Done;
            break;
          }
          if (c === 0x2c) {
            if (top.isObject) this.state = State.Key;
            else {
              top.index++;
              this.state = State.Value;
            }
            i++;
          } else if ((c === 0x7d && top.isObject) || (c === 0x5d && !top.isObject)) {
            this.close(top.isObject);
            i++;
          } else {
            this.failAt(`expected ',' or '${top.isObject ? "}" : "]"}', found '${String.fromCharCode(c)}'`);
            return;
          }
          break;
        }
      }
    }
    // A value still open at the chunk's end keeps its bytes: copies, as the chunk's memory is reused.
    if (this.capture !== Capture.None)
      for (let k = 0; k < this.parts.length; k++)
        if (this.parts[k]!.buffer === buf.buffer) this.parts[k] = Buffer.from(this.parts[k]!);
  }

  end(): void {
    if (this.state === State.Failed) return;
    if (this.capture !== Capture.None) {
      this.capture = Capture.None;
      this.parts = [];
      // Named where the cut value starts: that is the record a reader goes looking for.
      this.failAt("the file ends inside a value (truncated)", this.valueLine);
      return;
    }
    if (this.frames.length > 0) this.failAt("the file ends before the JSON document is closed (truncated)");
  }

  /** True when nothing but whitespace was seen. */
  get empty(): boolean {
    return this.state === State.Value && this.frames.length === 0 && this.capture === Capture.None;
  }

  private close(_isObject: boolean): void {
    this.frames.pop();
    this.state = this.frames.length === 0 ? State.Done : State.AfterValue;
  }

  private failAt(reason: string, line = this.line): void {
    this.state = State.Failed;
    this.capture = Capture.None;
    this.parts = [];
    this.policy.fail(this.frames, reason, line);
  }

  private beginCapture(kind: Capture): void {
    this.capture = kind;
    this.parts = [];
    this.capturedBytes = 0;
    this.tooLarge = false;
    this.containerState = 0;
    this.inString = false;
    this.escaped = false;
    this.valueLine = this.line;
  }

  /** Consumes bytes of the value being captured from `start`; returns where scanning continues. */
  private scanCapture(buf: Buffer, start: number): number {
    const n = buf.length;
    let i = start;
    let done = false;
    let end = n;
    switch (this.capture) {
      case Capture.Container: {
        const ends = containerEnds();
        const at = ends.end(buf, i, this.containerState, this.input);
        if (at >= 0) {
          done = true;
          end = at;
        } else this.containerState = ends.carried;
        break;
      }
      case Capture.String:
      case Capture.Key: {
        // The opening quote is at `start` on the first call.
        let escaped = this.escaped;
        if (this.capturedBytes === 0 && !this.inString) {
          this.inString = true;
          i++;
        }
        while (i < n) {
          const c = buf[i]!;
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) {
            i++;
            done = true;
            end = i;
            break;
          }
          i++;
        }
        this.escaped = escaped;
        break;
      }
      case Capture.Literal: {
        while (i < n) {
          const c = buf[i]!;
          if (c === 0x2c || c === 0x5d || c === 0x7d || isSpace(c)) {
            done = true;
            end = i;
            break;
          }
          i++;
        }
        break;
      }
    }
    this.keep(buf, start, done ? end : n);
    // Only where records are located by line: counting costs a native search per line of every value.
    if (this.manyDocuments) this.line += countLineFeeds(buf, start, done ? end : n);
    if (done) this.finishCapture();
    return done ? end : n;
  }

  private keep(buf: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.capturedBytes += to - from;
    if (this.tooLarge) return;
    if (this.capturedBytes > this.maxValueBytes) {
      this.tooLarge = true;
      this.parts = [];
      return;
    }
    this.parts.push(buf.subarray(from, to));
  }

  private finishCapture(): void {
    const kind = this.capture;
    this.capture = Capture.None;
    this.inString = false;
    let text: string | undefined;
    let problem: CaptureProblem | undefined;
    let bytes: Buffer | undefined;
    /** Whether the policy took the captured container from its bytes (rawValue): no text is made. */
    let taken = false;
    if (this.tooLarge) problem = "too-large";
    else {
      bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.capturedBytes);
      if (isAscii(bytes)) {
        taken = kind === Capture.Container && (this.policy.rawValue?.(this.frames, bytes) ?? false);
        if (!taken) text = bytes.toString("latin1");
      } else if (isUtf8(bytes)) {
        text = bytes.toString("utf8");
        bytes = undefined;
      } else {
        problem = "invalid-utf8";
        bytes = undefined;
      }
    }
    this.parts = [];
    if (kind === Capture.Key) {
      let key: unknown;
      try {
        key = text === undefined ? undefined : JSON.parse(text);
      } catch {
        key = undefined;
      }
      if (typeof key !== "string") {
        this.failAt("unreadable object key");
        return;
      }
      this.frames[this.frames.length - 1]!.key = key;
      this.state = State.Colon;
      return;
    }
    this.state = this.frames.length === 0 ? State.Done : State.AfterValue;
    // `bytes` only for ASCII values, where text offsets equal byte offsets (fast paths rely on it).
    if (!taken) this.policy.value(this.frames, text, problem, bytes, this.valueLine);
  }
}
