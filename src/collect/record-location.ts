import type { z } from "zod";
import type { RejectionSink } from "../engine/contracts.js";

/** Where a record came from, for rejections. */
export interface RecordLocation {
  file: string;
  /** Physical line of the record start, or element/row index + 1 for JSON documents. */
  line: number;
  /** How `line` is to be read when it is not a physical line, e.g. "element 3 of the JSON array". */
  unit?: string;
}

export function rejectAt(sink: RejectionSink, at: RecordLocation, field: string, reason: string): void {
  sink.reject({ file: at.file, line: at.line, field, reason: at.unit ? `${at.unit}: ${reason}` : reason });
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let v = obj;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Reports the first zod issue as field + reason ("missing required field" when the value is absent). */
export function rejectZod(
  sink: RejectionSink,
  at: RecordLocation,
  input: unknown,
  error: z.ZodError,
  fieldNames?: (path: string) => string,
): void {
  const issue = error.issues[0];
  const path = issue ? issue.path.map(String).join(".") : "";
  const field = fieldNames ? fieldNames(path) : path;
  const missing = issue !== undefined && issue.path.length > 0 && valueAt(input, issue.path) === undefined;
  const detail = missing ? "missing required field" : (issue?.message ?? "invalid record");
  rejectAt(sink, at, field || "(record)", detail);
}

/** Returned by a fast path that cannot handle an input; the caller takes the general path. */
export const NOT_HANDLED: unique symbol = Symbol("not handled");
