import { z } from "zod";
import type { RejectedRecord, RejectionSink } from "../engine/contracts.js";
import { ClassicLogParser, looksLikeClassicLog, type ClassicFieldsReader } from "./classic-log.js";
import {
  JsonStreamScanner,
  type CaptureProblem,
  type JsonFrame,
  type JsonScanPolicy,
} from "./json-scanner.js";
import {
  LineSplitter,
  MAX_RECORD_BYTES,
  type DeclineLine,
  type LineHandler,
  type LineProblem,
} from "./lines.js";
import { NOT_HANDLED, rejectAt, type RecordLocation } from "./record-location.js";

/** Turns one decoded record into T, or rejects it (and returns undefined). */
export interface RecordReader<T> {
  /** A record already parsed to an object keyed by column or field name. */
  fromObject(raw: Record<string, unknown>, at: RecordLocation, sink: RejectionSink): T | undefined;
  /**
   * Optional fast path for one ASCII JSON Lines line, given as bytes[start, end) and its text, or
   * without it (a line the skim declined, not decoded yet); NOT_HANDLED sends the line through
   * JSON.parse + fromObject instead (decoding it first). `authFailure`: a skim saw the line's status
   * to be 401 or 403.
   */
  fromJsonBytes?(
    bytes: Uint8Array,
    start: number,
    end: number,
    text: string | undefined,
    at: RecordLocation,
    sink: RejectionSink,
    authFailure?: boolean,
  ): T | undefined | typeof NOT_HANDLED;
  /**
   * Optional fast path for runs of JSON Lines (LineHandler.skimRun): pushes the records of the
   * lines it takes to `out` and leaves the others to the other paths through `decline` (it never rejects).
   */
  skimJsonLines?(
    chunk: Buffer,
    start: number,
    end: number,
    maxLineBytes: number,
    out: RecordSink<T>,
    decline: DeclineLine,
  ): number;
  /**
   * Optional fast path for one record captured whole (ASCII; an element of an envelope or a JSON array,
   * on one line or pretty-printed): true when it pushed the record to `out`, false to leave it to the
   * other paths (it never rejects).
   */
  skimJsonRecord?(bytes: Buffer, out: RecordSink<T>): boolean;
  /** Classic Storage Analytics lines (src/collect/classic-log.ts); absent where they make no record. */
  fromClassicFields?: ClassicFieldsReader<T>;
}

/**
 * Where a parser puts the records it makes, in input order: an array the caller drains after each push,
 * or an observer that takes each record as it is made (see FileRecordParser).
 */
export interface RecordSink<T> {
  push(record: T): unknown;
}

/** The input forms a file can be in; detected from its first bytes. */
export type FileFormat =
  "json-lines" | "json-array" | "logs-api" | "records" | "csv" | "classic" | "json-objects";

const RECORD_FIELD = "(record)";
const FILE_FIELD = "(file)";

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Empty or only spaces, tabs and CRs (other characters, even Unicode spaces, make it a record). */
function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

interface Parser {
  push(chunk: Buffer): void;
  end(): void;
}

/** Reasons shared by every line-based form. */
function lineProblemReason(problem: LineProblem): string {
  return problem === "too-long"
    ? `line longer than ${MAX_RECORD_BYTES} bytes; skipped`
    : "not valid UTF-8 (the file must be UTF-8 encoded)";
}

/** Where a form's records go: those of `file` are mapped by `map` into `out`, rejections to `sink`. */
abstract class RecordTarget<T> {
  constructor(
    protected readonly file: string,
    protected readonly map: RecordReader<T>,
    protected readonly sink: RejectionSink,
    protected readonly out: RecordSink<T>,
  ) {}
}

/** A form read line by line. */
abstract class LineParser<T> extends RecordTarget<T> implements LineHandler, Parser {
  private readonly splitter = new LineSplitter(this);

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
  }

  get lines(): number {
    return this.splitter.lines;
  }

  abstract line(
    text: string,
    lineNo: number,
    problem: LineProblem | undefined,
    unterminated: boolean,
    bytes?: Buffer,
    bytesStart?: number,
  ): void;
}

