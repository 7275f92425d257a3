import type { RejectionSink } from "../../engine/contracts.js";
import type { StorageRequest } from "../../model/storage-request.js";
import type { RecordLocation } from "../record-location.js";
import { storageRequestFromObject } from "../storage-records.js";

/**
 * One archived JSON Lines record → StorageRequest, with the file readers' own mapping
 * (src/collect/storage-records.ts), so archive blobs and downloaded archive files map records identically.
 */
export type LineLocation = RecordLocation;

/** Parses one line; a bad line is rejected into `sink` with file, line, field and reason. */
export function parseArchiveLine(
  line: string,
  at: LineLocation,
  sink: RejectionSink,
): StorageRequest | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    sink.reject({ file: at.file, line: at.line, field: "(record)", reason: "not valid JSON" });
    return undefined;
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    sink.reject({ file: at.file, line: at.line, field: "(record)", reason: "expected a JSON object" });
    return undefined;
  }
  return storageRequestFromObject(raw as Record<string, unknown>, at, sink);
}
