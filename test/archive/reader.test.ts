import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { BlobCursorConflictError, InMemoryBlobCursorStore } from "../../src/collect/archive/cursor.js";
import { hourOfBlob } from "../../src/collect/archive/paths.js";
import { parseArchiveSettings, readArchive, type ArchiveReadDeps } from "../../src/collect/archive/reader.js";
import { fixedClock } from "../../src/clock.js";
import type { RejectedRecord } from "../../src/engine/contracts.js";
import { startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import { archiveRecordOf, generateStorageFixture } from "../support/storage-fixture.js";

const START = Date.parse("2026-11-20T06:00:00Z");
const fixture = generateStorageFixture(START).slice(0, 400);
const lines = fixture.map((f) => JSON.stringify(archiveRecordOf(f)) + "\n");
const RESOURCE =
  "resourceId=/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/RG-PROD/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/CONTOSOPROD/BLOBSERVICES/DEFAULT";
const blobName = (hour: number) => {
  const d = new Date(hour);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${RESOURCE}/y=${d.getUTCFullYear()}/m=${p(d.getUTCMonth() + 1)}/d=${p(d.getUTCDate())}/h=${p(d.getUTCHours())}/m=00/PT1H.json`;
};

let azurite: AzuriteInstance;
let service: BlobServiceClient;
let read: ContainerClient;
let write: ContainerClient;

interface Run {
  seen: StorageRequest[];
  rejected: RejectedRecord[];
  deps: ArchiveReadDeps;
}

function run(cursors: InMemoryBlobCursorStore, nowMs: number): Run {
  const seen: StorageRequest[] = [];
  const rejected: RejectedRecord[] = [];
  return {
    seen,
    rejected,
    deps: {
      clock: fixedClock(new Date(nowMs)),
      cursors,
      observer: { observe: (r) => seen.push(r) },
      rejections: { reject: (r) => rejected.push(r) },
    },
  };
}

beforeAll(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
}, 120_000);
afterAll(async () => {
  await azurite?.stop();
});
beforeEach(async () => {
  read = service.getContainerClient("insights-logs-storageread");
  write = service.getContainerClient("insights-logs-storagewrite");
  await read.deleteIfExists();
  await write.deleteIfExists();
  await read.create();
});

function settings() {
  return parseArchiveSettings({ connectionString: azurite.connectionString });
}

function correlationIds(rs: StorageRequest[]): string[] {
  return rs.map((r) => r.correlationId!).sort();
}

describe("archived PT1H.json blobs in a storage account (Azurite)", () => {
  test("names the accounts with a log blob of an hour in the window, read or not, for the input check", async () => {
    const other = (hour: number) =>
      blobName(hour).replace("/STORAGEACCOUNTS/CONTOSOPROD/", "/STORAGEACCOUNTS/StOther02/");
    const body = lines.slice(0, 3).join("");
    const put = (name: string) => read.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
    await put(blobName(START));
    // The other account logged only two days before the window.
    await put(other(START - 48 * 3_600_000));
    const cursors = new InMemoryBlobCursorStore();
    const first = await readArchive(
      settings(),
      { sinceMs: START - 3_600_000 },
      run(cursors, START + 600_000).deps,
    );
    expect(first.accountsListed).toEqual(["contosoprod"]);
    await first.commit();
    // Nothing new to read, and the account still logged in the window.
    const again = await readArchive(
      settings(),
      { sinceMs: START - 3_600_000 },
      run(cursors, START + 900_000).deps,
    );
    expect(again.blobsRead).toEqual([]);
    expect(again.accountsListed).toEqual(["contosoprod"]);
    await put(other(START));
    const both = await readArchive(
      settings(),
      { sinceMs: START - 3_600_000 },
      run(cursors, START + 1_200_000).deps,
    );
    expect(both.accountsListed).toEqual(["contosoprod", "stother02"]);
    const later = await readArchive(
      settings(),
      { sinceMs: START + 5 * 3_600_000 },
      run(cursors, START + 6 * 3_600_000).deps,
    );
    expect(later.accountsListed).toEqual([]);
  });

  test("a growing append blob is read incrementally: nothing lost, nothing twice, a partial last line waits", async () => {
    const cursors = new InMemoryBlobCursorStore();
    const append = read.getAppendBlobClient(blobName(START));
    await append.create();
    const first = lines.slice(0, 150).join("");
    const line150 = lines[150]!;
    const cut = Math.floor(line150.length / 2);
    await append.appendBlock(first + line150.slice(0, cut), Buffer.byteLength(first + line150.slice(0, cut)));

    const now = START + 30 * 60_000;
    const r1 = run(cursors, now);
    const res1 = await readArchive(settings(), { sinceMs: START - 3_600_000 }, r1.deps);
    await res1.commit();
    expect(r1.seen).toHaveLength(150);
    expect(res1.blobsRead[0]).toMatchObject({
      fromOffset: 0,
      toOffset: Buffer.byteLength(first),
      pendingBytes: Buffer.byteLength(line150.slice(0, cut)),
    });

    const rest = line150.slice(cut) + lines.slice(151, 300).join("");
    await append.appendBlock(rest, Buffer.byteLength(rest));
    const r2 = run(cursors, now + 5 * 60_000);
    const res2 = await readArchive(settings(), { sinceMs: START - 3_600_000 }, r2.deps);
    await res2.commit();
    expect(r2.seen).toHaveLength(150);

    const r3 = run(cursors, now + 10 * 60_000);
    const res3 = await readArchive(settings(), { sinceMs: START - 3_600_000 }, r3.deps);
    await res3.commit();
    expect(r3.seen).toHaveLength(0);
    expect(res3.blobsRead).toHaveLength(0);

    const all = [...r1.seen, ...r2.seen, ...r3.seen];
    expect(correlationIds(all)).toEqual(correlationIds(fixture.slice(0, 300).map((f) => f.request)));
    expect(r1.rejected).toEqual([]);
    expect(r2.rejected).toEqual([]);
  });

  test("records map to the same StorageRequests as the rows they came from", async () => {
    const block = read.getBlockBlobClient(blobName(START));
    const body = lines.join("");
    await block.upload(body, Buffer.byteLength(body));
    const r = run(new InMemoryBlobCursorStore(), START + 3_600_000);
    await readArchive(settings(), { sinceMs: START - 3_600_000 }, r.deps);
    const byId = new Map(r.seen.map((s) => [s.correlationId, s]));
    for (const f of fixture) {
      const got = byId.get(f.request.correlationId)!;
      expect(got).toMatchObject(f.request);
      expect(got.resourceId).toContain("/storageAccounts/");
    }
  });

  test("a block blob re-uploaded bigger (same prefix) yields only the new records", async () => {
    const cursors = new InMemoryBlobCursorStore();
    const block = read.getBlockBlobClient(blobName(START));
    const v1 = lines.slice(0, 100).join("");
    await block.upload(v1, Buffer.byteLength(v1));
    const r1 = run(cursors, START + 10 * 60_000);
    await (await readArchive(settings(), { sinceMs: START }, r1.deps)).commit();
    const v2 = lines.slice(0, 180).join("");
    await block.upload(v2, Buffer.byteLength(v2));
    const r2 = run(cursors, START + 20 * 60_000);
    await (await readArchive(settings(), { sinceMs: START }, r2.deps)).commit();
    expect(r1.seen).toHaveLength(100);
    expect(correlationIds(r2.seen)).toEqual(correlationIds(fixture.slice(100, 180).map((f) => f.request)));
  });

  test("a blob whose ETag changed but not its bytes (metadata) yields nothing and no error", async () => {
    const cursors = new InMemoryBlobCursorStore();
    const block = read.getBlockBlobClient(blobName(START));
    const body = lines.slice(0, 30).join("");
    await block.upload(body, Buffer.byteLength(body));
    const r1 = run(cursors, START + 60_000);
    await (await readArchive(settings(), { sinceMs: START }, r1.deps)).commit();
    await block.setMetadata({ touched: "yes" });
    const r2 = run(cursors, START + 2 * 60_000);
    const res2 = await readArchive(settings(), { sinceMs: START }, r2.deps);
    await res2.commit();
    expect(r1.seen).toHaveLength(30);
    expect(r2.seen).toHaveLength(0);
    expect(r2.rejected).toEqual([]);
    const r3 = run(cursors, START + 3 * 60_000);
    const res3 = await readArchive(settings(), { sinceMs: START }, r3.deps);
    expect(res3.blobsRead).toEqual([]);
  });

  test("bad lines are rejected with blob, absolute line number and field; the rest still count", async () => {
    const cursors = new InMemoryBlobCursorStore();
    const append = read.getAppendBlobClient(blobName(START));
    await append.create();
    const part1 = lines.slice(0, 10).join("");
    await append.appendBlock(part1, Buffer.byteLength(part1));
    await (await readArchive(settings(), { sinceMs: START }, run(cursors, START + 60_000).deps)).commit();
    const bad = [
      '{"time":"2026-11-20T06:10:00Z","operationName":"GetBlob"\n', // truncated JSON, complete line
      JSON.stringify({ ...archiveRecordOf(fixture[11]!), time: "yesterday" }) + "\n",
      "\n",
      lines[12]!,
    ].join("");
    await append.appendBlock(bad, Buffer.byteLength(bad));
    const r = run(cursors, START + 2 * 60_000);
    await readArchive(settings(), { sinceMs: START }, r.deps);
    expect(r.seen.map((s) => s.correlationId)).toEqual([fixture[12]!.request.correlationId]);
    expect(r.rejected).toEqual([
      {
        file: `insights-logs-storageread/${blobName(START)}`,
        line: 11,
        field: "(record)",
        reason: "not valid JSON",
      },
      {
        file: `insights-logs-storageread/${blobName(START)}`,
        line: 12,
        field: "time",
        reason: `not a date: "yesterday"`,
      },
    ]);
  });

  test("a partial last line in a closed hour is reported as truncated, once", async () => {
    const cursors = new InMemoryBlobCursorStore();
    const block = read.getBlockBlobClient(blobName(START));
    const body = lines.slice(0, 5).join("") + lines[5]!.slice(0, 40);
    await block.upload(body, Buffer.byteLength(body));
    const open = run(cursors, START + 30 * 60_000);
    await (await readArchive(settings(), { sinceMs: START - 86_400_000 }, open.deps)).commit();
    expect(open.seen).toHaveLength(5);
    expect(open.rejected).toEqual([]);
    const closed = run(cursors, START + 4 * 3_600_000);
    await (await readArchive(settings(), { sinceMs: START - 86_400_000 }, closed.deps)).commit();
    expect(closed.seen).toHaveLength(0);
    expect(closed.rejected).toHaveLength(1);
    expect(closed.rejected[0]!.reason).toMatch(/truncated last line \(40 bytes\)/);
    const later = run(cursors, START + 5 * 3_600_000);
    await (await readArchive(settings(), { sinceMs: START - 86_400_000 }, later.deps)).commit();
    expect(later.rejected).toEqual([]);
  });

  test("a final record without a newline is consumed when complete", async () => {
    const block = read.getBlockBlobClient(blobName(START));
    const body = lines.slice(0, 3).join("") + lines[3]!.trimEnd();
    await block.upload(body, Buffer.byteLength(body));
    const r = run(new InMemoryBlobCursorStore(), START + 10 * 60_000);
    const res = await readArchive(settings(), { sinceMs: START }, r.deps);
    expect(r.seen).toHaveLength(4);
    expect(res.blobsRead[0]!.pendingBytes).toBe(0);
  });

  test("several containers and hours; blobs of hours before `since` are not read; other files are ignored", async () => {
    await write.create();
    const h0 = read.getBlockBlobClient(blobName(START));
    const h1 = write.getBlockBlobClient(blobName(START + 3_600_000));
    const old = read.getBlockBlobClient(blobName(START - 5 * 3_600_000));
    const other = read.getBlockBlobClient(`${RESOURCE}/y=2026/m=11/d=20/h=06/m=00/notes.txt`);
    for (const [blob, body] of [
      [h0, lines.slice(0, 50).join("")],
      [h1, lines.slice(50, 120).join("")],
      [old, lines.slice(120, 130).join("")],
      [other, "not a log\n"],
    ] as const) {
      await blob.upload(body, Buffer.byteLength(body));
    }
    expect(hourOfBlob(blobName(START))).toBe(START);
    const r = run(new InMemoryBlobCursorStore(), START + 2 * 3_600_000);
    const res = await readArchive(settings(), { sinceMs: START - 30 * 60_000 }, r.deps);
    expect(res.blobsListed).toBe(2);
    expect(r.seen).toHaveLength(120);
    expect(r.rejected).toEqual([]);
  });

  test("dropRecordsBeforeSince keeps a one-off CLI window exact", async () => {
    const block = read.getBlockBlobClient(blobName(START));
    const body = lines.join("");
    await block.upload(body, Buffer.byteLength(body));
    const since = fixture[200]!.request.timeMs;
    const r = run(new InMemoryBlobCursorStore(), START + 3_600_000);
    const res = await readArchive(settings(), { sinceMs: since, dropRecordsBeforeSince: true }, r.deps);
    expect(r.seen.every((s) => s.timeMs >= since)).toBe(true);
    expect(r.seen.length + res.droppedBeforeSince).toBe(fixture.length);
  });

  test("overlapping runs: only the first commit advances the cursors", async () => {
    const cursors = new InMemoryBlobCursorStore();
    const block = read.getBlockBlobClient(blobName(START));
    const body = lines.slice(0, 20).join("");
    await block.upload(body, Buffer.byteLength(body));
    const a = await readArchive(settings(), { sinceMs: START }, run(cursors, START + 60_000).deps);
    const b = await readArchive(settings(), { sinceMs: START }, run(cursors, START + 60_000).deps);
    await a.commit();
    await expect(b.commit()).rejects.toBeInstanceOf(BlobCursorConflictError);
  });

  test("settings need exactly one of accountUrl or connectionString", () => {
    expect(() => parseArchiveSettings({})).toThrow(/exactly one of accountUrl/);
    expect(() =>
      parseArchiveSettings({ accountUrl: "https://a.blob.core.windows.net", connectionString: "x" }),
    ).toThrow(/exactly one/);
    expect(parseArchiveSettings({ accountUrl: "https://a.blob.core.windows.net" }).containers).toHaveLength(
      3,
    );
  });
});
