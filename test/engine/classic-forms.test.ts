import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { fixedClock } from "../../src/clock.js";
import { readStorageRequests } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { createRootCauseExplainer } from "../../src/correlate/index.js";
import { analyze, type AnalysisResult } from "../../src/engine/analyze.js";
import { incidentIdOf, type ChallengeKey, type Decision } from "../../src/model/incident.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { captureIo } from "../cli/io.js";
import { analyzeJson } from "../support/analyze-json.js";
import {
  activityEventsToLogAnalyticsJsonArray,
  classicStatusOf,
  storageRequestsToClassicLog,
  writeClassicLogsTree,
} from "../sim/forms.js";
import {
  SCENARIOS,
  generateAll,
  generateScenario,
  type ExpectedIncident,
  type ScenarioData,
} from "../sim/scenarios.js";

/**
 * The simulator's stories written as classic Storage Analytics lines (1.0 and 2.0) and read back through
 * the real CLI. A classic line carries a request status, not the error code, so the expected incidents
 * are the ground truth's with the code replaced by the status the line would carry (challenges that only
 * differed by code merge). Where the status decides the verdict it must be the story's verdict; where it
 * cannot, the incident must say it is ambiguous, and the story's verdict must be among those it names.
 */
interface ClassicExpectation {
  challenge: ChallengeKey;
  decisions: Set<Decision>;
  clusters: Map<string, number>;
  truths: ExpectedIncident[];
}

/** The sim's requests keyed by the fields a challenge is made of, to find each truth's classic status. */
function classicExpectations(data: ScenarioData): Map<string, ClassicExpectation> {
  const statusOf = new Map<string, string>();
  for (const r of data.requests) {
    if (r.statusCode !== 401 && r.statusCode !== 403) continue;
    statusOf.set(`${r.account}|${r.statusCode}|${r.statusText}|${r.authType}`, classicStatusOf(r));
  }
  const out = new Map<string, ClassicExpectation>();
  for (const t of data.truth.incidents) {
    const k = t.challenge;
    const status = statusOf.get(`${k.account}|${k.statusCode}|${k.errorCode}|${k.authType}`)!;
    const challenge = { ...k, errorCode: status };
    const id = incidentIdOf(challenge);
    let e = out.get(id);
    if (!e) {
      e = { challenge, decisions: new Set(), clusters: new Map(), truths: [] };
      out.set(id, e);
    }
    e.decisions.add(t.decision);
    e.truths.push(t);
    for (const c of t.clusters) {
      const ck = `${c.service}/${c.operation}`;
      e.clusters.set(ck, (e.clusters.get(ck) ?? 0) + c.count);
    }
  }
  return out;
}

function expectClassicTruth(
  result: AnalysisResult,
  data: ScenarioData,
): { exact: number; ambiguous: number } {
  expect(result.input.rows).toBe(data.truth.rows);
  expect(result.input.failures).toBe(data.truth.failures);
  const expected = classicExpectations(data);
  expect(result.incidents.map((i) => i.id).sort()).toEqual([...expected.keys()].sort());
  let exact = 0;
  let ambiguous = 0;
  for (const [id, e] of expected) {
    const inc = result.incidents.find((i) => i.id === id)!;
    expect([inc.account, inc.statusCode, inc.errorCode, inc.authType]).toEqual([
      e.challenge.account,
      e.challenge.statusCode,
      e.challenge.errorCode,
      e.challenge.authType,
    ]);
    const clusters = Object.fromEntries(inc.clusters.map((c) => [`${c.service}/${c.operation}`, c.count]));
    expect(clusters).toEqual(Object.fromEntries(e.clusters));
    if (inc.ambiguous) {
      ambiguous++;
      expect(inc.ambiguous.between).toContain(inc.decision);
      for (const d of e.decisions) expect(inc.ambiguous.between, `${id} ${inc.errorCode}`).toContain(d);
      expect(inc.guidance.steps.join(" ")).toMatch(/diagnostic setting/);
    } else {
      exact++;
      expect([...e.decisions], `${inc.errorCode} ${inc.authType} on ${inc.account}`).toEqual([inc.decision]);
    }
  }
  return { exact, ambiguous };
}

