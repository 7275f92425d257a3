import { expect } from "vitest";
import type { AnalysisResult } from "../../src/engine/analyze.js";
import { incidentIdOf } from "../../src/model/incident.js";
import type { ScenarioData } from "../sim/scenarios.js";

/** Asserts the engine found exactly the scenario's ground truth: incidents, verdicts and clusters. */
export function expectMatchesTruth(result: AnalysisResult, data: ScenarioData): void {
  expect(result.input.rows).toBe(data.truth.rows);
  expect(result.input.failures).toBe(data.truth.failures);
  const expectedIds = data.truth.incidents.map((i) => incidentIdOf(i.challenge)).sort();
  expect(result.incidents.map((i) => i.id).sort()).toEqual(expectedIds);
  for (const truth of data.truth.incidents) {
    const inc = result.incidents.find((i) => i.id === incidentIdOf(truth.challenge))!;
    expect({
      challenge: [inc.account, inc.statusCode, inc.errorCode, inc.authType],
      decision: inc.decision,
    }).toEqual({
      challenge: [
        truth.challenge.account,
        truth.challenge.statusCode,
        truth.challenge.errorCode,
        truth.challenge.authType,
      ],
      decision: truth.decision,
    });
    const clusters = inc.clusters
      .map((c) => ({ service: c.service, operation: c.operation, count: c.count }))
      .sort((a, b) => `${a.service}/${a.operation}`.localeCompare(`${b.service}/${b.operation}`));
    expect(clusters).toEqual(truth.clusters);
    expect(inc.count).toBe(truth.clusters.reduce((n, c) => n + c.count, 0));
    expect(inc.perMinute.reduce((n, [, c]) => n + c, 0)).toBe(inc.count);
  }
}
