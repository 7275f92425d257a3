import type { Clock } from "../clock.js";
import { ClusterAggregator, clusterKeyString, type ClusterLimits } from "../cluster/aggregator.js";
import { buildIncidentsCapped } from "../incidents/build.js";
import type { ActivityEvent } from "../model/activity.js";
import type { ClusterPartial, Incident } from "../model/incident.js";
import type { StorageRequest } from "../model/storage-request.js";
import type { FilesOutsideWindow } from "../collect/window-files.js";
import { DEFAULT_ENGINE_CAPS, summarisedOf, type EngineCaps, type Summarised } from "./caps.js";
import type { RecordObserver, RejectedRecord, RejectionSink, RootCauseExplainer } from "./contracts.js";
import { DEFAULT_EVIDENCE_LIMITS, EvidenceIndex, evidenceCapsOf } from "../correlate/evidence.js";
import { explainFromEvidence } from "../correlate/explainer.js";
import { parseRootCauseSettings, type RootCauseSettingsInput } from "../correlate/settings.js";
import { RequestIntake, type IntakeSummary } from "./intake.js";
import { totalsOf, type PartialResult } from "./partial-result.js";

/** What a rejection sink exposes after a run (RejectionCollector in src/collect/rejections.ts). */
export interface RejectionTally {
  count: number;
  samples: readonly RejectedRecord[];
}

/** The `--format json` document (issue 2); extra fields are additions, never renames. */
export interface AnalysisResult {
  window: { from: string; to: string };
  input: {
    /** Valid rows analysed (inside the window). */
    rows: number;
    /** 401/403 rows among them. */
    failures: number;
    /** Records that failed validation (counted, never silently dropped). */
    rejected: number;
    rejectedSamples: RejectedRecord[];
    /** Valid rows outside --from/--to, read but not analysed. */
    outsideWindow: number;
    /** Distinct clusters (account, service, operation, status, error code, auth type). */
    clusters: number;
    /** AzureActivity events available to root-cause analysis. */
    activityEvents: number;
    /**
     * Files under --logs not read because the hour their path names (an archive's `y=/m=/d=/h=`, classic
     * `$logs`, Event Hubs Capture) cannot hold a request of --from/--to (src/collect/window-files.ts);
     * absent when none.
     */
    filesOutsideWindow?: number;
    /**
     * An archive's day folders (`…/y=/m=/d=`) under --logs not even listed, no hour of theirs able to
     * hold a request of --from/--to; absent when none.
     */
    dayFoldersOutsideWindow?: number;
    /**
     * Time span of every valid row read, inside the window or not, and of the hours of the files not
     * read (absent when there is neither).
     */
    dataSpan?: { from: string; to: string };
  };
  incidents: Incident[];
  /** When this result was produced (the injected clock). */
  generatedAt: string;
  /** What the memory caps summarised (exact totals); absent when no cap was reached (docs/cli.md). */
  summarised?: Summarised;
}

export interface AnalysisWindow {
  from?: Date;
  to?: Date;
}

export interface AnalyzeOptions {
  /**
   * Requests one by one, or in batches (src/collect/files.ts readStorageRequestBatches) for fewer async
   * hops; or a scan that hands each request to the observer it is given as it reads it
   * (scanStorageRequests), which may lend success rows' records: `analyze` keeps none of those (a
   * 401/403's record waits in the intake's batch, RequestIntake).
   */
  requests:
    | AsyncIterable<StorageRequest | readonly StorageRequest[]>
    | Iterable<StorageRequest | readonly StorageRequest[]>
    | ((observer: RecordObserver) => Promise<void>);
  activity: readonly ActivityEvent[];
  /** Rows outside [from, to] are counted but not analysed; a missing bound is the data's own. */
  window?: AnalysisWindow;
  explainer?: RootCauseExplainer;
  clock: Clock;
  /** The sink the readers reported to; read after the requests are consumed. */
  rejections: RejectionSink & RejectionTally;
  limits?: Partial<ClusterLimits>;
  /** Cluster and incident caps (DEFAULT_ENGINE_CAPS). */
  caps?: Partial<EngineCaps>;
  /** Called once the rows are read, before incidents are built (the CLI collects garbage there). */
  afterScan?: () => void;
}

