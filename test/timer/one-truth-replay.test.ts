import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/clock.js";
import { readActivityEvents, readStorageRequestBatches } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze } from "../../src/engine/analyze.js";
import { startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import type { ActivityEvent } from "../../src/model/activity.js";
import type { Incident } from "../../src/model/incident.js";
import { openTableTriageStore } from "../../src/state/table.js";
import { runTimerInvocation } from "../../src/timer/runtime.js";
import { activityEventsToLogAnalyticsJsonArray, storageRequestsToNdjson } from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { startReceiver, type Receiver } from "./receiver.js";

/**
 * The timer replayed every 30 minutes of log time over several hours of stories, with its state in Table
 * storage (Azurite), stores the incidents one `analyze` pass over the same rows gives.
 */
const HOURS = 4;
const START = Date.parse("2026-11-20T06:00:00.000Z");
const STEP_MS = 30 * 60_000;

let azurite: AzuriteInstance;
let hook: Receiver;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "one-truth-replay-"));
  // Each hour its own seed: the same accounts fail again, with other rows, callers and gaps.
  const hours = Array.from({ length: HOURS }, (_, h) =>
    generateAll({ seed: 40 + h, start: new Date(START + h * 3_600_000).toISOString() }),
  );
  await writeFile(join(dir, "rows.ndjson"), storageRequestsToNdjson(hours.flatMap((d) => d.requests)));
  await writeFile(
    join(dir, "AzureActivity.json"),
    activityEventsToLogAnalyticsJsonArray(hours.flatMap((d) => d.activity)),
  );
  azurite = await startAzurite();
  hook = await startReceiver(0, "/hook");
});

afterAll(async () => {
  await hook?.close();
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** What must agree: everything the incident says about its failures, and its most likely cause. */
function facts(i: Incident) {
  return {
    count: i.count,
    firstSeen: i.firstSeen,
    lastSeen: i.lastSeen,
    services: i.services,
    operations: i.operations,
    clusters: i.clusters,
    callers: i.callers,
    perMinute: i.perMinute,
    sasWindows: i.sasWindows,
    operationVersions: i.operationVersions,
    sampleUris: i.sampleUris,
    sampleObjectKeys: i.sampleObjectKeys,
    topCause: i.changes[0] && {
      kind: i.changes[0].kind,
      operation: i.changes[0].operation,
      time: i.changes[0].time,
    },
  };
}

async function replayAndCompare(o: {
  logs: string;
  activity: string;
  tablePrefix: string;
  stepMs: number;
  lookback: string;
  minIncidents: number;
}): Promise<void> {
  const rejections = new RejectionCollector();
  const requests = [];
  for await (const b of readStorageRequestBatches([o.logs], { rejections })) requests.push(...b);
  const activity: ActivityEvent[] = [];
  for await (const e of readActivityEvents([o.activity], { rejections })) activity.push(e);
  expect(rejections.count).toBe(0);
  const firstRowMs = Math.min(...requests.map((r) => r.timeMs));
  const lastRowMs = Math.max(...requests.map((r) => r.timeMs));
  const state = await openTableTriageStore({
    kind: "connection-string",
    connectionString: azurite.connectionString,
    tablePrefix: o.tablePrefix,
  });

  // As the timer runs: on the interval's boundaries, from the first after the data starts.
  let now = Math.floor(firstRowMs / o.stepMs) * o.stepMs;
  let cycles = 0;
  while (now <= lastRowMs) {
    now += o.stepMs;
    const logs: string[] = [];
    const report = await runTimerInvocation({
      env: {
        TRIAGE_LOGS: o.logs,
        TRIAGE_ACTIVITY: o.activity,
        TRIAGE_WEBHOOK_URL: hook.url,
        TRIAGE_LOOKBACK: o.lookback,
        TRIAGE_RESOLVE_AFTER: "2h",
        TRIAGE_STATE_CONNECTION_STRING: azurite.connectionString,
      },
      clock: fixedClock(new Date(now)),
      isPastDue: false,
      log: (level, m) => logs.push(`${level}: ${m}`),
      overrides: { store: state, minSpacingMs: 0 },
    });
    expect(report.rejected, logs.join("\n")).toBe(0);
    cycles++;
  }
  expect(cycles).toBeGreaterThan(1);

  const one = await analyze({
    requests,
    activity,
    window: { from: new Date(firstRowMs), to: new Date(now - 1) },
    clock: fixedClock(new Date(now)),
    rejections: new RejectionCollector(),
    explainer: createRootCauseExplainer({ clock: fixedClock(new Date(now)) }),
  });
  const stored = await state.listIncidentStates();
  const byId = new Map(stored.map((s) => [s.record.incident.id, s.record.incident]));
  // Every challenge that crossed the threshold is stored, and each one says what one pass says.
  expect(one.incidents.length).toBeGreaterThanOrEqual(o.minIncidents);
  for (const expected of one.incidents) {
    const got = byId.get(expected.id);
    expect(got, `incident ${expected.id} (${expected.account} ${expected.errorCode})`).toBeDefined();
    expect(facts(got!)).toEqual(facts(expected));
    expect(got!.clusters.reduce((n, c) => n + c.count, 0)).toBe(got!.count);
    expect(Object.values(got!.operationVersions).reduce((n, c) => n + c, 0)).toBe(got!.count);
    // A first cause about new addresses never places them before the incident's own onset.
    const cause = got!.changes[0];
    if (cause?.kind === "new-caller-addresses")
      expect(Date.parse(cause.time)).toBeGreaterThanOrEqual(Date.parse(got!.firstSeen));
  }
  expect([...byId.keys()].sort()).toEqual(one.incidents.map((i) => i.id).sort());
  await state.close();
}

describe("timer replay over Table state equals one analyze pass", () => {
  it(`${HOURS} hours of stories, a cycle every 30 minutes of log time`, { timeout: 600_000 }, async () => {
    await replayAndCompare({
      logs: join(dir, "rows.ndjson"),
      activity: join(dir, "AzureActivity.json"),
      tablePrefix: "onetruthhours",
      stepMs: STEP_MS,
      lookback: "30m",
      minIncidents: 10,
    });
  });

  it(
    "the bundled samples, a cycle every 5 minutes as npm start replays them",
    { timeout: 600_000 },
    async () => {
      await replayAndCompare({
        logs: "samples/logs",
        activity: "samples/activity",
        tablePrefix: "onetruthsamples",
        stepMs: 5 * 60_000,
        lookback: "30m",
        minIncidents: 5,
      });
    },
  );
});
