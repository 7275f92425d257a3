import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import type { Clock } from "../clock.js";
import { planScanParts, MIN_PART_WORK, type ScanPart } from "../collect/byte-ranges.js";
import { InputError } from "../collect/input-files.js";
import {
  DEFAULT_EVIDENCE_LIMITS,
  emptyEvidence,
  EvidenceMerge,
  type RootCauseEvidence,
} from "../correlate/evidence.js";
import type { RejectionCollector } from "../collect/rejections.js";
import { compareText } from "../order.js";
import type { ActivityEvent } from "../model/activity.js";
import { resolveWindow, resultFromSlices, type AnalysisResult, type AnalysisWindow } from "./analyze.js";
import { DEFAULT_ENGINE_CAPS, type EngineCaps } from "./caps.js";
import { unpackEvidence } from "./evidence-wire.js";
import type { Slice } from "./partial-result.js";
import { scanPart, type PartScan, type PartScanRequest } from "./scan-part.js";
import type { WorkerReply } from "./scan-worker.js";

/**
 * Threads `analyze` uses unless told: each scan thread is an isolate of its own, some 30-45 MB at 1 GB
 * (Node's worker environment about 12 MB, zod 8, the scan's working set and garbage the rest), and two
 * are what keeps the whole analyze of 1 GB well within 200 MB (BENCHMARKS.md: 172-177 MB with two,
 * about 200 with three, 222-230 with four). `--threads N` trades that memory for more cores.
 */
export const DEFAULT_MAX_SCAN_THREADS = 2;

/** Threads `analyze` uses by default: the cores this process may use, up to DEFAULT_MAX_SCAN_THREADS. */
export function defaultScanThreads(): number {
  return Math.max(1, Math.min(DEFAULT_MAX_SCAN_THREADS, availableParallelism()));
}

/**
 * What the main thread reads while a scan thread starts, as work (scan-work.ts: bytes of success rows):
 * its isolate, its modules and zod take some 0.1-0.3 s. Calibrated as the end of the main thread's part
 * less the end of the scan thread's, over the bench's 1 GB archive on two threads (four runs each): with
 * 128 MiB (what the twelfth round's 96 MiB of the bench's rows weigh) the main thread always ended last,
 * 150-490 ms after the other; with 64 MiB from 240 ms before it to 85 ms after (BENCHMARKS.md,
 * twenty-fifth round). Interleaved, 64 MiB took 1.77-2.13 s (median 1.99) against 1.79-2.29 s (2.09)
 * over the archive, and 1.76-2.07 s (1.79) against 1.83-2.13 s (1.94) over Log Analytics rows.
 */
export const SCAN_THREAD_START_WORK = 64 * 1024 * 1024;

/**
 * With the default thread count, the least work (scan-work.ts) a part must hold to pay for its thread: a
 * scan thread's start, its cold code and the merge after it cost the main thread as much as it saves on
 * smaller inputs. Two threads over the first 300 MB of the bench's archive took 1.13-1.29 s against
 * 1.06-1.09 s for one pass, over 600 MB 1.30-1.45 s against 1.38-1.58 s, over 750 MB 1.45-1.63 s against
 * 1.71-1.82 s; over the archive's 56 MB of 401/403 lines alone 1.19-1.59 s against 1.10-1.29 s, over
 * twice them about as fast (BENCHMARKS.md, twenty-fifth round). So two parts need some 800 MB of work:
 * about 600 MB of mostly successful requests, or 100 MB of 401/403s. `--threads N` asks for N threads
 * whatever the size, and gets them once each part holds MIN_PART_WORK.
 */
export const DEFAULT_THREADS_MIN_PART_WORK = 384 * 1024 * 1024;

