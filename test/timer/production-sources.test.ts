import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import { blobCursorStoreOn, watermarkStoreOn } from "../../src/state/cursors.js";
import { openTableTriageStore, type TableTriageStore } from "../../src/state/table.js";
import { ANALYSIS_WATERMARK } from "../../src/timer/cycle.js";
import { startLogsApiStandIn, type LogsApiStandIn } from "../support/logs-api-server.js";
import { staticCredential } from "../support/static-credential.js";
import { asIngestedRows, generateStorageFixture } from "../support/storage-fixture.js";
import { describeBlobCursorStore, describeWatermarkStore } from "../support/store-conformance.js";
import { trustCertificatePolicy } from "../support/test-tls.js";
import { harness, type Harness } from "./harness.js";
import { webhookPayloadSchema } from "../../src/notify/webhook-payload.js";

/**
 * The production sources' cursors on the timer's Table store (the sources' own conformance suites, run
 * against Azurite), and a timer cycle over Log Analytics through a local Logs API stand-in.
 */
let azurite: AzuriteInstance;
let seq = 0;

async function tableStore(): Promise<TableTriageStore> {
  const s = await openTableTriageStore({
    kind: "connection-string",
    connectionString: azurite.connectionString,
    tablePrefix: `p${Date.now().toString(36)}${seq++}`,
  });
  await s.init();
  return s;
}

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describeWatermarkStore("timer Table store (Azurite)", async () => watermarkStoreOn(await tableStore()));
describeBlobCursorStore("timer Table store (Azurite)", async () => blobCursorStoreOn(await tableStore()));

