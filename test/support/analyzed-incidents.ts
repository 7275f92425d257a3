import { fixedClock } from "../../src/clock.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze } from "../../src/engine/analyze.js";
import type { ActivityEvent } from "../../src/model/activity.js";
import type { Incident } from "../../src/model/incident.js";
import type { StorageRequest } from "../../src/model/storage-request.js";

/** The simulator's "now": after every story it generates. */
export const STORY_NOW = "2026-11-20T12:00:00Z";

/**
 * Requests and activity through the whole `analyze` as the tests' stories are judged: at STORY_NOW, with
 * the root-cause explainer, and no reader (so no rejections to count).
 */
export async function analyzedIncidents(input: {
  requests: readonly StorageRequest[];
  activity: readonly ActivityEvent[];
}): Promise<Incident[]> {
  const clock = fixedClock(STORY_NOW);
  const result = await analyze({
    requests: input.requests,
    activity: input.activity,
    clock,
    explainer: createRootCauseExplainer({ clock }),
    rejections: { count: 0, samples: [], reject() {} },
  });
  return result.incidents;
}