/**
 * The analysis window. Explicit bounds win; a missing bound is the span of the data; with no data and
 * no bounds the window is the instant of the clock.
 */
export function resolveWindow(
  requested: AnalysisWindow | undefined,
  dataMinMs: number,
  dataMaxMs: number,
  clock: Clock,
): { fromMs: number; toMs: number } {
  const hasData = Number.isFinite(dataMinMs) && Number.isFinite(dataMaxMs);
  const nowMs = clock.now().getTime();
  const toMs = requested?.to?.getTime() ?? (hasData ? dataMaxMs : (requested?.from?.getTime() ?? nowMs));
  const fromMs = requested?.from?.getTime() ?? (hasData ? dataMinMs : toMs);
  return { fromMs, toMs };
}

export interface ResultFromPartialsOptions {
  partials: readonly ClusterPartial[];
  /** Rows the source scanned and how many were 401/403 (Log Analytics counts them server-side). */
  rows: number;
  failures: number;
  window: { fromMs: number; toMs: number };
  activity: readonly ActivityEvent[];
  explainer?: RootCauseExplainer;
  clock: Clock;
  rejections?: RejectionTally;
  outsideWindow?: number;
  limits?: Partial<ClusterLimits>;
  /** Span of every valid row read (epoch ms), for saying where the data is when the window misses it. */
  dataSpanMs?: { fromMs: number; toMs: number };
  caps?: Partial<EngineCaps>;
  /** Failures the reading side's cluster cap folded (ClusterAggregator.folded). */
  folded?: { failures: number; clusters: number };
  /** The partials are mergePartials' output under `limits` (BuildIncidentsOptions.merged). */
  merged?: boolean;
}

/** Builds the result from cluster partials: the path shared by local files and Log Analytics. */
export function resultFromPartials(o: ResultFromPartialsOptions): AnalysisResult {
  const buildOpts: Parameters<typeof buildIncidentsCapped>[1] = {
    activity: o.activity,
    window: o.window,
  };
  if (o.explainer) buildOpts.explainer = o.explainer;
  if (o.limits) buildOpts.limits = o.limits;
  if (o.merged) buildOpts.merged = true;
  const caps = { ...DEFAULT_ENGINE_CAPS, ...o.caps };
  const { incidents, omitted } = buildIncidentsCapped(o.partials, buildOpts, caps.maxIncidents);
  const clusters = new Set(o.partials.map((p) => clusterKeyString(p.key))).size;
  const summarised = summarisedOf({
    caps,
    ...(o.folded ? { folded: o.folded } : {}),
    omitted,
    ...(o.explainer?.capsReached ? { evidence: o.explainer.capsReached() } : {}),
    incidents,
  });
  return {
    window: { from: new Date(o.window.fromMs).toISOString(), to: new Date(o.window.toMs).toISOString() },
    input: {
      rows: o.rows,
      failures: o.failures,
      rejected: o.rejections?.count ?? 0,
      rejectedSamples: [...(o.rejections?.samples ?? [])],
      outsideWindow: o.outsideWindow ?? 0,
      clusters,
      activityEvents: o.activity.length,
      ...(o.dataSpanMs
        ? {
            dataSpan: {
              from: new Date(o.dataSpanMs.fromMs).toISOString(),
              to: new Date(o.dataSpanMs.toMs).toISOString(),
            },
          }
        : {}),
    },
    incidents,
    generatedAt: o.clock.now().toISOString(),
    ...(summarised ? { summarised } : {}),
  };
}

/**
 * The result with the files and day folders not read for their time (logsForWindow) in its input:
 * counted, and their hours and days added to the data's span, so that a window that misses the archive
 * says where the archive is.
 */