export interface ParallelAnalyzeOptions {
  paths: readonly string[];
  threads: number;
  activity: readonly ActivityEvent[];
  window?: AnalysisWindow;
  clock: Clock;
  /** Receives every piece's rejections renumbered to the file's lines, in input order. */
  rejections: RejectionCollector;
  caps?: Partial<EngineCaps>;
  /**
   * The least work a part must hold (MIN_PART_WORK unless told; DEFAULT_THREADS_MIN_PART_WORK when the
   * thread count is the default; tests use small ones to split small files).
   */
  minPartWork?: number;
  /** How much more work the main thread takes than each scan thread (SCAN_THREAD_START_WORK unless told). */
  headStart?: number;
  /** Told once the input is cut: how many parts (threads) and bytes in all. */
  onPlanned?: (parts: number, bytes: number) => void;
}

/**
 * `analyze` over local files on several threads: the input is cut into contiguous parts
 * (src/collect/byte-ranges.ts), each thread scans one with the same intake one pass uses, and the
 * parts' summaries meet in the one merge (src/engine/partial-result.ts) before the one incident builder.
 * The main thread scans the first part itself. Undefined when the input makes a single part: the caller
 * then runs the one-pass `analyze`.
 */
export async function analyzeInParallel(o: ParallelAnalyzeOptions): Promise<AnalysisResult | undefined> {
  const parts = await planScanParts(
    o.paths,
    o.threads,
    o.minPartWork ?? MIN_PART_WORK,
    o.headStart ?? SCAN_THREAD_START_WORK,
  );
  if (parts.length < 2) return undefined;
  o.onPlanned?.(
    parts.length,
    parts.flat().reduce((n, p) => n + p.end - p.start, 0),
  );
  const caps = { ...DEFAULT_ENGINE_CAPS, ...o.caps };
  const window: PartScanRequest["window"] = {};
  if (o.window?.from) window.fromMs = o.window.from.getTime();
  if (o.window?.to) window.toMs = o.window.to.getTime();
  const request = (part: ScanPart): PartScanRequest => ({
    pieces: part,
    window,
    maxClusters: caps.maxClusters,
    maxCallers: Math.ceil(DEFAULT_EVIDENCE_LIMITS.maxCallers / parts.length),
  });
  const [first, ...rest] = parts;
  // With a young generation as small as the scan threads' (SCAN_THREAD_YOUNG_GENERATION_MB), V8's
  // allocation-site pretenuring sees a chunk's records survive one collection (they wait in their batch)
  // and allocates every later record in the old generation, where they die: the heap grew past 380 MB.
  // V8 flags are per process and read as isolates start, so it is turned off before the threads start.
  setFlagsFromString("--no-allocation-site-pretenuring");
  // Each thread's isolate compiles the same hot functions again, on V8's background threads, which on a
  // machine whose cores all scan take their time from the scans: compiling them was some 13% of a
  // one-pass analyze's CPU, most of it the inlined callees. Without inlining, a two-thread analyze of
  // 1 GB took 1-11% less time in every pair measured (BENCHMARKS.md, tenth round); one pass, which
  // compiles on an idle core, gains nothing from it, and keeps it.
  setFlagsFromString("--no-turbo-inlining");
  // The main thread, done first in most runs, then waited 40-120 ms for the scan threads: it merges its
  // own part's evidence meanwhile. The one merge fed a part at a time, in the order it merges slices.
  const evidence = new EvidenceMerge(true);
  const [own, others] = await Promise.all([
    scanPart(request(first!)).then((scan) => {
      evidence.add(scan.evidence);
      return scan;
    }),
    Promise.all(rest.map((p) => scanInWorker(request(p)))),
  ]);
  const scans = [own, ...others];
  for (const i of slicesInMergeOrder(scans.length).filter((i) => i > 0)) evidence.add(scans[i]!.evidence);
  renumberRejections(parts, scans, o.rejections);
  return resultOfScans(scans, evidence.result(), o, caps);
}

/** The id of part `i`'s slice. */
function partId(i: number): string {
  return `part ${i + 1}`;
}

/** The parts' indices in the order the one merge takes their slices (by id: "part 10" before "part 2"). */
function slicesInMergeOrder(parts: number): number[] {
  return [...Array(parts).keys()].sort((a, b) => compareText(partId(a), partId(b)));
}

