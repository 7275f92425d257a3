import { parentPort } from "node:worker_threads";
import { InputError } from "../collect/input-files.js";
import { packedBuffers, packEvidence, type PackedEvidence } from "./evidence-wire.js";
import { scanPart, type PartScan, type PartScanRequest } from "./scan-part.js";

/**
 * Worker-thread entry of a parallel `analyze` (src/engine/analyze-parallel.ts): started idle
 * (src/engine/scan-threads.ts), it loads its modules, waits for the one part it is to scan, scans it and
 * posts the summaries back. An input that cannot be read is posted as such, so the main thread can
 * report it as the one-thread run would (an InputError naming the path).
 */
export type WorkerReply =
  { ok: true; scan: PostedPartScan } | { ok: false; message: string; inputPath?: string };

/** A PartScan as posted: its evidence packed (src/engine/evidence-wire.ts). */
export interface PostedPartScan extends Omit<PartScan, "evidence"> {
  evidence: PackedEvidence;
}

parentPort!.once("message", (req: PartScanRequest) => void scanAndReply(req));

async function scanAndReply(req: PartScanRequest): Promise<void> {
  try {
    const { evidence, ...rest } = await scanPart(req);
    const packed = packEvidence(evidence);
    parentPort!.postMessage(
      { ok: true, scan: { ...rest, evidence: packed } } satisfies WorkerReply,
      packedBuffers(packed),
    );
  } catch (err) {
    const reply: WorkerReply =
      err instanceof InputError
        ? { ok: false, message: err.message, inputPath: err.path }
        : { ok: false, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    parentPort!.postMessage(reply);
  }
}