export function withFilesOutsideWindow(
  result: AnalysisResult,
  outside: FilesOutsideWindow | undefined,
): AnalysisResult {
  if (!outside) return result;
  const { dataSpan: span, ...input } = result.input;
  const fromMs = Math.min(outside.fromMs, span ? Date.parse(span.from) : Number.POSITIVE_INFINITY);
  const toMs = Math.max(outside.toMs, span ? Date.parse(span.to) : Number.NEGATIVE_INFINITY);
  return {
    ...result,
    input: {
      ...input,
      ...(outside.files > 0 ? { filesOutsideWindow: outside.files } : {}),
      ...(outside.dayFolders > 0 ? { dayFoldersOutsideWindow: outside.dayFolders } : {}),
      dataSpan: { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
    },
  };
}

export interface ResultFromSlicesOptions extends Omit<
  ResultFromPartialsOptions,
  "partials" | "rows" | "failures" | "explainer" | "merged"
> {
  /** Slices merged with mergeResults: the one merge every source and the timer use. */
  result: PartialResult;
  /** Nothing else holds the slices or reads them again (a parallel scan's parts): merged in place. */
  owned?: boolean;
  /** Root-cause settings (defaults when absent). */
  rootCause?: RootCauseSettingsInput;
}

/**
 * Builds the result from merged slices: totals by the one merge, root causes ranked on the merged
 * evidence against the merged incident's own onset, caps applied once by the incident builder.
 */
export function resultFromSlices(o: ResultFromSlicesOptions): AnalysisResult {
  const totals = totalsOf(o.result, o.limits, o.owned);
  const settings = parseRootCauseSettings(o.rootCause ?? {});
  const index = new EvidenceIndex(totals.evidence);
  const opts: ResultFromPartialsOptions = {
    window: o.window,
    activity: o.activity,
    clock: o.clock,
    partials: totals.partials,
    merged: true,
    rows: totals.rows,
    failures: totals.failures,
    explainer: {
      observer: { observe: () => undefined },
      capsReached: () => evidenceCapsOf(totals.evidence, DEFAULT_EVIDENCE_LIMITS.maxCallers),
      explain: (incident, activity, context) =>
        explainFromEvidence(
          incident,
          activity,
          index,
          context ?? { windowFromMs: o.window.fromMs, windowToMs: o.window.toMs },
          settings,
        ),
    },
  };
  if (o.rejections) opts.rejections = o.rejections;
  if (o.outsideWindow !== undefined) opts.outsideWindow = o.outsideWindow;
  if (o.limits) opts.limits = o.limits;
  if (o.caps) opts.caps = o.caps;
  if (o.folded) opts.folded = o.folded;
  if (o.dataSpanMs) opts.dataSpanMs = o.dataSpanMs;
  return resultFromPartials(opts);
}

/**
 * Runs the local engine over a stream of requests: every request inside the window goes to the cluster
 * aggregator and to the root-cause observer; memory grows with clusters, not rows.
 */
export async function analyze(o: AnalyzeOptions): Promise<AnalysisResult> {
  const caps = { ...DEFAULT_ENGINE_CAPS, ...o.caps };
  const scanned = await intakeAll(o, caps);
  o.afterScan?.();
  const window = resolveWindow(o.window, scanned.minTimeMs, scanned.maxTimeMs, o.clock);
  const opts: ResultFromPartialsOptions = {
    partials: scanned.partials,
    rows: scanned.rows,
    failures: scanned.failures,
    window,
    activity: o.activity,
    clock: o.clock,
    rejections: o.rejections,
    outsideWindow: scanned.outsideWindow,
    caps,
    folded: scanned.folded,
    // One aggregator's partials are what mergePartials makes of them (test/engine/aggregator.test.ts).
    merged: true,
  };
  if (scanned.dataSpanMs) opts.dataSpanMs = scanned.dataSpanMs;
  if (o.explainer) opts.explainer = o.explainer;
  if (o.limits) opts.limits = o.limits;
  return resultFromPartials(opts);
}

/** Every request through one intake; only its summary outlives the scan. */
async function intakeAll(o: AnalyzeOptions, caps: EngineCaps): Promise<IntakeSummary> {
  const intake = new RequestIntake(new ClusterAggregator(o.limits, caps.maxClusters), o.explainer?.observer, {
    fromMs: o.window?.from?.getTime(),
    toMs: o.window?.to?.getTime(),
  });
  // `for await` over a synchronous iterable costs a promise per row: iterate those directly.
  if (typeof o.requests === "function") {
    await o.requests(intake);
  } else if (Symbol.iterator in o.requests) {
    for (const item of o.requests) intake.takeItem(item);
  } else {
    for await (const item of o.requests) intake.takeItem(item);
  }
  return intake.summary();
}
