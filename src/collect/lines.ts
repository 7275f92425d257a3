import { isAscii, isUtf8 } from "node:buffer";

/**
 * A line a skim declined, chunk[from, stop), the index-th of its run; `ascii` when the skim saw only
 * ASCII in it, `authFailure` when it also saw a 401 or 403 status.
 */
export type DeclineLine = (
  from: number,
  stop: number,
  index: number,
  ascii?: boolean,
  authFailure?: boolean,
) => void;

/** Longest record accepted (bytes of one line / one JSON element / one CSV record); longer ones are rejected. */
export const MAX_RECORD_BYTES = 1 << 20;

const NEWLINE = 0x0a;

/** Why a physical line could not be decoded. */
export type LineProblem = "invalid-utf8" | "too-long";

export interface LineHandler {
  /**
   * One physical line, without its line break. `text` is the decoded line (U+FFFD in place of invalid
   * bytes when `problem` is "invalid-utf8"; empty when "too-long"). `unterminated` marks a last line with
   * no line break after it (possibly a truncated record). For ASCII lines `bytes` holds the line's bytes
   * from `bytesStart` (so text.charCodeAt(k) === bytes[bytesStart + k]), for byte-level fast paths.
   */
  line(
    text: string,
    lineNo: number,
    problem: LineProblem | undefined,
    unterminated: boolean,
    bytes?: Buffer,
    bytesStart?: number,
  ): void;
  /**
   * Optional: reads a run of complete lines of valid UTF-8, chunk[start, end) split at `\n` (a `\r`
   * before it dropped; the last line ends at `end`), itself, taking only lines all ASCII. Every line it
   * does not take it hands to `decline`, in order, with its index in the run, and the splitter passes
   * that line to `line`. Returns the number of lines in the run.
   */
  skimRun?(chunk: Buffer, start: number, end: number, maxLineBytes: number, decline: DeclineLine): number;
  /**
   * Optional: an ASCII line skimRun declined, as bytes[start, end), before it is decoded; true when the
   * handler took it, false to have it decoded and passed to `line`. Lines of 401/403s are nearly all
   * declined, and are read from their bytes without the text of the whole line; `authFailure` when the
   * skim saw the line's status to be 401 or 403.
   */
  declined?(bytes: Buffer, start: number, end: number, lineNo: number, authFailure?: boolean): boolean;
}

