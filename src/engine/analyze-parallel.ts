import type { Clock } from "../clock.js";
import { planScanParts, type ScanPart } from "../collect/byte-ranges.js";
import { MIN_PART_WORK } from "../collect/scan-work.js";
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
import { releaseSpareScanThreads, takeScanThread } from "./scan-threads.js";

/**
 * How much more work (scan-work.ts: bytes of success rows) the main thread takes than each scan thread.
 * Calibrated as the end of the main thread's part less the end of the scan thread's, over the bench's
 * 1 GB archive on two threads, when a scan thread's isolate, modules and zod (0.1-0.3 s) started only
 * once the input was planned: with 128 MiB the main thread always ended last, 150-490 ms after the
 * other; with 64 MiB from 240 ms before it to 85 ms after (BENCHMARKS.md, twenty-fifth round). With
 * threads started ahead (scan-threads.ts) the main thread ends last, yet none of 0, 16 and 32 MiB was
 * faster than 64 (twenty-ninth round).
 */
export const SCAN_THREAD_START_WORK = 64 * 1024 * 1024;

export interface ParallelAnalyzeOptions {
  paths: readonly string[];
  threads: number;
  activity: readonly ActivityEvent[];
  window?: AnalysisWindow;
  clock: Clock;
  /** Receives every piece's rejections renumbered to the file's lines, in input order. */
  rejections: RejectionCollector;
  caps?: Partial<EngineCaps>;
  /** The least work a part must hold (MIN_PART_WORK unless told; tests use small ones to split small files). */
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
  let parts: ScanPart[];
  try {
    parts = await planScanParts(
      o.paths,
      o.threads,
      o.minPartWork ?? MIN_PART_WORK,
      o.headStart ?? SCAN_THREAD_START_WORK,
    );
  } catch (err) {
    releaseSpareScanThreads();
    throw err;
  }
  if (parts.length < 2) {
    releaseSpareScanThreads();
    return undefined;
  }
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
  // The scan threads are handed their parts before the main thread starts on its own.
  const others = rest.map((p) => scanInWorker(request(p)));
  releaseSpareScanThreads();
  // The main thread, done first in most runs, then waited 40-120 ms for the scan threads: it merges its
  // own part's evidence meanwhile. The one merge fed a part at a time, in the order it merges slices.
  const evidence = new EvidenceMerge(true);
  const scans = await Promise.all([
    scanPart(request(first!)).then((scan) => {
      evidence.add(scan.evidence);
      return scan;
    }),
    ...others,
  ]);
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

async function scanInWorker(req: PartScanRequest): Promise<PartScan> {
  const reply = await takeScanThread().scan(req);
  if (reply.ok) return { ...reply.scan, evidence: unpackEvidence(reply.scan.evidence) };
  if (reply.inputPath !== undefined) throw new InputError(reply.message, reply.inputPath);
  throw new Error(`a scan thread failed: ${reply.message}`);
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