const data = generateAll({ seed: 21 });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "engine-classic-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("classic Storage Analytics lines of every story through the real CLI", () => {
  const forms: Record<string, (root: string) => Promise<void>> = {
    "1.0, a downloaded $logs tree with the queue logs gzipped": async (root) => {
      await writeClassicLogsTree(data.requests, root, { version: "1.0", gzipService: "queue" });
    },
    "2.0, one file with CRLF": (root) =>
      writeFile(
        join(root, "000001.log"),
        storageRequestsToClassicLog(data.requests, { version: "2.0", crlf: true }),
      ),
  };
  Object.entries(forms).forEach(([name, write], k) => {
    it(name, async () => {
      const logs = join(dir, `classic-${k}`);
      await mkdir(logs, { recursive: true });
      await write(logs);
      await writeFile(join(dir, `activity-${k}.json`), activityEventsToLogAnalyticsJsonArray(data.activity));
      const { code, result, stderr } = await analyzeJson([
        "--logs",
        logs,
        "--activity",
        join(dir, `activity-${k}.json`),
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(result.input.rejected).toBe(0);
      const { exact, ambiguous } = expectClassicTruth(result, data);
      // Both kinds occur: network stories are decided by the status, signature and permission ones are not.
      expect(exact).toBeGreaterThan(0);
      expect(ambiguous).toBeGreaterThan(0);
      const network = result.incidents.filter((i) => i.errorCode.endsWith("IpAuthorizationError"));
      expect(network.length).toBeGreaterThan(0);
      // The text report says which verdicts stay open, and what narrows them.
      const io = captureIo();
      await main(["analyze", "--logs", logs, "--format", "text"], io);
      const open = result.incidents.filter((i) => i.ambiguous).length;
      expect(
        io.out().match(/^Ambiguous: the logged status leaves \w+ or \w+ open; narrow it by /gm)?.length,
      ).toBe(open);
    });
  });
});

async function readBack(text: string, name: string): Promise<StorageRequest[]> {
  const file = join(dir, name);
  await writeFile(file, text);
  const out: StorageRequest[] = [];
  const rejections = new RejectionCollector();
  for await (const r of readStorageRequests([file], { rejections })) out.push(r);
  expect(rejections.count).toBe(0);
  return out;
}

const clock = fixedClock("2026-11-20T12:00:00Z");

describe("root causes and clock skew on classic lines", () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: as the story says wherever the line carries it`, async () => {
      const scenario = generateScenario(s.name);
      const requests = await readBack(
        storageRequestsToClassicLog(scenario.requests, { version: "2.0" }),
        `${s.name}.log`,
      );
      const result = await analyze({
        requests,
        activity: scenario.activity,
        explainer: createRootCauseExplainer({ clock }),
        clock,
        rejections: { count: 0, samples: [], reject() {} },
      });
      for (const e of classicExpectations(scenario).values()) {
        const inc = result.incidents.find((i) => i.id === incidentIdOf(e.challenge))!;
        expect(inc).toBeDefined();
        // Only where one story incident maps to one classic incident is its cause the story's alone.
        if (e.truths.length !== 1) continue;
        const truth = e.truths[0]!;
        // Confining failures to one host with the same key needs the key's hash, which classic lines do
        // not carry (no AuthenticationHash): only SAS times and tokens can show a clock there.
        if (truth.clockSkew !== undefined && inc.authType !== "AccountKey")
          expect(inc.clockSkew.suspected, inc.id).toBe(truth.clockSkew);
        if (truth.clockSkew !== undefined && inc.authType === "AccountKey" && !truth.clockSkew)
          expect(inc.clockSkew.suspected, inc.id).toBe(false);
        if (!truth.cause || truth.cause.startsWith("logs:")) continue;
        // Classic lines carry no resource id: a change is related to the account only when the activity
        // names the account itself; changes elsewhere in its resource group (apps, gateways) rank lower
        // or not at all, since the group cannot be told from the lines.
        const onAccount = scenario.activity.some(
          (a) =>
            a.operationName === truth.cause &&
            a.resourceId.toLowerCase().includes(`/storageaccounts/${inc.account.toLowerCase()}`),
        );
        if (onAccount) expect(inc.changes[0]?.operation).toBe(truth.cause);
      }
    });
  }
});