/**
 * Splits a byte stream into lines on Buffers. Whole runs of complete lines are UTF-8-checked and decoded
 * at once (a line break never falls inside a multi-byte character), so the common case costs one native
 * check and one decode per chunk; only chunks with bad bytes are examined line by line.
 */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** Inside a line already reported as too long: drop bytes until its end. */
  private skipping = false;
  private lineNo = 0;
  private first = true;

  constructor(
    private readonly handler: LineHandler,
    private readonly maxLineBytes: number = MAX_RECORD_BYTES,
  ) {}

  /** Physical lines handed on so far. */
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Buffer): void {
    let start = 0;
    if (this.carryBytes > 0 || this.skipping) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) {
        this.extendCarry(chunk);
        return;
      }
      if (this.skipping) {
        this.skipping = false;
      } else {
        this.carry.push(chunk.subarray(0, nl));
        const whole = Buffer.concat(this.carry, this.carryBytes + nl);
        this.carry = [];
        this.carryBytes = 0;
        if (whole.length > this.maxLineBytes) this.emitTooLong();
        else this.emitSingle(whole, 0, whole.length, false);
      }
      start = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(NEWLINE);
    if (lastNl >= start) {
      this.emitRun(chunk, start, lastNl);
      start = lastNl + 1;
    }
    if (start < chunk.length) this.extendCarry(chunk.subarray(start));
  }

  /** Flushes the last line when the input does not end with a line break. */
  end(): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    if (this.carryBytes === 0) return;
    const whole = Buffer.concat(this.carry, this.carryBytes);
    this.carry = [];
    this.carryBytes = 0;
    this.emitSingle(whole, 0, whole.length, true);
  }

  private extendCarry(part: Buffer): void {
    if (this.skipping) return;
    if (this.carryBytes + part.length > this.maxLineBytes) {
      this.carry = [];
      this.carryBytes = 0;
      this.skipping = true;
      this.emitTooLong();
      return;
    }
    // Copy: the stream may reuse the chunk's memory, and a small copy lets the big chunk be freed.
    this.carry.push(Buffer.from(part));
    this.carryBytes += part.length;
  }

  private emitTooLong(): void {
    this.lineNo++;
    this.first = false;
    this.handler.line("", this.lineNo, "too-long", false);
  }

  /**
   * Lines in chunk[start, end) where chunk[end] is the last line break of the run. A line handed to
   * `line` is decoded on its own: strings sliced out of it then pin only that line, never a whole chunk,
   * when a later stage keeps them (samples, top-K callers).
   */
  private emitRun(chunk: Buffer, start: number, end: number): void {
    // A run past ASCII is skimmed too: a blob's name in ObjectKey may be any text, and one such line
    // would otherwise send the chunk's other lines, some 700, to the full reader. The skim takes ASCII
    // lines only, so the run is not checked first: each line it declines is.
    if (this.handler.skimRun) {
      this.emitSkimmedRun(chunk, start, end);
      return;
    }
    const run = chunk.subarray(start, end);
    // Logs are nearly always ASCII: latin1 decoding of ASCII is exact and several times cheaper.
    const ascii = isAscii(run);
    if (!ascii && !isUtf8(run)) {
      let from = start;
      while (from <= end) {
        const nl = chunk.indexOf(NEWLINE, from);
        const stop = nl < 0 || nl > end ? end : nl;
        this.emitSingle(chunk, from, stop, false);
        from = stop + 1;
      }
      return;
    }
    const encoding = ascii ? "latin1" : "utf8";
    let from = start;
    while (from <= end) {
      let stop = chunk.indexOf(NEWLINE, from);
      if (stop < 0 || stop > end) stop = end;
      const next = stop + 1;
      if (stop > from && chunk[stop - 1] === 13) stop--;
      this.emitDecoded(chunk, from, stop, encoding);
      from = next;
    }
  }

  /**
   * One line of chunk[from, stop), decoded on its own. Its bytes go with it only when it is ASCII: the
   * handler reads them at its text's offsets, which a character of more than one byte would shift.
   */
  private emitDecoded(
    chunk: Buffer,
    from: number,
    stop: number,
    encoding: "latin1" | "utf8",
    problem?: "invalid-utf8",
  ): void {
    this.lineNo++;
    if (stop - from > this.maxLineBytes) {
      this.handler.line("", this.lineNo, "too-long", false);
      return;
    }
    const ascii = encoding === "latin1" || isAscii(chunk.subarray(from, stop));
    let line = chunk.toString(ascii ? "latin1" : "utf8", from, stop);
    if (this.first) {
      this.first = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    }
    if (ascii) this.handler.line(line, this.lineNo, undefined, false, chunk, from);
    else this.handler.line(line, this.lineNo, problem, false);
  }

  /**
   * A run for a handler that skims: a line it declines is decoded on its own, as latin1 when it is ASCII
   * (the handler may take it from its bytes first), else as UTF-8, flagged when it is not valid UTF-8.
   */
  private emitSkimmedRun(chunk: Buffer, start: number, end: number): void {
    // A byte order mark opens only a file's first line, which the skim then declines: it is not text.
    const bom = this.first && chunk[start] === 0xef && chunk[start + 1] === 0xbb && chunk[start + 2] === 0xbf;
    this.first = false;
    const before = this.lineNo;
    const lines = this.handler.skimRun!(
      chunk,
      start,
      end,
      this.maxLineBytes,
      (from, stop, index, ascii, authFailure) => {
        this.lineNo = before + index;
        if (bom && index === 0) from += 3;
        // Most declined lines are 401/403s the skim saw to be ASCII: not looked at again.
        const line = ascii ? undefined : chunk.subarray(from, stop);
        if (line === undefined || isAscii(line)) {
          if (
            stop - from <= this.maxLineBytes &&
            this.handler.declined?.(chunk, from, stop, this.lineNo + 1, authFailure)
          )
            return;
          this.emitDecoded(chunk, from, stop, "latin1");
        } else this.emitDecoded(chunk, from, stop, "utf8", isUtf8(line) ? undefined : "invalid-utf8");
      },
    );
    this.lineNo = before + lines;
  }

  private emitSingle(buf: Buffer, start: number, end: number, unterminated: boolean): void {
    if (end > start && buf[end - 1] === 13) end--;
    this.lineNo++;
    if (end - start > this.maxLineBytes) {
      this.first = false;
      this.handler.line("", this.lineNo, "too-long", unterminated);
      return;
    }
    const bytes = buf.subarray(start, end);
    const ascii = isAscii(bytes);
    const valid = ascii || isUtf8(bytes);
    let text = buf.toString(ascii ? "latin1" : "utf8", start, end);
    if (this.first) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (ascii) this.handler.line(text, this.lineNo, undefined, unterminated, buf, start);
    else this.handler.line(text, this.lineNo, valid ? undefined : "invalid-utf8", unterminated);
  }
}
