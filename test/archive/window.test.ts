import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readArchivedActivity } from "../../src/collect/archive/activity.js";
import { InMemoryBlobCursorStore } from "../../src/collect/archive/cursor.js";
import { ARCHIVE_LAYOUT } from "../../src/collect/archive/paths.js";
import { parseArchiveSettings, readArchive } from "../../src/collect/archive/reader.js";
import {
  type BlobWindowLayout,
  listRoots,
  listWindowBlobs,
  utcParts,
  windowPrefixes,
} from "../../src/collect/blob-window.js";
import { mapOrdered } from "../../src/collect/map-ordered.js";
import { fixedClock } from "../../src/clock.js";
import type { RejectedRecord } from "../../src/engine/contracts.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { startCountingProxy, type CountingProxy } from "../support/counting-proxy.js";
import { archiveRecordOf, generateStorageFixture } from "../support/storage-fixture.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse("2026-11-20T06:30:00Z");
const fixture = generateStorageFixture(NOW - HOUR);
const line = (i: number) => JSON.stringify(archiveRecordOf(fixture[i % fixture.length]!)) + "\n";

const ACCOUNTS = ["CONTOSOPROD", "CONTOSODEV", "FABRIKAM"];
const resource = (account: string) =>
  `resourceId=/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/RG-${account}/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/${account}/BLOBSERVICES/DEFAULT/`;
const ACTIVITY_ROOT = "resourceId=/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/";
const hourName = (root: string, hourMs: number) =>
  `${root}${ARCHIVE_LAYOUT.hourPrefix(hourMs)}m=00/PT1H.json`;

const activityLine = (ms: number, i: number) =>
  JSON.stringify({
    time: new Date(ms + 10 * 60_000).toISOString(),
    resourceId: `/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/RG-CONTOSOPROD/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/CONTOSOPROD`,
    operationName: "MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION",
    category: "Administrative",
    resultType: "Success",
    correlationId: `activity-${i}`,
  }) + "\n";

/** Classic `$logs` naming, to show the walk and the prefixes are not tied to the archive layout. */
const CLASSIC_LAYOUT: BlobWindowLayout = {
  isTimeSegment: (s) => /^\d{4}\/$/.test(s),
  hourPrefix: (h) => {
    const p = utcParts(h);
    return `${p.y}/${p.m}/${p.d}/${p.h}`;
  },
  dayPrefix: (d) => {
    const p = utcParts(d);
    return `${p.y}/${p.m}/${p.d}/`;
  },
  hourOf: (name) => {
    const m = /(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\d{2}\/\d{6}\.log$/.exec(name);
    return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!) : undefined;
  },
};

describe("window prefixes and the ordered pool", () => {
  test("a short window lists its hours; a long one lists whole days by day prefix and the edges by hour", () => {
    expect(windowPrefixes(ARCHIVE_LAYOUT, { fromMs: NOW - 2 * HOUR, toMs: NOW })).toEqual([
      "y=2026/m=11/d=20/h=04/",
      "y=2026/m=11/d=20/h=05/",
      "y=2026/m=11/d=20/h=06/",
    ]);
    // 2026-11-18T22:10 → 2026-11-20T06:30: 2 hours of the 18th, all of the 19th, 7 hours of the 20th.
    expect(windowPrefixes(ARCHIVE_LAYOUT, { fromMs: Date.parse("2026-11-18T22:10:00Z"), toMs: NOW })).toEqual(
      ["y=2026/m=11/d=18/h=22/", "y=2026/m=11/d=18/h=23/", "y=2026/m=11/d=19/", "y=2026/m=11/d=20/"],
    );
    expect(windowPrefixes(CLASSIC_LAYOUT, { fromMs: NOW - HOUR, toMs: NOW })).toEqual([
      "2026/11/20/05",
      "2026/11/20/06",
    ]);
    expect(windowPrefixes(ARCHIVE_LAYOUT, { fromMs: NOW, toMs: NOW - 1 })).toEqual([]);
  });

  test("mapOrdered keeps source order, never exceeds its concurrency and pulls the source lazily", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let pulled = 0;
    const source = (function* () {
      for (let i = 0; i < 20; i++) {
        pulled++;
        yield i;
      }
    })();
    const resolvers: Array<() => void> = [];
    const out: number[] = [];
    const run = (async () => {
      for await (const v of mapOrdered(source, 3, async (i) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise<void>((r) => resolvers.push(r));
        inFlight--;
        return i * 10;
      }))
        out.push(v);
    })();
    // Finish the calls newest first, so completion order differs from source order.
    while (out.length < 20) {
      await new Promise((r) => setImmediate(r));
      expect(pulled).toBeLessThanOrEqual(out.length + 3);
      resolvers
        .splice(0)
        .reverse()
        .forEach((r) => r());
    }
    await run;
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
    expect(maxInFlight).toBe(3);
  });

  test("a failing call surfaces in its turn", async () => {
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const v of mapOrdered([1, 2, 3], 3, async (i) => {
          if (i === 2) throw new Error("boom 2");
          return i;
        }))
          seen.push(v);
      })(),
    ).rejects.toThrow("boom 2");
    expect(seen).toEqual([1]);
  });
});

