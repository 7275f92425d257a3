import type { Clock } from "../../src/clock.js";
import type { Incident } from "../../src/model/incident.js";
import type { AnalysisWindowMs, IncidentSource, SourceAnalysis } from "../../src/timer/source.js";
import { fixtureIncident, type FixtureSpec } from "./fixtures.js";

/**
 * A source over a fixed timeline of failures: each analysis sees only the minutes inside its window,
 * like the engine over logs would. Records the windows it was asked for.
 */
export class TimelineSource implements IncidentSource {
  readonly windows: AnalysisWindowMs[] = [];
  constructor(public specs: FixtureSpec[]) {}
  describe(): string {
    return `timeline of ${this.specs.length} challenge(s)`;
  }
  async analyze(window: AnalysisWindowMs, _clock: Clock): Promise<SourceAnalysis> {
    this.windows.push(window);
    const incidents: Incident[] = [];
    let failures = 0;
    for (const spec of this.specs) {
      const perMinute = spec.perMinute.filter(([m]) => {
        const t = Date.parse(m);
        return t >= window.fromMs && t < window.toMs;
      });
      if (perMinute.length === 0) continue;
      const i = fixtureIncident({ ...spec, perMinute });
      failures += i.count;
      incidents.push(i);
    }
    return { incidents, rowsScanned: failures * 10, failures, clusters: incidents.length, rejected: 0 };
  }
}

/**
 * Like TimelineSource, but incremental (as Log Analytics by ingestion time or archive blobs by offset):
 * each analysis returns only the minutes after the previous committed read.
 */
export class IncrementalTimelineSource extends TimelineSource {
  private readUntilMs = -Infinity;
  private pendingUntilMs: number | undefined;
  commits = 0;
  override async analyze(window: AnalysisWindowMs, clock: Clock): Promise<SourceAnalysis> {
    const from = Math.max(window.fromMs, this.readUntilMs);
    const result = await super.analyze({ fromMs: from, toMs: window.toMs }, clock);
    this.pendingUntilMs = window.toMs;
    return { ...result, incremental: true, window: { fromMs: from, toMs: window.toMs } };
  }
  async commit(): Promise<void> {
    if (this.pendingUntilMs !== undefined) this.readUntilMs = this.pendingUntilMs;
    this.pendingUntilMs = undefined;
    this.commits++;
  }
}