/**
 * A scan thread's young generation. V8's default (16 MB semi-spaces, 32 MB or more committed) is sized for
 * a main thread; a scan's live set at any collection is one read chunk's records, so 12 MB in all costs
 * no time worth measuring and keeps some 20 MB per thread off the peak (BENCHMARKS.md).
 */
const SCAN_THREAD_YOUNG_GENERATION_MB = 12;

function scanInWorker(req: PartScanRequest): Promise<PartScan> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerScript(), {
      workerData: req,
      resourceLimits: { maxYoungGenerationSizeMb: SCAN_THREAD_YOUNG_GENERATION_MB },
    });
    let settled = false;
    worker.once("message", (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) resolve({ ...reply.scan, evidence: unpackEvidence(reply.scan.evidence) });
      else if (reply.inputPath !== undefined) reject(new InputError(reply.message, reply.inputPath));
      else reject(new Error(`a scan thread failed: ${reply.message}`));
    });
    worker.once("error", (err) => {
      settled = true;
      reject(err);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`a scan thread stopped (exit code ${code}) before reporting`));
    });
  });
}

/**
 * The built worker next to this module. Under vitest this module runs from src/ as TypeScript, which a
 * worker thread cannot load with its `.js` imports: it then runs the built copy (`npm test` builds first).
 */
function workerScript(): URL {
  const here = import.meta.url;
  if (here.endsWith(".ts"))
    return new URL(here.replace(/\/src\/engine\/[^/]+\.ts$/, "/dist/src/engine/scan-worker.js"));
  return new URL("./scan-worker.js", here);
}

/** Pieces number lines from their own start: add the lines of the same file's earlier pieces. */
function renumberRejections(parts: ScanPart[], scans: PartScan[], sink: RejectionCollector): void {
  const linesBefore = new Map<string, number>();
  parts.forEach((part, i) => {
    part.forEach((piece, k) => {
      const r = scans[i]!.pieces[k]!;
      const offset = piece.start === 0 ? 0 : (linesBefore.get(piece.file) ?? 0);
      for (const s of r.samples) sink.reject({ ...s, line: s.line + offset });
      sink.count += r.count - r.samples.length;
      linesBefore.set(piece.file, offset + r.lines);
    });
  });
}

/** The result of the parts' scans, their evidence already merged (`evidence`). */
function resultOfScans(
  scans: PartScan[],
  evidence: RootCauseEvidence,
  o: ParallelAnalyzeOptions,
  caps: EngineCaps,
): AnalysisResult {
  const slices: Slice[] = scans.map((s, i) => ({
    // Parts never overlap: distinct read slices, each counted once.
    span: { kind: "read", id: partId(i), fromMs: 0, toMs: 0 },
    rows: s.rows,
    failures: s.failures,
    partials: s.partials,
    // The first carries the merge of all: merging a merge's output alone hands it on as it is.
    evidence: i === 0 ? evidence : emptyEvidence(),
  }));
  const minTimeMs = Math.min(...scans.map((s) => s.minTimeMs).filter((t) => !Number.isNaN(t)));
  const maxTimeMs = Math.max(...scans.map((s) => s.maxTimeMs).filter((t) => !Number.isNaN(t)));
  const window = resolveWindow(o.window, minTimeMs, maxTimeMs, o.clock);
  const spans = scans.flatMap((s) => (s.dataSpanMs ? [s.dataSpanMs] : []));
  return resultFromSlices({
    result: { slices },
    owned: true,
    window,
    activity: o.activity,
    clock: o.clock,
    rejections: o.rejections,
    outsideWindow: scans.reduce((n, s) => n + s.outsideWindow, 0),
    caps,
    folded: {
      failures: scans.reduce((n, s) => n + s.folded.failures, 0),
      clusters: scans.reduce((n, s) => n + s.folded.clusters, 0),
    },
    ...(spans.length
      ? {
          dataSpanMs: {
            fromMs: Math.min(...spans.map((s) => s.fromMs)),
            toMs: Math.max(...spans.map((s) => s.toMs)),
          },
        }
      : {}),
  });
}
