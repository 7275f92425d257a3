import type { Clock } from "../clock.js";
import { BlobCursorConflictError } from "../collect/archive/cursor.js";
import { parseClassicSettings } from "../collect/classic-source.js";
import type { SourceSettings } from "../config/settings.js";
import { analyzeClassic } from "../engine/analyze-classic.js";
import type { TriageStore } from "../state/store.js";
import { PendingCommit, sourceAnalysisOf, timerBlobRun, type RemoteSourceHooks } from "./remote-sources.js";
import type { AnalysisWindowMs, IncidentSource, SourceAnalysis } from "./source.js";

/**
 * The classic `$logs` source as the timer sees it: per-blob byte offsets in the timer's store (the same
 * cursor table as the archive, keyed by account, container and blob), advanced only on commit().
 */
export class ClassicIncidentSource implements IncidentSource {
  private readonly pending = new PendingCommit(BlobCursorConflictError);

  constructor(
    private readonly source: Extract<SourceSettings, { kind: "classic" }>,
    private readonly store: TriageStore,
    private readonly hooks: RemoteSourceHooks = {},
  ) {}

  describe(): string {
    const n = this.source.accountUrls.length + (this.source.connectionString ? 1 : 0);
    return `classic $logs of ${n} account(s)`;
  }

  async analyze(window: AnalysisWindowMs, clock: Clock): Promise<SourceAnalysis> {
    const settings = parseClassicSettings({
      accountUrls: this.source.accountUrls,
      connectionStrings: this.source.connectionString ? [this.source.connectionString] : [],
    });
    const { result, commit, accountsWithRows } = await analyzeClassic(
      timerBlobRun(settings, window, clock, this.store, this.hooks),
    );
    this.pending.hold(commit);
    return { ...sourceAnalysisOf(result), ...(accountsWithRows ? { accountsWithRows } : {}) };
  }

  commit(): Promise<void> {
    return this.pending.commit();
  }
}
