import { spawnSync } from "node:child_process";
import { join } from "node:path";

/**
 * Writes an Event Hubs Capture file (Avro) with Apache Avro's own Python library, Debian's python3-avro
 * (`npm run setup` installs it), through scripts/write-eventhubs-capture.py: the product's reader is
 * checked against an independent writer of the format, not against itself.
 */
const SCRIPT = join(import.meta.dirname, "..", "..", "scripts", "write-eventhubs-capture.py");

export interface CaptureSpec {
  codec?: "null" | "deflate";
  /** The events' bodies; null for an event without one. */
  bodies?: ReadonlyArray<string | null>;
  /** For a file that is not a capture: its own schema and records. */
  schema?: unknown;
  records?: unknown[];
}

export function writeCaptureFile(path: string, spec: CaptureSpec): void {
  const run = spawnSync("/usr/bin/python3", [SCRIPT, path], {
    input: JSON.stringify(spec),
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0)
    throw new Error(`write-eventhubs-capture.py failed (${run.status}): ${run.stderr || run.error?.message}`);
}

/** Records as a diagnostic setting streams them: `{"records": [...]}` bodies of `perEvent` records each. */
export function recordBodies(records: readonly unknown[], perEvent: number): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < records.length; i += perEvent)
    bodies.push(JSON.stringify({ records: records.slice(i, i + perEvent) }));
  return bodies;
}
