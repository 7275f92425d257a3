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
import { harness } from "./harness.js";
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

  it("reads since the ingestion watermark kept in Table storage, notifies once, and reads nothing twice", async () => {
    const store = await tableStore();
    const h = await harness(store, undefined as never);
    const run = (nowMs: number) =>
      h.run(
        new Date(nowMs).toISOString(),
        {
          source: undefined,
          sourceHooks: {
            credential: staticCredential(),
            logsClientHooks: {
              additionalPolicies: [
                { policy: trustCertificatePolicy(standIn.certificate.cert), position: "perCall" },
              ],
            },
          },
        },
        {
          TRIAGE_WORKSPACE_IDS: WS,
          TRIAGE_LOG_ANALYTICS_ENDPOINT: standIn.endpoint,
          TRIAGE_LOOKBACK: "12h",
          TRIAGE_MAX_CATCH_UP: "1d",
          TRIAGE_RESOLVE_AFTER: "12h",
        },
      );
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
});
