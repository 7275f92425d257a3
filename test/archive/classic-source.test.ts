import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemoryBlobCursorStore } from "../../src/collect/archive/cursor.js";
import {
  CLASSIC_LAYOUT,
  hourOfClassicBlob,
  parseClassicSettings,
  readClassicLogs,
} from "../../src/collect/classic-source.js";
import { windowPrefixes } from "../../src/collect/blob-window.js";
import { fixedClock } from "../../src/clock.js";
import type { RejectedRecord } from "../../src/engine/contracts.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { startCountingProxy, type CountingProxy } from "../support/counting-proxy.js";
import { classicLogPathOf, storageRequestsToClassicLog } from "../sim/forms.js";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-11-20T06:30:00Z");

function request(i: number, timeMs: number, service: StorageRequest["service"] = "blob"): StorageRequest {
  return {
    timeMs,
    account: AZURITE_ACCOUNT,
    service,
    operation: service === "queue" ? "GetMessages" : "GetBlob",
    statusCode: i % 2 === 0 ? 403 : 200,
    statusText: i % 2 === 0 ? "AuthorizationFailure" : "Success",
    authType: i % 3 === 0 ? "SAS" : "AccountKey",
    callerIp: `10.1.0.${i % 200}`,
    userAgent: "azsdk-js-storage-blob/12.26.0",
    operationVersion: "2025-01-05",
    uri: `https://${AZURITE_ACCOUNT}.${service}.core.windows.net/c/b${i}?sv=2025-01-05&sig=XXXXX;x=1`,
  };
}

describe("--classic-account source: `$logs` through Azurite's blob service", () => {
  let azurite: AzuriteInstance;
  let proxy: CountingProxy;
  let direct: BlobServiceClient;
  let viaProxy: string;

  async function put(name: string, body: string) {
    await direct.getContainerClient("$logs").getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
  }

  beforeAll(async () => {
    azurite = await startAzurite();
    proxy = await startCountingProxy(azurite.blobPort);
    direct = BlobServiceClient.fromConnectionString(azurite.connectionString);
    viaProxy =
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=http://127.0.0.1:${proxy.port}/${AZURITE_ACCOUNT};`;
    await direct.getContainerClient("$logs").create();
    // Three days of history, one blob per hour and service; the window is the last hour.
    const hours: number[] = [];
    for (let h = Math.floor((NOW - 72 * HOUR) / HOUR) * HOUR; h <= NOW; h += HOUR) hours.push(h);
    let i = 0;
    for (const h of hours)
      for (const service of ["blob", "queue"] as const) {
        const rs = [request(i++, h + 60_000, service), request(i++, h + 120_000, service)];
        await put(classicLogPathOf(rs[0]!), storageRequestsToClassicLog(rs, { version: "2.0" }));
      }
  }, 180_000);

  afterAll(async () => {
    await proxy?.close();
    await azurite?.stop();
  });

  it("lays hours out as Storage Analytics does and lists only the window's hours", () => {
    expect(hourOfClassicBlob("blob/2026/11/20/0600/000001.log")).toBe(Date.parse("2026-11-20T06:00:00Z"));
    expect(hourOfClassicBlob("blob/2026/11/20/0600/index.json")).toBeUndefined();
    expect(windowPrefixes(CLASSIC_LAYOUT, { fromMs: NOW - HOUR, toMs: NOW })).toEqual([
      "2026/11/20/05",
      "2026/11/20/06",
    ]);
    expect(() => parseClassicSettings({})).toThrow(/at least one account/);
  });

  it("reads the window once, per-blob cursors carry on, grown blobs read from their offset", async () => {
    const cursors = new InMemoryBlobCursorStore();
    const clock = fixedClock(new Date(NOW).toISOString());
    const seen: StorageRequest[] = [];
    const rejected: RejectedRecord[] = [];
    const deps = {
      clock,
      cursors,
      observer: { observe: (r: StorageRequest) => void seen.push(r) },
      rejections: { reject: (r: RejectedRecord) => void rejected.push(r) },
    };
    const settings = parseClassicSettings({ connectionStrings: [viaProxy] });
    proxy.reset();
    const first = await readClassicLogs(settings, { sinceMs: NOW - HOUR }, deps);
    expect(rejected).toEqual([]);
    // Hours 05 and 06, blob and queue: 4 blobs, 2 lines each.
    expect(first.blobsListed).toBe(4);
    expect(first.records).toBe(8);
    expect(seen.every((r) => r.timeMs >= NOW - 2 * HOUR)).toBe(true);
    expect(
      seen.filter(
        (r) => r.statusText === "IpAuthorizationError" || r.statusText === "SASIpAuthorizationError",
      ),
    ).toHaveLength(4);
    expect(seen[0]!.uri).toContain(";x=1");
    // Roots blob/ and queue/ (one call for the container, one per root) and one call per hour prefix per
    // root: never the 72 hours of history.
    expect(first.listCalls).toBeLessThanOrEqual(1 + 2 + 2 * 2);
    await first.commit();

    const again = await readClassicLogs(settings, { sinceMs: NOW - HOUR }, deps);
    expect(again.records).toBe(0);
    expect(again.blobsRead).toEqual([]);

    // A blob grows (Storage Analytics appends): only the new line is read.
    const grown = [request(1000, NOW - 60_000), request(1001, NOW - 30_000)];
    const name = classicLogPathOf(grown[0]!);
    const before = (
      await direct.getContainerClient("$logs").getBlobClient(name).downloadToBuffer()
    ).toString();
    await put(name, before + storageRequestsToClassicLog([grown[1]!], { version: "2.0" }));
    const third = await readClassicLogs(settings, { sinceMs: NOW - HOUR }, deps);
    expect(third.records).toBe(1);
    expect(third.blobsRead[0]!.fromOffset).toBe(Buffer.byteLength(before));
    await third.commit();
  });

  it("reports a bad line with account, blob, line and field, and goes on", async () => {
    const cursors = new InMemoryBlobCursorStore();
    const good = storageRequestsToClassicLog([request(8, NOW - 50 * 60_000)], { version: "1.0" });
    const bad = good.replace("403", "forbidden");
    await put("table/2026/11/20/0600/000000.log", bad + good);
    const rejected: RejectedRecord[] = [];
    const seen: StorageRequest[] = [];
    const result = await readClassicLogs(
      parseClassicSettings({ connectionStrings: [azurite.connectionString] }),
      { sinceMs: NOW - 20 * 60_000, dropRecordsBeforeSince: true },
      {
        clock: fixedClock(new Date(NOW).toISOString()),
        cursors,
        observer: { observe: (r) => void seen.push(r) },
        rejections: { reject: (r) => void rejected.push(r) },
      },
    );
    expect(rejected).toEqual([
      {
        file: `${AZURITE_ACCOUNT}/$logs/table/2026/11/20/0600/000000.log`,
        line: 1,
        field: "http-status-code",
        reason: 'not an HTTP status code: "forbidden"',
      },
    ]);
    // The good line is before --since: dropped, and counted as such.
    expect(result.droppedBeforeSince).toBeGreaterThan(0);
    expect(seen.every((r) => r.timeMs >= NOW - 20 * 60_000)).toBe(true);
  });
});
