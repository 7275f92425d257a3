import type { LogsQueryClient } from "@azure/monitor-query-logs";
import type { RejectedRecord } from "../../engine/contracts.js";
import { DEFAULT_EVIDENCE_QUERY_CAPS, type EvidenceQueryCaps } from "./caps.js";
import { runQueryOnce, type RetryDeps, realRetryDeps } from "./client.js";
import { evidenceFromTable, rootCauseEvidenceQuery, type ServerEvidence } from "./evidence.js";
import type { LogAnalyticsSettings } from "./settings.js";

/**
 * Runs the root-cause evidence query of one workspace so that no answer is kept partial when it can be
 * had whole: accounts go in groups of `accountsPerQuery`; an answer truncated by the service (500 000
 * rows / 64 MB) or timed out is thrown away and asked again in halves, the accounts first, then, for one
 * account, the TimeGenerated range, as the cluster query halves its window (client.ts runWindowed), at
 * most `maxSplitDepth` times. Only past that is a partial answer kept (evidence is context), and the run
 * says so.
 */
export interface EvidenceRun {
  parts: ServerEvidence[];
  rejected: RejectedRecord[];
  queries: number;
  splits: number;
  /** False when some part stayed truncated or timed out after every split. */
  complete: boolean;
}

export interface EvidenceRange {
  fromMs: number;
  toMs: number;
}

export async function runEvidenceQueries(
  logs: LogsQueryClient,
  settings: LogAnalyticsSettings,
  workspaceId: string,
  accounts: readonly string[],
  range: EvidenceRange,
  caps: EvidenceQueryCaps = DEFAULT_EVIDENCE_QUERY_CAPS,
  retry: RetryDeps = realRetryDeps,
): Promise<EvidenceRun> {
  const run: EvidenceRun = { parts: [], rejected: [], queries: 0, splits: 0, complete: true };
  const origin = { workspaceId, query: "root-cause-evidence" };

  const ask = async (group: readonly string[], r: EvidenceRange, depth: number): Promise<void> => {
    const outcome = await runQueryOnce(
      logs,
      settings,
      workspaceId,
      "root-cause-evidence",
      rootCauseEvidenceQuery(group, r.fromMs, r.toMs, caps),
      { startTime: new Date(r.fromMs), endTime: new Date(r.toMs + 5 * 60_000) },
      retry,
    );
    run.queries++;
    if (outcome.kind === "complete") {
      if (outcome.tables[0]) keep(evidenceFromTable(outcome.tables[0], origin));
      return;
    }
    const halves = depth < settings.maxSplitDepth ? split(group, r) : undefined;
    if (halves) {
      run.splits++;
      for (const [g, h] of halves) await ask(g, h, depth + 1);
      return;
    }
    run.complete = false;
    // Still truncated after every split: the records present are whole aggregates, kept as context.
    if (outcome.kind === "truncated" && outcome.partialTables[0])
      keep(evidenceFromTable(outcome.partialTables[0], origin));
  };
  const keep = (converted: { evidence: ServerEvidence; rejected: RejectedRecord[] }) => {
    run.parts.push(converted.evidence);
    run.rejected.push(...converted.rejected);
  };

  const size = Math.max(1, caps.accountsPerQuery);
  for (let i = 0; i < accounts.length; i += size) await ask(accounts.slice(i, i + size), range, 0);
  return run;
}

/** Halves of a query: its accounts when there are several, else its TimeGenerated range (half-open, tiling it). */
export function split(
  accounts: readonly string[],
  range: EvidenceRange,
): Array<[readonly string[], EvidenceRange]> | undefined {
  if (accounts.length > 1) {
    const mid = Math.ceil(accounts.length / 2);
    return [
      [accounts.slice(0, mid), range],
      [accounts.slice(mid), range],
    ];
  }
  const span = range.toMs - range.fromMs;
  if (span < 2) return undefined;
  const mid = range.fromMs + Math.floor(span / 2);
  return [
    [accounts, { fromMs: range.fromMs, toMs: mid }],
    [accounts, { fromMs: mid, toMs: range.toMs }],
  ];
}