/** NDJSON exports and archive JSON Lines: one JSON object per line. */
class JsonLinesParser<T> extends LineParser<T> {
  readonly skimRun = this.map.skimJsonLines
    ? (chunk: Buffer, start: number, end: number, maxLineBytes: number, decline: DeclineLine): number =>
        this.map.skimJsonLines!(chunk, start, end, maxLineBytes, this.out, decline)
    : undefined;

  /**
   * A line the skim declined, offered as bytes before it is decoded: read when the reader can do without
   * its text (a 401/403, whose values are copied out of the bytes), with the record or the rejection
   * `line` would give. False leaves the line to `line`.
   */
  declined(bytes: Buffer, start: number, end: number, lineNo: number, authFailure?: boolean): boolean {
    if (!this.map.fromJsonBytes) return false;
    const at: RecordLocation = { file: this.file, line: lineNo };
    const r = this.map.fromJsonBytes(bytes, start, end, undefined, at, this.sink, authFailure);
    if (r === NOT_HANDLED) return false;
    if (r !== undefined) this.out.push(r);
    return true;
  }

  line(
    text: string,
    lineNo: number,
    problem: LineProblem | undefined,
    unterminated: boolean,
    bytes?: Buffer,
    bytesStart?: number,
  ): void {
    const at: RecordLocation = { file: this.file, line: lineNo };
    if (problem) {
      rejectAt(this.sink, at, RECORD_FIELD, lineProblemReason(problem));
      return;
    }
    if (isBlank(text)) return;
    const hint = unterminated ? " (last line has no line break: truncated record?)" : "";
    mapJsonRecord(text, at, this.map, this.sink, this.out, bytes, bytesStart, hint, (t) =>
      this.concatenated(t, at),
    );
  }

  /**
   * Objects written one after another on one line (`jq -j -c .`): read each, all located at this line.
   * False (and nothing kept) unless the line is two or more JSON objects and nothing else; then one
   * malformed line stays one rejection.
   */
  private concatenated(text: string, at: RecordLocation): boolean {
    const records: T[] = [];
    const rejected: RejectedRecord[] = [];
    let values = 0;
    let broken = false;
    const policy = new JsonObjectsPolicy(this.file, this.map, { reject: (r) => rejected.push(r) }, records);
    const scanner = new JsonStreamScanner(
      {
        decide: () => policy.decide(),
        value: (frames, t, problem, bytes) => {
          values++;
          if (broken || t === undefined || t.charCodeAt(0) !== 0x7b || !isJson(t)) broken = true;
          else policy.value(frames, t, problem, bytes, at.line);
        },
        fail: () => (broken = true),
      },
      MAX_RECORD_BYTES,
      true,
    );
    scanner.push(Buffer.from(text, "utf8"));
    scanner.end();
    if (broken || values < 2) return false;
    for (const r of records) this.out.push(r);
    for (const r of rejected) this.sink.reject(r);
    return true;
  }
}

/**
 * One JSON object record: the reader's byte fast path when it has one (ASCII bytes only, so text offsets
 * are byte offsets), else JSON.parse and fromObject. `malformedHint` is added to a parse error.
 */