describe("windowed archive reading at scale (Azurite behind a counting proxy)", () => {
  let azurite: AzuriteInstance;
  let proxy: CountingProxy;
  let direct: BlobServiceClient;
  let connectionString: string;
  const historyDays = { value: 0 };

  /** Uploads an hour blob per root every `everyHours` hours of [fromMs, toMs]. */
  async function addHistory(
    container: ContainerClient,
    roots: string[],
    fromMs: number,
    toMs: number,
    everyHours = 1,
  ) {
    const blobs: Array<{ name: string; body: string }> = [];
    for (let h = Math.floor(fromMs / HOUR) * HOUR; h <= toMs; h += everyHours * HOUR)
      for (const root of roots) {
        const i = blobs.length;
        const body =
          container.containerName === "insights-activity-logs"
            ? activityLine(h, i) + activityLine(h + 60_000, i + 1)
            : line(i) + line(i + 1);
        blobs.push({ name: hourName(root, h), body });
      }
    for await (const _ of mapOrdered(blobs, 16, ({ name, body }) =>
      container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body)),
    ));
  }

  beforeAll(async () => {
    azurite = await startAzurite();
    proxy = await startCountingProxy(azurite.blobPort);
    direct = BlobServiceClient.fromConnectionString(azurite.connectionString);
    connectionString =
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=http://127.0.0.1:${proxy.port}/${AZURITE_ACCOUNT};`;
    const read = direct.getContainerClient("insights-logs-storageread");
    const write = direct.getContainerClient("insights-logs-storagewrite");
    const activity = direct.getContainerClient("insights-activity-logs");
    await Promise.all([read.create(), write.create(), activity.create()]);
    // Two days of history first; 28 more are added by the test.
    await addHistory(read, ACCOUNTS.map(resource), NOW - 2 * DAY, NOW);
    await addHistory(write, [resource(ACCOUNTS[0]!)], NOW - 2 * DAY, NOW);
    await addHistory(activity, [ACTIVITY_ROOT], NOW - 2 * DAY, NOW);
    // Files that are not hourly log blobs are ignored, wherever they are.
    const stray = "not a log\n";
    await read.getBlockBlobClient(`${resource("CONTOSOPROD")}notes.txt`).upload(stray, stray.length);
    historyDays.value = 2;
  }, 180_000);
  afterAll(async () => {
    await proxy?.close();
    await azurite?.stop();
  });

  const settings = (downloadConcurrency = 8) =>
    parseArchiveSettings({ connectionString, downloadConcurrency });

  async function runOnce(windowMs: number, downloadConcurrency = 8) {
    proxy.reset();
    const seen: StorageRequest[] = [];
    const rejected: RejectedRecord[] = [];
    const res = await readArchive(
      settings(downloadConcurrency),
      { sinceMs: NOW - windowMs },
      {
        clock: fixedClock(new Date(NOW)),
        cursors: new InMemoryBlobCursorStore(),
        observer: { observe: (r) => seen.push(r) },
        rejections: { reject: (r) => rejected.push(r) },
      },
    );
    const service = BlobServiceClient.fromConnectionString(connectionString);
    const activity = await readArchivedActivity(
      service,
      { fromMs: NOW - windowMs, toMs: NOW },
      { reject: (r) => rejected.push(r) },
      { downloadConcurrency },
    );
    return { res, seen, rejected, activity, counts: { ...proxy.counts } };
  }

  test("roots are the logged resources, found without listing their hours; the classic layout walks the same way", async () => {
    const read =
      BlobServiceClient.fromConnectionString(connectionString).getContainerClient(
        "insights-logs-storageread",
      );
    proxy.reset();
    const roots: string[] = [];
    for await (const r of listRoots(read, ARCHIVE_LAYOUT)) roots.push(r);
    expect(roots).toEqual(ACCOUNTS.map(resource).sort());
    // One listing with "/y=" as the delimiter finds every root; nothing below them is listed.
    expect(proxy.counts.listCalls).toBe(1);
    // Without the delimiter, the walk by "/" finds the same roots, one call per folder above them
    // (the first 5 shared by the accounts).
    proxy.reset();
    const walked: string[] = [];
    const { rootDelimiter: _, ...walking } = ARCHIVE_LAYOUT;
    for await (const r of listRoots(read, walking)) walked.push(r);
    expect(walked).toEqual(roots);
    expect(proxy.counts.listCalls).toBe(5 + 7 * ACCOUNTS.length);

    const logs = direct.getContainerClient("$logs");
    await logs.createIfNotExists();
    for (const name of [
      "blob/2026/11/20/0500/000000.log",
      "blob/2026/11/20/0600/000000.log",
      "blob/2026/11/20/0600/000001.log",
      "queue/2026/11/19/2300/000000.log",
      "table/2026/11/20/0600/000000.log",
    ])
      await logs.getBlockBlobClient(name).upload("x\n", 2);
    const classicRoots: string[] = [];
    for await (const r of listRoots(logs, CLASSIC_LAYOUT)) classicRoots.push(r);
    expect(classicRoots).toEqual(["blob/", "queue/", "table/"]);
    const inWindow: string[] = [];
    for await (const b of listWindowBlobs(
      [{ accountName: AZURITE_ACCOUNT, container: logs }],
      CLASSIC_LAYOUT,
      { fromMs: NOW - 10 * 60_000, toMs: NOW },
    ))
      inWindow.push(b.name);
    expect(inWindow).toEqual([
      "blob/2026/11/20/0600/000000.log",
      "blob/2026/11/20/0600/000001.log",
      "table/2026/11/20/0600/000000.log",
    ]);
  });

  test("list calls and bytes read grow with the window, not with 30 days of history", async () => {
    const small = await runOnce(2 * HOUR);
    // 3 hours touched × (3 resources + 1) blobs of 2 lines; 3 hours × 1 subscription of activity.
    expect(small.res.blobsRead).toHaveLength(3 * 4);
    expect(small.seen).toHaveLength(3 * 4 * 2);
    expect(small.rejected).toEqual([]);
    expect(small.res.listCalls).toBeGreaterThan(0);
    // Activity of (now − 2 h, now]: 04:40/04:41 are before it, 05:10 … 06:11 inside.
    expect(small.activity.map((e) => new Date(e.timeMs).toISOString().slice(11, 16))).toEqual([
      "05:10",
      "05:11",
      "06:10",
      "06:11",
    ]);

    const read = direct.getContainerClient("insights-logs-storageread");
    const write = direct.getContainerClient("insights-logs-storagewrite");
    const activity = direct.getContainerClient("insights-activity-logs");
    // The older 28 days: a blob every 6 hours per root keeps the upload short; the history is what it
    // is, the point is that it is not listed.
    const older = [NOW - 30 * DAY, NOW - 2 * DAY - 6 * HOUR, 6] as const;
    await addHistory(read, ACCOUNTS.map(resource), ...older);
    await addHistory(write, [resource(ACCOUNTS[0]!)], ...older);
    await addHistory(activity, [ACTIVITY_ROOT], ...older);
    historyDays.value = 30;
    let blobsKept = 0;
    for await (const _ of read.listBlobsFlat()) blobsKept++;
    expect(blobsKept).toBeGreaterThan(2 * 24 * ACCOUNTS.length + 28 * 4 * ACCOUNTS.length);

    const again = await runOnce(2 * HOUR);
    expect(again.counts.listCalls).toBe(small.counts.listCalls);
    expect(again.counts.listBytes).toBe(small.counts.listBytes);
    expect(again.counts.downloads).toBe(small.counts.downloads);
    expect(again.counts.downloadBytes).toBe(small.counts.downloadBytes);
    expect(again.seen.map((r) => r.correlationId)).toEqual(small.seen.map((r) => r.correlationId));
    expect(again.activity).toEqual(small.activity);

    // A day's window costs more, in proportion to the day, and far less than the history.
    const day = await runOnce(DAY);
    expect(day.res.blobsRead).toHaveLength(25 * 4);
    expect(day.counts.downloadBytes).toBeGreaterThan(again.counts.downloadBytes * 5);
    expect(day.counts.listBytes).toBeGreaterThan(again.counts.listBytes);
    // Whole days are listed with one call each, so a day costs no more calls than a few hours.
    expect(day.counts.listCalls).toBeLessThanOrEqual(again.counts.listCalls);
    const month = await runOnce(30 * DAY);
    expect(month.counts.downloadBytes).toBeGreaterThan(day.counts.downloadBytes * 4);
    expect(month.counts.listCalls).toBeGreaterThan(day.counts.listCalls * 3);
  }, 240_000);

  test("downloads overlap across blobs and accounts, and records are used in the same order as one at a time", async () => {
    const serial = await runOnce(2 * HOUR, 1);
    expect(serial.counts.maxConcurrentDownloads).toBe(1);
    proxy.holdDownloadsUntil(6);
    const parallel = await runOnce(2 * HOUR, 8);
    proxy.holdDownloadsUntil(0);
    expect(parallel.counts.maxConcurrentDownloads).toBeGreaterThanOrEqual(6);
    expect(parallel.seen.map((r) => r.correlationId)).toEqual(serial.seen.map((r) => r.correlationId));
    expect(parallel.res.blobsRead).toEqual(serial.res.blobsRead);
  }, 60_000);
});