describe("timer over Log Analytics", () => {
  let standIn: LogsApiStandIn;
  const WS = "11111111-2222-4333-8444-555555555555";
  const START = Date.parse("2026-11-20T06:00:00Z");
  const fixture = generateStorageFixture(START);
  const AFTER_ALL = Math.max(...fixture.map((f) => f.ingestedAtMs)) + 5 * 60_000;

  beforeAll(async () => {
    standIn = await startLogsApiStandIn();
    standIn.setRows(WS, asIngestedRows(fixture));
  });
  afterAll(async () => {
    await standIn?.close();
  });

  /** The real Logs client, trusting the stand-in's certificate. */
  const standInHooks = () => ({
    credential: staticCredential(),
    logsClientHooks: {
      additionalPolicies: [
        { policy: trustCertificatePolicy(standIn.certificate.cert), position: "perCall" as const },
      ],
    },
  });

  /** One timer cycle at `nowMs` over Log Analytics through the stand-in, over the last 12 hours. */
  const cycleOver = (
    h: Harness,
    nowMs: number,
    env: Record<string, string> & { TRIAGE_WORKSPACE_IDS: string },
  ) =>
    h.run(
      new Date(nowMs).toISOString(),
      { source: undefined, sourceHooks: standInHooks() },
      {
        TRIAGE_LOG_ANALYTICS_ENDPOINT: standIn.endpoint,
        TRIAGE_LOOKBACK: "12h",
        TRIAGE_MAX_CATCH_UP: "1d",
        ...env,
      },
    );

  it("reads since the ingestion watermark kept in Table storage, notifies once, and reads nothing twice", async () => {
    const store = await tableStore();
    const h = await harness(store, undefined as never);
    const run = (nowMs: number) =>
      cycleOver(h, nowMs, { TRIAGE_WORKSPACE_IDS: WS, TRIAGE_RESOLVE_AFTER: "12h" });
    try {
      const first = await run(AFTER_ALL);
      expect(first.failures).toBeGreaterThan(0);
      expect(first.incidents.opened).toBeGreaterThan(0);
      expect(first.notifications.failed + first.notifications.pending).toBe(0);
      const sent = h.hook.received.length;
      expect(sent).toBeGreaterThan(0);
      for (const r of h.hook.received) webhookPayloadSchema.parse(r.body);
      // The workspace's ingestion watermark lives in the timer's store now.
      const mark = await watermarkStoreOn(store).get(`loganalytics:${WS}`);
      expect(mark?.valueMs).toBe(AFTER_ALL - 60_000);
      expect(await store.getWatermark(ANALYSIS_WATERMARK)).toBeDefined();

      const second = await run(AFTER_ALL + 5 * 60_000);
      expect(second.failures).toBe(0); // nothing new was ingested
      expect(second.window.from).toBe(new Date(AFTER_ALL - 60_000).toISOString());
      expect(h.hook.received.length).toBe(sent);
      for (const count of h.hook.accepted().values()) expect(count).toBe(1);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });

  it("input health: names a listed account with no row in the cycle's window, counted by the workspace", async () => {
    const WS2 = "22222222-3333-4444-8555-666666666666";
    const rows = asIngestedRows(fixture);
    const template = rows.find((r) => r.table === "StorageBlobLogs")!;
    const at = (ms: number) => new Date(ms).toISOString();
    const withRow = (patch: Record<string, unknown>, timeMs: number) => ({
      table: template.table,
      ingestedAt: at(timeMs + 60_000),
      row: { ...template.row, ...patch, TimeGenerated: at(timeMs) },
    });
    const resourceOf = (account: string) =>
      String(template.row._ResourceId).replace(/storageaccounts\/[^/]+/, `storageaccounts/${account}`);
    standIn.setRows(WS2, [
      ...rows,
      // Logged, but 13 hours ago: outside the 12-hour window.
      withRow({ AccountName: "stolder03", _ResourceId: resourceOf("stolder03") }, AFTER_ALL - 13 * 3_600_000),
      // In the window, the account only in the resource id (the query's fallback).
      withRow({ AccountName: "", _ResourceId: resourceOf("stresonly04") }, AFTER_ALL - 3_600_000),
    ]);
    const store = await tableStore();
    const h = await harness(store, undefined as never);
    const before = standIn.requests.length;
    try {
      const report = await cycleOver(h, AFTER_ALL, {
        TRIAGE_WORKSPACE_IDS: WS2,
        TRIAGE_EXPECTED_ACCOUNTS: "contosoprod,partnerdrop,contosofiles,stresonly04,stolder03,stquiet02",
      });
      const silent = report.inputs?.problems.filter((p) => p.input.startsWith("account:"));
      expect(silent?.map((p) => p.input)).toEqual(["account:stolder03", "account:stquiet02"]);
      expect(silent?.[0]?.problem).toBe("storage account stolder03 sent no logs at all in this window");
      // One accounts query per cycle, over the cycle's window by TimeGenerated.
      const asked = standIn.requests.slice(before).filter((r) => r.queryName === "accounts-with-rows");
      expect(asked).toHaveLength(1);
      expect(asked[0]!.status).toBe(200);
      expect(asked[0]!.query).toContain(`TimeGenerated < datetime(${at(AFTER_ALL)})`);
      // The cycle's window starts on the minute grid.
      const from = Math.floor((AFTER_ALL - 12 * 3_600_000) / 60_000) * 60_000;
      expect(asked[0]!.query).toContain(`TimeGenerated >= datetime(${at(from)})`);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });

  it("input health: says nothing of the accounts when the workspace's accounts answer timed out", async () => {
    const WS3 = "33333333-4444-4555-8666-777777777777";
    standIn.setRows(WS3, asIngestedRows(fixture));
    // The accounts query is the first a workspace is asked in a run.
    standIn.enqueueFaults(WS3, { status: 504 });
    const h = await harness(await tableStore(), undefined as never);
    const before = standIn.requests.length;
    try {
      const report = await cycleOver(h, AFTER_ALL, {
        TRIAGE_WORKSPACE_IDS: WS3,
        TRIAGE_EXPECTED_ACCOUNTS: "contosoprod,stquiet02",
      });
      const mine = standIn.requests.slice(before);
      expect(mine[0]).toMatchObject({ queryName: "accounts-with-rows", status: 504 });
      expect(report.failures).toBeGreaterThan(0);
      expect(report.inputs?.problems.filter((p) => p.input.startsWith("account:"))).toEqual([]);
    } finally {
      await h.teams.close();
      await h.hook.close();
    }
  });
});
