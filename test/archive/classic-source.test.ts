import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { BlobServiceClient } from "@azure/storage-blob";
import { analyzeCommand } from "../../src/cli/commands/analyze.js";
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
import {
  activityEventsToLogAnalyticsJsonArray,
  classicLogPathOf,
  storageRequestsToClassicLog,
} from "../sim/forms.js";
import { generateAll } from "../sim/scenarios.js";
import { openTableTriageStore } from "../../src/state/table.js";
import { ClassicIncidentSource } from "../../src/timer/classic-source.js";

async function runAnalyze(
  argv: string[],
  nowMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let out = "";
  let err = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _e, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = await analyzeCommand({ clock: fixedClock(new Date(nowMs).toISOString()) }).run(argv, {
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    env: {},
  });
  return { code, stdout: out, stderr: err };
}

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

  it("analyze --classic-account gives the same report as the downloaded `$logs` tree", async () => {
    const sim = generateAll({ seed: 5 });
    const byPath = new Map<string, StorageRequest[]>();
    for (const r of sim.requests)
      byPath.set(classicLogPathOf(r), [...(byPath.get(classicLogPathOf(r)) ?? []), r]);
    const dir = await mkdtemp(join(tmpdir(), "classic-cli-"));
    try {
      for (const [path, requests] of byPath) {
        const body = storageRequestsToClassicLog(requests, { version: "2.0" });
        await put(path, body);
        const local = join(dir, "logs", path);
        await import("node:fs/promises").then((fs) => fs.mkdir(join(local, ".."), { recursive: true }));
        await writeFile(local, body);
      }
      await writeFile(join(dir, "activity.json"), activityEventsToLogAnalyticsJsonArray(sim.activity));
      const last = Math.max(...sim.requests.map((r) => r.timeMs));
      const first = Math.min(...sim.requests.map((r) => r.timeMs));
      const nowMs = last + 5 * 60_000;
      const sinceMin = Math.ceil((nowMs - first) / 60_000) + 1;
      const common = ["--activity", join(dir, "activity.json"), "--format", "json"];
      const remote = await runAnalyze(
        ["--classic-account", azurite.connectionString, "--since", `${sinceMin}m`, ...common],
        nowMs,
      );
      expect(remote.stderr).toBe("");
      expect(remote.code).toBe(0);
      const files = await runAnalyze(
        [
          "--logs",
          join(dir, "logs"),
          "--from",
          new Date(nowMs - sinceMin * 60_000).toISOString(),
          "--to",
          new Date(nowMs).toISOString(),
          ...common,
        ],
        nowMs,
      );
      expect(files.code).toBe(0);
      const a = JSON.parse(files.stdout) as { input: Record<string, unknown>; incidents: unknown[] };
      const b = JSON.parse(remote.stdout) as typeof a;
      expect(b.input).toMatchObject({ rows: sim.truth.rows, failures: sim.truth.failures, rejected: 0 });
      expect(b.incidents).toEqual(a.incidents);
      expect(b.incidents.length).toBeGreaterThan(5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("the timer's classic source keeps its cursors in the Table store: a second cycle reads nothing twice", async () => {
    const store = await openTableTriageStore({
      kind: "connection-string",
      connectionString: azurite.connectionString,
      tablePrefix: `classic${Date.now().toString(36)}`,
    });
    await store.init();
    const source = new ClassicIncidentSource(
      { kind: "classic", accountUrls: [], connectionString: azurite.connectionString },
      store,
    );
    expect(source.describe()).toBe("classic $logs of 1 account(s)");
    const clock = fixedClock(new Date(NOW).toISOString());
    const window = { fromMs: NOW - HOUR, toMs: NOW };
    const first = await source.analyze(window, clock);
    expect(first.rowsScanned).toBeGreaterThan(0);
    expect(
      first.incidents.some((i) => i.errorCode === "IpAuthorizationError" && i.decision === "network"),
    ).toBe(true);
    // Input check: the account has `$logs` blobs in the window, whether or not they are read again.
    expect(first.accountsWithRows).toEqual([AZURITE_ACCOUNT]);
    await source.commit();
    const second = await source.analyze(window, clock);
    expect(second.rowsScanned).toBe(0);
    expect(second.accountsWithRows).toEqual([AZURITE_ACCOUNT]);
    const quiet = await source.analyze({ fromMs: NOW + 10 * HOUR, toMs: NOW + 11 * HOUR }, clock);
    expect(quiet.accountsWithRows).toEqual([]);
  });
});
