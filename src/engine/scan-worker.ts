import { parentPort, workerData } from "node:worker_threads";
import { InputError } from "../collect/input-files.js";
import { scanPart, type PartScan, type PartScanRequest } from "./scan-part.js";

/**
 * Worker-thread entry of a parallel `analyze` (src/engine/analyze-parallel.ts): scans one part and
 * posts the summaries back. An input that cannot be read is posted as such, so the main thread can
 * report it as the one-thread run would (an InputError naming the path).
 */
export type WorkerReply = { ok: true; scan: PartScan } | { ok: false; message: string; inputPath?: string };

try {
  const scan = await scanPart(workerData as PartScanRequest);
  parentPort!.postMessage({ ok: true, scan } satisfies WorkerReply);
} catch (err) {
  const reply: WorkerReply =
    err instanceof InputError
      ? { ok: false, message: err.message, inputPath: err.path }
      : { ok: false, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  parentPort!.postMessage(reply);
}
