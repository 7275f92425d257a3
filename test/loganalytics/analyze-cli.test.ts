import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { analyzeCommand, type AnalyzeCommandDeps } from "../../src/cli/commands/analyze.js";
import { fixedClock } from "../../src/clock.js";
import { startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import { startLogsApiStandIn, type IngestedRow, type LogsApiStandIn } from "../support/logs-api-server.js";
import { staticCredential } from "../support/static-credential.js";
import { seededRandom } from "../support/storage-fixture.js";
import { trustCertificatePolicy } from "../support/test-tls.js";
import {
  activityArchivePathOf,
  activityEventsToArchiveJsonLines,
  activityEventsToLogAnalyticsJsonArray,
  archivePathOf,
  storageRequestsToArchiveJsonLines,
  storageRequestsToNdjson,
  toActivityRow,
  toLogAnalyticsRow,
} from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";

/**
 * The same simulated data (every failure story of the engine's simulator plus background traffic) through
 * the three inputs of `auth-triage analyze`: exported files, a Log Analytics workspace (the stand-in, via
 * the real SDK) and an archive account (Azurite). The reports must agree.
 */
const WS = "11111111-2222-4333-8444-555555555555";
const sim = generateAll();
const random = seededRandom(11);
const ingestedAt = sim.requests.map((r) => r.timeMs + 3 * 60_000 + Math.floor(random() * 17 * 60_000));
const firstMs = Math.min(...sim.requests.map((r) => r.timeMs), ...sim.activity.map((e) => e.timeMs));
const NOW = Math.max(...ingestedAt) + 5 * 60_000;
const UNTIL = NOW - 60_000;
/** Covers every row and activity event, with margin. */
const SINCE_MINUTES = Math.ceil((UNTIL - firstMs) / 60_000) + 30;

let standIn: LogsApiStandIn;
let azurite: AzuriteInstance;
let dir: string;

function capture() {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

async function run(argv: string[], deps: AnalyzeCommandDeps = {}) {
  const out = capture();
  const err = capture();
  let code: number;
  try {
    code = await analyzeCommand({ clock: fixedClock(new Date(NOW)), ...deps }).run(argv, {
      stdout: out.stream,
      stderr: err.stream,
      env: {},
    });
  } catch (e) {
    return { code: -1, stdout: out.text(), stderr: String(e) };
  }
  return { code, stdout: out.text(), stderr: err.text() };
}

function remoteDeps(): AnalyzeCommandDeps {
  return {
    remote: {
      credential: staticCredential(),
      logAnalytics: { endpoint: standIn.endpoint },
      logsClientHooks: {
        additionalPolicies: [
          { policy: trustCertificatePolicy(standIn.certificate.cert), position: "perCall" },
        ],
      },
    },
  };
}

type Report = {
  window: { from: string; to: string };
  input: { rows: number; failures: number; rejected: number; clusters: number };
  incidents: Array<Record<string, unknown> & { id: string }>;
};

beforeAll(async () => {
  standIn = await startLogsApiStandIn();
  const rows: IngestedRow[] = sim.requests.map((r, i) => {
    const row = toLogAnalyticsRow(r);
    return { table: String(row.Type), ingestedAt: new Date(ingestedAt[i]!).toISOString(), row };
  });
  for (const e of sim.activity) {
    rows.push({
      table: "AzureActivity",
      ingestedAt: new Date(e.timeMs + 10 * 60_000).toISOString(),
      row: toActivityRow(e),
    });
  }
  standIn.setRows(WS, rows);
  dir = await mkdtemp(join(tmpdir(), "auth-triage-cli-"));
  await writeFile(join(dir, "logs.ndjson"), storageRequestsToNdjson(sim.requests));
  await writeFile(join(dir, "activity.json"), activityEventsToLogAnalyticsJsonArray(sim.activity));
  azurite = await startAzurite();
}, 120_000);

afterAll(async () => {
  await standIn?.close();
  await azurite?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("auth-triage analyze over the production sources", () => {
  test("--workspace gives the same incidents as the exported rows", async () => {
    const window = [
      "--from",
      new Date(UNTIL - SINCE_MINUTES * 60_000).toISOString(),
      "--to",
      new Date(UNTIL).toISOString(),
    ];
    const files = await run([
      "--logs",
      join(dir, "logs.ndjson"),
      "--activity",
      join(dir, "activity.json"),
      ...window,
      "--format",
      "json",
    ]);
    const workspace = await run(
      ["--workspace", WS, "--since", `${SINCE_MINUTES}m`, "--format", "json"],
      remoteDeps(),
    );
    expect(files.code).toBe(0);
    expect(workspace.stderr).toBe("");
    expect(workspace.code).toBe(0);
    const a = JSON.parse(files.stdout) as Report;
    const b = JSON.parse(workspace.stdout) as Report;
    expect(b.window).toEqual(a.window);
    expect(b.input).toMatchObject({ rows: sim.truth.rows, failures: sim.truth.failures, rejected: 0 });
    expect(a.input).toMatchObject({ rows: sim.truth.rows, failures: sim.truth.failures, rejected: 0 });
    expect(b.input.clusters).toBe(a.input.clusters);
    expect(b.incidents.length).toBeGreaterThanOrEqual(10);
    // Root causes from activity and from the logs, and clock skew, are part of what must agree.
    expect(b.incidents.filter((i) => (i.changes as unknown[]).length > 0).length).toBeGreaterThanOrEqual(5);
    expect(b.incidents.some((i) => (i.clockSkew as { suspected: boolean }).suspected)).toBe(true);
    // Every incident field agrees, root causes and clock skew included; sample lists are drawn from the
    // same sets but may pick different members when a cluster has more distinct values than the cap.
    const strip = (i: Record<string, unknown>) => ({
      ...i,
      sampleUris: undefined,
      sampleObjectKeys: undefined,
    });
    expect(b.incidents.map(strip)).toEqual(a.incidents.map(strip));
  });

  test("--archive-account gives the same incidents as the downloaded archive", async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const byPath = new Map<string, typeof sim.requests>();
    for (const r of sim.requests) byPath.set(archivePathOf(r), [...(byPath.get(archivePathOf(r)) ?? []), r]);
    for (const [path, requests] of byPath) {
      const [container, ...rest] = path.split("/");
      const containerClient = service.getContainerClient(container!);
      await containerClient.createIfNotExists();
      const body = storageRequestsToArchiveJsonLines(requests);
      await containerClient.getBlockBlobClient(rest.join("/")).upload(body, Buffer.byteLength(body));
      const local = join(dir, "archive", path);
      await import("node:fs/promises").then(async (fs) => {
        await fs.mkdir(join(local, ".."), { recursive: true });
        await fs.writeFile(local, body);
      });
    }
    // The subscription's activity log archived in the same account: no --activity needed.
    const activityContainer = service.getContainerClient("insights-activity-logs");
    await activityContainer.createIfNotExists();
    const byActivityPath = new Map<string, typeof sim.activity>();
    for (const e of sim.activity) {
      const path = activityArchivePathOf(e, e.subscriptionId ?? "00000000-0000-0000-0000-000000000000");
      byActivityPath.set(path, [...(byActivityPath.get(path) ?? []), e]);
    }
    for (const [path, events] of byActivityPath) {
      const body = activityEventsToArchiveJsonLines(events);
      await activityContainer
        .getBlockBlobClient(path.split("/").slice(1).join("/"))
        .upload(body, Buffer.byteLength(body));
    }
    const since = new Date(NOW - SINCE_MINUTES * 60_000).toISOString();
    const files = await run([
      "--logs",
      join(dir, "archive"),
      "--activity",
      join(dir, "activity.json"),
      "--from",
      since,
      "--to",
      new Date(NOW).toISOString(),
      "--format",
      "json",
    ]);
    const archive = await run([
      "--archive-account",
      azurite.connectionString,
      "--since",
      `${SINCE_MINUTES}m`,
      "--format",
      "json",
    ]);
    expect(archive.stderr).toBe("");
    expect(archive.code).toBe(0);
    const a = JSON.parse(files.stdout) as Report;
    const b = JSON.parse(archive.stdout) as Report;
    expect(b.input).toMatchObject({ rows: sim.truth.rows, failures: sim.truth.failures, rejected: 0 });
    expect(b.incidents).toEqual(a.incidents);
    const byActivity = b.incidents.filter((i) =>
      (i.changes as Array<{ source: string }>).some((c) => c.source === "activity"),
    );
    expect(byActivity.length).toBeGreaterThan(0);
  });

  test("usage errors: one source at a time, --since only with remote sources, a workspace is a GUID", async () => {
    const both = await run(["--logs", join(dir, "logs.ndjson"), "--workspace", WS]);
    expect(both.stderr).toMatch(/give one source/);
    const sinceWithFiles = await run(["--logs", join(dir, "logs.ndjson"), "--since", "1h"]);
    expect(sinceWithFiles.stderr).toMatch(
      /--since goes with --workspace, --archive-account or --classic-account/,
    );
    const badId = await run(["--workspace", "prod-logs"], remoteDeps());
    expect(badId.stderr).toMatch(/workspace's GUID/);
    const none = await run([]);
    expect(none.stderr).toMatch(/--workspace ID/);
  });
});
