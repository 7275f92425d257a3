import type { FilePiece } from "../collect/byte-ranges.js";
import { GarbageBetweenFiles } from "../collect-garbage.js";
import { scanStorageRequestPiece } from "../collect/files.js";
import { RejectionCollector } from "../collect/rejections.js";
import { ClusterAggregator, type ClusterLimits } from "../cluster/aggregator.js";
import { DEFAULT_EVIDENCE_LIMITS, EvidenceObserver, type RootCauseEvidence } from "../correlate/evidence.js";
import type { RejectedRecord } from "./contracts.js";
import { RequestIntake, type IntakeSummary } from "./intake.js";

/** What one thread of a parallel `analyze` is given (structured-cloneable: it crosses to a worker). */
export interface PartScanRequest {
  pieces: FilePiece[];
  window: { fromMs?: number; toMs?: number };
  maxClusters: number;
  /** This part's share of the evidence's caller cap, so the parts together hold what one pass holds. */
  maxCallers: number;
  limits?: Partial<ClusterLimits>;
}

/** One piece's rejections, numbered from the piece's first line, and how many lines it held. */
export interface PieceRejections {
  lines: number;
  count: number;
  samples: RejectedRecord[];
}

/** What one part gives back: the same summary one pass keeps, ready for the one merge. */
export interface PartScan extends IntakeSummary {
  evidence: RootCauseEvidence;
  pieces: PieceRejections[];
}

/** Reads the part's pieces in order through the same intake `analyze` uses. */
export async function scanPart(req: PartScanRequest): Promise<PartScan> {
  const aggregator = new ClusterAggregator(req.limits, req.maxClusters);
  const evidence = new EvidenceObserver({ ...DEFAULT_EVIDENCE_LIMITS, maxCallers: req.maxCallers });
  const intake = new RequestIntake(aggregator, evidence, req.window);
  const pieces: PieceRejections[] = [];
  const garbage = new GarbageBetweenFiles();
  for (const piece of req.pieces) {
    garbage.nextFile();
    const rejections = new RejectionCollector();
    let lines = 0;
    await scanStorageRequestPiece(piece, { rejections }, intake, (n) => (lines = n));
    pieces.push({ lines, count: rejections.count, samples: [...rejections.samples] });
  }
  // The observer is done with: its own records, not copies (the merge copies, and so does a worker's
  // message).
  return { ...intake.summary(), evidence: evidence.liveEvidence(), pieces };
}