function mapJsonRecord<T>(
  text: string,
  at: RecordLocation,
  map: RecordReader<T>,
  sink: RejectionSink,
  out: RecordSink<T>,
  bytes?: Buffer,
  bytesStart = 0,
  malformedHint = "",
  /** Another reading of text that is not one JSON value; true when it took the record. */
  otherwise?: (text: string) => boolean,
): void {
  if (bytes !== undefined && map.fromJsonBytes) {
    const fast = map.fromJsonBytes(bytes, bytesStart, bytesStart + text.length, text, at, sink);
    if (fast !== NOT_HANDLED) {
      if (fast !== undefined) out.push(fast);
      return;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (otherwise?.(text)) return;
    const detail = err instanceof Error ? err.message : "parse error";
    rejectAt(sink, at, RECORD_FIELD, `malformed JSON: ${detail}${malformedHint}`);
    return;
  }
  if (!isPlainObject(value)) {
    rejectAt(sink, at, RECORD_FIELD, "not a JSON object");
    return;
  }
  const r = map.fromObject(value, at, sink);
  if (r !== undefined) out.push(r);
}

/**
 * RFC 4180 fields of one complete record (quoted fields, doubled quotes, embedded delimiters and
 * newlines), split at `delimiter` (a comma unless the header said otherwise: see csvDelimiterOf).
 */
export function splitCsvRecord(s: string, delimiter: CsvDelimiter = ","): string[] {
  if (s.indexOf('"') < 0) return s.split(delimiter);
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  for (;;) {
    if (s.charCodeAt(i) === 34) {
      let v = "";
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q < 0) {
          v += s.slice(i);
          i = n;
          break;
        }
        v += s.slice(i, q);
        if (s.charCodeAt(q + 1) === 34) {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // Lenient about text between a closing quote and the next delimiter: keep it rather than lose it.
      const c = s.indexOf(delimiter, i);
      if (c < 0) {
        out.push(v + s.slice(i));
        break;
      }
      out.push(v + s.slice(i, c));
      i = c + 1;
    } else {
      const c = s.indexOf(delimiter, i);
      if (c < 0) {
        out.push(s.slice(i));
        break;
      }
      out.push(s.slice(i, c));
      i = c + 1;
    }
  }
  return out;
}

export type CsvDelimiter = "," | ";" | "\t";
const CSV_DELIMITERS: readonly CsvDelimiter[] = [",", ";", "\t"];

/**
 * The delimiter of a CSV file, from its header: whichever of comma, semicolon and tab it holds most of
 * outside quotes. Excel and PowerShell's `Export-Csv -UseCulture` write `;` where the decimal separator
 * is a comma; a result grid copied from the portal or Kusto Explorer is tab-separated.
 */
export function csvDelimiterOf(header: string): CsvDelimiter {
  const unquoted = header.replace(/"[^"]*"/g, "");
  let best: CsvDelimiter = ",";
  let most = 0;
  for (const d of CSV_DELIMITERS) {
    const n = unquoted.split(d).length - 1;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}

function countQuotes(s: string): number {
  let count = 0;
  let i = s.indexOf('"');
  while (i >= 0) {
    count++;
    i = s.indexOf('"', i + 1);
  }
  return count;
}

const TIME_COLUMNS = new Set(["TimeGenerated", "time"]);
/** The first line of Windows PowerShell's Export-Csv: `#TYPE System.Management.Automation.PSCustomObject`. */
const POWERSHELL_TYPE_LINE = /^#TYPE [\w.`[\],+]+\s*$/;

/**
 * CSV with a header row, on top of the line splitter: a record spans physical lines while a quoted field
 * is open (odd number of quotes so far). The portal writes headers like `TimeGenerated [UTC]`; the
 * delimiter is the header's (comma, semicolon or tab), and Windows PowerShell's `#TYPE …` line before the
 * header is skipped.
 */
class CsvParser<T> extends LineParser<T> {
  private header: string[] | undefined;
  private delimiter: CsvDelimiter = ",";
  /** Why rows cannot be read (unusable header), reported once per row. */
  private headerProblem: string | undefined;
  private headerLine = 0;
  private pending: string[] = [];
  private pendingChars = 0;
  private pendingQuotes = 0;
  private pendingStart = 0;
  private pendingProblem: string | undefined;

  override end(): void {
    super.end();
    if (this.pending.length > 0) {
      const at = { file: this.file, line: this.pendingStart };
      rejectAt(this.sink, at, RECORD_FIELD, "quoted field not closed before the end of the file (truncated)");
      this.pending = [];
    }
  }

  line(text: string, lineNo: number, problem: LineProblem | undefined): void {
    if (this.pending.length === 0) {
      if (problem === "too-long") {
        rejectAt(this.sink, { file: this.file, line: lineNo }, RECORD_FIELD, lineProblemReason(problem));
        return;
      }
      if (isBlank(text)) return;
      this.pendingStart = lineNo;
      this.pendingProblem = problem ? lineProblemReason(problem) : undefined;
      const quotes = text.indexOf('"') < 0 ? 0 : countQuotes(text);
      if ((quotes & 1) === 0) {
        this.record(text, lineNo, this.pendingProblem);
        return;
      }
      this.pending.push(text);
      this.pendingChars = text.length;
      this.pendingQuotes = quotes;
      return;
    }
    if (problem === "too-long" || this.pendingChars + text.length > MAX_RECORD_BYTES) {
      // The open quote can no longer be tracked reliably: drop the record and resynchronise here.
      rejectAt(
        this.sink,
        { file: this.file, line: this.pendingStart },
        RECORD_FIELD,
        `record longer than ${MAX_RECORD_BYTES} bytes (or a quote is never closed); skipped`,
      );
      this.pending = [];
      return;
    }
    if (problem && !this.pendingProblem) this.pendingProblem = lineProblemReason(problem);
    this.pending.push(text);
    this.pendingChars += text.length + 1;
    this.pendingQuotes += countQuotes(text);
    if ((this.pendingQuotes & 1) === 0) {
      const whole = this.pending.join("\n");
      this.pending = [];
      this.record(whole, this.pendingStart, this.pendingProblem);
    }
  }

  private record(text: string, lineNo: number, problem: string | undefined): void {
    const at: RecordLocation = { file: this.file, line: lineNo };
    if (this.header === undefined) {
      this.readHeader(text, lineNo, problem);
      return;
    }
    if (problem) {
      rejectAt(this.sink, at, RECORD_FIELD, problem);
      return;
    }
    if (this.headerProblem) {
      rejectAt(this.sink, at, RECORD_FIELD, this.headerProblem);
      return;
    }
    const fields = splitCsvRecord(text, this.delimiter);
    const header = this.header;
    if (fields.length !== header.length) {
      rejectAt(
        this.sink,
        at,
        RECORD_FIELD,
        `${fields.length} fields where the header on line ${this.headerLine} has ${header.length}`,
      );
      return;
    }
    const row: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) {
      const v = fields[i]!;
      // An empty cell is an absent value, as in the export it came from.
      if (v.length > 0) row[header[i]!] = v;
    }
    const r = this.map.fromObject(row, at, this.sink);
    if (r !== undefined) this.out.push(r);
  }

  private readHeader(text: string, lineNo: number, problem: string | undefined): void {
    // Windows PowerShell's Export-Csv writes the objects' type first unless told -NoTypeInformation.
    if (!problem && POWERSHELL_TYPE_LINE.test(text)) return;
    this.headerLine = lineNo;
    const at: RecordLocation = { file: this.file, line: lineNo };
    this.delimiter = csvDelimiterOf(text);
    const names = splitCsvRecord(text, this.delimiter).map((raw) => raw.trim());
    let localTime: string | undefined;
    this.header = names.map((name) => {
      const bracket = name.endsWith("]") ? name.lastIndexOf(" [") : -1;
      if (bracket < 0) return name;
      const base = name.slice(0, bracket).trim();
      const unit = name.slice(bracket + 2, -1).trim();
      if (TIME_COLUMNS.has(base) && unit.toUpperCase() !== "UTC") localTime = name;
      return base;
    });
    if (problem) this.headerProblem = `header on line ${lineNo} unreadable: ${problem}`;
    else if (/^- [A-Za-z_]\w*:/.test(text))
      this.headerProblem = `line ${lineNo} is YAML (as 'az … --output yaml' writes), not a header row: export with --output json`;
    else if (names.length === 1 && names[0]!.split(/\s{2,}/).some((n) => TIME_COLUMNS.has(n)))
      // `az … --output table` pads columns with spaces and cuts long values to fit.
      this.headerProblem = `line ${lineNo} is a table heading (as 'az … --output table' writes, long values cut to fit): export with --output json`;
    else if (names.some((n) => LOOKS_LIKE_A_TIME.test(n)))
      // `az … --output tsv` (and some scripts) write rows without the column names.
      this.headerProblem = `line ${lineNo} is a row, not a header: the file has no column names (as 'az … --output tsv' writes); export with --output json, or as CSV with its header row`;
    else if (!this.header.some((n) => TIME_COLUMNS.has(n)))
      this.headerProblem = `not a recognised log export: the header on line ${lineNo} has no TimeGenerated column`;
    else if (localTime)
      this.headerProblem = `times are exported in local time ('${localTime}'); export again with UTC times`;
    if (this.headerProblem) rejectAt(this.sink, at, "(header)", this.headerProblem);
  }
}

/** A cell that is a date-time, never a column name: the "header" is a row. */
const LOOKS_LIKE_A_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|^\d{1,2}\/\d{1,2}\/\d{4},? \d{1,2}:\d{2}/;

/** A JSON array of row objects (portal / `az monitor log-analytics query` output). */
class JsonArrayPolicy<T> extends RecordTarget<T> implements JsonScanPolicy {
  decide(frames: readonly JsonFrame[]): "descend" | "capture" {
    return frames.length === 0 ? "descend" : "capture";
  }

  rawValue(frames: readonly JsonFrame[], bytes: Buffer): boolean {
    return frames.length > 0 && skimmed(this.map, bytes, this.out);
  }

  value(
    frames: readonly JsonFrame[],
    text: string | undefined,
    problem: CaptureProblem | undefined,
    bytes?: Buffer,
  ): void {
    const index = frames[0]?.index ?? 0;
    const at: RecordLocation = {
      file: this.file,
      line: index + 1,
      unit: `element ${index + 1} of the JSON array`,
    };
    if (frames.length === 0) {
      rejectAt(this.sink, { file: this.file, line: 1 }, FILE_FIELD, "a JSON value, not an array of rows");
      return;
    }
    mapCapturedObject(text, problem, at, this.map, this.sink, this.out, bytes);
  }

  fail(frames: readonly JsonFrame[], reason: string): void {
    const index = frames[0]?.index ?? 0;
    rejectAt(
      this.sink,
      { file: this.file, line: index + 1, unit: `JSON array near element ${index + 1}` },
      FILE_FIELD,
      `${reason}; the rest of the file was skipped`,
    );
  }
}

function mapCapturedObject<T>(
  text: string | undefined,
  problem: CaptureProblem | undefined,
  at: RecordLocation,
  map: RecordReader<T>,
  sink: RejectionSink,
  out: RecordSink<T>,
  bytes?: Buffer,
): void {
  if (text === undefined) {
    rejectAt(
      sink,
      at,
      RECORD_FIELD,
      problem === "too-large"
        ? `record larger than ${MAX_RECORD_BYTES} bytes; skipped`
        : "not valid UTF-8 (the file must be UTF-8 encoded)",
    );
    return;
  }
  mapJsonRecord(text, at, map, sink, out, bytes);
}

/** Whether the reader's skim took the captured record `bytes` (ASCII) and pushed it to `out`. */
function skimmed<T>(map: RecordReader<T>, bytes: Buffer, out: RecordSink<T>): boolean {
  return map.skimJsonRecord?.(bytes, out) ?? false;
}

/**
 * JSON objects one after another, pretty-printed or not (`jq .` of a `PT1H.json`, a record saved from a
 * portal or a repository): each object is a record, located by the physical line it starts on.
 */
class JsonObjectsPolicy<T> extends RecordTarget<T> implements JsonScanPolicy {
  decide(): "capture" {
    return "capture";
  }

  rawValue(_frames: readonly JsonFrame[], bytes: Buffer): boolean {
    return skimmed(this.map, bytes, this.out);
  }

  value(
    _frames: readonly JsonFrame[],
    text: string | undefined,
    problem: CaptureProblem | undefined,
    bytes?: Buffer,
    line = 1,
  ): void {
    mapCapturedObject(text, problem, { file: this.file, line }, this.map, this.sink, this.out, bytes);
  }

  fail(_frames: readonly JsonFrame[], reason: string, line = 1): void {
    rejectAt(
      this.sink,
      { file: this.file, line },
      FILE_FIELD,
      `${reason}; the rest of the file was skipped (expected JSON objects one after another: fix the file, or re-save it one record per line with jq -c .)`,
    );
  }
}

/** The keys of a list envelope: Azure Monitor's `records`, and `value` of Azure's REST list responses. */
const ENVELOPE_KEYS = new Set(["records", "value"]);

/**
 * A list envelope: Azure Monitor's `{"records": [record, …]}`, what a diagnostic setting streams to Event
 * Hubs (each event's body; dumped one per line or saved pretty-printed) and what older archives hold in
 * one blob; and `{"value": [event, …], "nextLink": …}`, an Azure REST list response as the Activity Log
 * API (or `az rest`) returns it. Each element is a record (archive or Log Analytics shape, as in JSON
 * Lines; or an activity event), located by the physical line it starts on; other keys are ignored.
 */
class RecordsEnvelopePolicy<T> extends RecordTarget<T> implements JsonScanPolicy {
  private envelopes = 0;

  decide(frames: readonly JsonFrame[], isObject: boolean): "descend" | "capture" {
    if (frames.length === 0) {
      if (!isObject) return "capture";
      this.envelopes++;
      return "descend";
    }
    // The list is walked; anything else is captured (and refused in `value` when it is the list's key).
    if (frames.length === 1) return ENVELOPE_KEYS.has(frames[0]!.key) && !isObject ? "descend" : "capture";
    return "capture";
  }

  /** A record of the list (the envelope's other keys, and the list when it is not one, go to `value`). */
  rawValue(frames: readonly JsonFrame[], bytes: Buffer): boolean {
    return frames.length > 1 && skimmed(this.map, bytes, this.out);
  }

  value(
    frames: readonly JsonFrame[],
    text: string | undefined,
    problem: CaptureProblem | undefined,
    bytes?: Buffer,
    line = 1,
  ): void {
    if (frames.length === 0) {
      rejectAt(this.sink, { file: this.file, line }, FILE_FIELD, 'expected an envelope {"records": [...]}');
      return;
    }
    if (frames.length === 1) {
      const key = frames[0]!.key;
      if (ENVELOPE_KEYS.has(key))
        rejectAt(this.sink, { file: this.file, line }, key, "must be a list of records");
      return;
    }
    const at: RecordLocation = {
      file: this.file,
      line,
      unit: `record ${frames[1]!.index + 1} of envelope ${this.envelopes}`,
    };
    mapCapturedObject(text, problem, at, this.map, this.sink, this.out, bytes);
  }

  fail(_frames: readonly JsonFrame[], reason: string, line = 1): void {
    rejectAt(
      this.sink,
      { file: this.file, line },
      FILE_FIELD,
      `${reason}; the rest of the file was skipped (expected {"records": [...]} envelopes one after another)`,
    );
  }
}

const logsApiColumnsSchema = z.array(z.object({ name: z.string(), type: z.string().optional() }));

/** The Logs API response `{"tables":[{"name","columns":[{name,type}],"rows":[[…]]}]}`. */
class LogsApiPolicy<T> extends RecordTarget<T> implements JsonScanPolicy {
  private columns: string[] | undefined;
  private tableName = "";

  decide(frames: readonly JsonFrame[]): "descend" | "capture" {
    switch (frames.length) {
      case 0:
        return "descend";
      case 1:
        return frames[0]!.key === "tables" ? "descend" : "capture";
      case 2:
        // Each table: start over with its own columns.
        this.columns = undefined;
        this.tableName = `table ${frames[1]!.index + 1}`;
        return "descend";
      case 3:
        return frames[2]!.key === "rows" ? "descend" : "capture";
      default:
        return "capture";
    }
  }

  value(frames: readonly JsonFrame[], text: string | undefined, problem: CaptureProblem | undefined): void {
    if (frames.length === 3) {
      const key = frames[2]!.key;
      if (key === "name" && text !== undefined) {
        try {
          const name: unknown = JSON.parse(text);
          if (typeof name === "string") this.tableName = `table "${name}"`;
        } catch {
          // The table name only labels rejections.
        }
      } else if (key === "columns") {
        this.readColumns(frames, text, problem);
      }
      return;
    }
    if (frames.length !== 4) return;
    const index = frames[3]!.index;
    const at: RecordLocation = {
      file: this.file,
      line: index + 1,
      unit: `row ${index + 1} of ${this.tableName}`,
    };
    if (text === undefined) {
      mapCapturedObject(undefined, problem, at, this.map, this.sink, this.out);
      return;
    }
    const columns = this.columns;
    if (!columns) {
      rejectAt(this.sink, at, RECORD_FIELD, "row before (or without) a valid columns list");
      return;
    }
    let cells: unknown;
    try {
      cells = JSON.parse(text);
    } catch (err) {
      rejectAt(
        this.sink,
        at,
        RECORD_FIELD,
        `malformed JSON: ${err instanceof Error ? err.message : "parse error"}`,
      );
      return;
    }
    if (!Array.isArray(cells) || cells.length !== columns.length) {
      rejectAt(
        this.sink,
        at,
        RECORD_FIELD,
        Array.isArray(cells)
          ? `${cells.length} cells where the table has ${columns.length} columns`
          : "a row must be an array of cells",
      );
      return;
    }
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) {
      const v: unknown = cells[i];
      if (v !== null && v !== "") row[columns[i]!] = v;
    }
    const r = this.map.fromObject(row, at, this.sink);
    if (r !== undefined) this.out.push(r);
  }

  private readColumns(
    frames: readonly JsonFrame[],
    text: string | undefined,
    problem: CaptureProblem | undefined,
  ) {
    let parsed: unknown;
    try {
      parsed = text === undefined ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const columns = logsApiColumnsSchema.safeParse(parsed);
    if (!columns.success) {
      rejectAt(
        this.sink,
        { file: this.file, line: frames[1]!.index + 1, unit: this.tableName },
        "columns",
        problem === "too-large" ? "columns list too large" : "columns must be a list of {name, type}",
      );
      return;
    }
    this.columns = columns.data.map((c) => c.name);
  }

  fail(frames: readonly JsonFrame[], reason: string): void {
    const row = frames[3]?.index;
    const where =
      row === undefined ? "Logs API response" : `Logs API response near row ${row + 1} of ${this.tableName}`;
    rejectAt(
      this.sink,
      { file: this.file, line: (row ?? 0) + 1, unit: where },
      FILE_FIELD,
      `${reason}; the rest of the file was skipped`,
    );
  }
}

/** Bytes looked at before giving up on finding the first key of a `{` document. */
const DETECT_LIMIT = 64 * 1024;

function isSpaceByte(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Reads one file's records whatever its form: buffers the first bytes until the form is known, then
 * streams through the matching parser. Records land in `out`: an array the caller drains with `batch()`
 * after each push, or a sink that takes each record as it is made.
 */
export class FileRecordParser<T> {
  private inner: Parser | undefined;
  private head: Buffer[] = [];
  private headBytes = 0;
  format: FileFormat | undefined;

  constructor(
    private readonly file: string,
    private readonly map: RecordReader<T>,
    private readonly sink: RejectionSink,
    /** The form when known already (a piece of a split file, which has no head of its own). */
    private readonly knownFormat?: FileFormat,
    /** Where records go: by default an array drained by `batch()`. */
    readonly out: RecordSink<T> = [],
  ) {}

  /** The records made since the last call, when they go to an array; undefined when there are none. */
  batch(): T[] | undefined {
    const out = this.out;
    return Array.isArray(out) && out.length > 0 ? (out as T[]).splice(0) : undefined;
  }

  push(chunk: Buffer): void {
    if (this.inner) {
      this.inner.push(chunk);
      return;
    }
    if (this.knownFormat) {
      this.start(this.knownFormat, chunk);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    const head = this.head.length === 1 ? chunk : Buffer.concat(this.head, this.headBytes);
    // Still undecided after DETECT_LIMIT bytes (only whitespace so far): decide now, so the head never
    // grows with the file.
    const format = detectFormat(head, false) ?? (head.length > DETECT_LIMIT ? "json-lines" : undefined);
    if (format) this.start(format, head);
    // Kept until the form is known: a copy, as the chunk's memory is reused.
    else this.head = [head === chunk ? Buffer.from(chunk) : head];
  }

  /** Physical lines read so far, for the line-based forms (a split file's pieces are numbered from it). */
  get lines(): number {
    return this.inner instanceof LineParser ? this.inner.lines : 0;
  }

  end(): void {
    if (!this.inner && this.knownFormat) return;
    if (!this.inner) {
      const head = Buffer.concat(this.head, this.headBytes);
      const format = detectFormat(head, true);
      // Empty or whitespace-only: no rows, and not a failure.
      if (!format) return;
      this.start(format, head);
    }
    this.inner!.end();
  }

  private start(format: FileFormat, head: Buffer): void {
    this.format = format;
    this.head = [];
    const { file, map, sink, out } = this;
    switch (format) {
      case "json-lines":
        this.inner = new JsonLinesParser(file, map, sink, out);
        break;
      case "csv":
        this.inner = new CsvParser(file, map, sink, out);
        break;
      case "json-array":
        this.inner = new JsonStreamScanner(new JsonArrayPolicy(file, map, sink, out));
        head = skipBom(head);
        break;
      case "logs-api":
        this.inner = new JsonStreamScanner(new LogsApiPolicy(file, map, sink, out));
        head = skipBom(head);
        break;
      case "records":
        this.inner = new JsonStreamScanner(
          new RecordsEnvelopePolicy(file, map, sink, out),
          MAX_RECORD_BYTES,
          true,
        );
        head = skipBom(head);
        break;
      case "classic":
        this.inner = map.fromClassicFields
          ? new ClassicLogParser(file, map.fromClassicFields, sink, out)
          : new RefusedFile(
              file,
              sink,
              "classic Storage Analytics log lines are storage logs; pass this file with --logs",
            );
        break;
      case "json-objects":
        this.inner = new JsonStreamScanner(
          new JsonObjectsPolicy(file, map, sink, out),
          MAX_RECORD_BYTES,
          true,
        );
        head = skipBom(head);
        break;
    }
    this.inner.push(head);
  }
}

/** A whole file of a form this reader has no records in: one rejection, nothing read. */
class RefusedFile implements Parser {
  constructor(
    private readonly file: string,
    private readonly sink: RejectionSink,
    private readonly reason: string,
  ) {}

  push(): void {}

  end(): void {
    rejectAt(this.sink, { file: this.file, line: 1 }, FILE_FIELD, this.reason);
  }
}

function skipBom(b: Buffer): Buffer {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
}

/**
 * The form from the first significant bytes: `[` a JSON array, `{"tables"` a Logs API response,
 * `{"records"` or `{"value"` a list envelope, any other `{` JSON Lines, unless the first object is spread over lines (pretty-printed: read as JSON
 * objects one after another); `1.0;`/`2.0;` a classic Storage Analytics log, anything else CSV. Undefined
 * while more bytes are needed (or, at the end, when the file holds nothing but whitespace).
 */
export function detectFormat(head: Buffer, atEnd: boolean): FileFormat | undefined {
  const b = skipBom(head);
  let i = 0;
  while (i < b.length && isSpaceByte(b[i]!)) i++;
  if (i >= b.length) return undefined;
  const c = b[i]!;
  if (c === 0x5b) return "json-array";
  if (c === 0x31 || c === 0x32) {
    if (b.length - i < 4 && !atEnd) return undefined;
    return looksLikeClassicLog(b, i) ? "classic" : "csv";
  }
  if (c !== 0x7b) return "csv";
  let j = i + 1;
  while (j < b.length && isSpaceByte(b[j]!)) j++;
  if (j >= b.length) return atEnd || b.length > DETECT_LIMIT ? "json-lines" : undefined;
  if (b[j] === 0x22) {
    const close = b.indexOf(0x22, j + 1);
    if (close < 0) return atEnd || b.length > DETECT_LIMIT ? "json-lines" : undefined;
    const key = b.toString("latin1", j + 1, close);
    if (key === "tables") return "logs-api";
    if (ENVELOPE_KEYS.has(key)) return "records";
  }
  // A line break before the first key: `{` alone on its line, as every pretty-printer writes it.
  if (b.subarray(i + 1, j).includes(0x0a)) return "json-objects";
  return firstLineForm(b, i, atEnd);
}

/**
 * `{ "key": value,` and the rest on the next lines is an object spread over lines too: its first line
 * ends in `,`, `{`, `[` or `:`, where a JSON Lines record (even a broken one) rarely does. A first line
 * longer than DETECT_LIMIT is a long record, so JSON Lines.
 */
function firstLineForm(b: Buffer, start: number, atEnd: boolean): FileFormat | undefined {
  let end = b.indexOf(0x0a, start);
  if (end < 0) {
    if (!atEnd) return b.length > DETECT_LIMIT ? "json-lines" : undefined;
    end = b.length;
  }
  let k = end - 1;
  while (k > start && isSpaceByte(b[k]!)) k--;
  const last = b[k];
  return last === 0x2c || last === 0x7b || last === 0x5b || last === 0x3a ? "json-objects" : "json-lines";
}
