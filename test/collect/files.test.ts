import { fstatSync, openSync, read, readdirSync } from "node:fs";
import { chmod, mkdir, stat, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError, readStorageRequestBatches, readStorageRequests } from "../../src/collect/files.js";
import {
  READ_AHEAD_CHUNK_BYTES,
  READ_CHUNK_BYTES,
  openFileBytes,
  readAhead,
  type PoolRead,
} from "../../src/collect/input-files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import type { ActivityEvent } from "../../src/model/activity.js";
import type { StorageRequest } from "../../src/model/storage-request.js";
import {
  activityArchivePathOf,
  activityEventsToArchiveJsonLines,
  activityEventsToCsv,
  activityEventsToLogAnalyticsJsonArray,
  defaultResourceId,
  storageRequestsToArchiveJsonLines,
  storageRequestsToCsv,
  storageRequestsToLogAnalyticsJsonArray,
  storageRequestsToLogsApiJson,
  writeArchiveTree,
} from "../sim/forms.js";
import { archiveLine, defined, gz, readActivity, readStorage, tempDir, writeTemp } from "./helpers.js";

function request(i: number, account = "acct"): StorageRequest {
  return {
    timeMs: Date.UTC(2024, 4, 1, i % 24, i % 60, 0, i % 1000),
    account,
    service: "blob",
    operation: i % 3 === 0 ? "DeleteBlob" : i % 3 === 1 ? "GetBlob" : "PutBlob",
    statusCode: i % 4 === 0 ? 403 : 200,
    statusText: i % 4 === 0 ? "AuthenticationFailed" : "Success",
    authType: "AccountKey",
    authHash: `key${(i % 2) + 1}(HASH)`,
    callerIp: `10.0.0.${i % 250}`,
    resourceId: defaultResourceId(account, "blob"),
  };
}

describe("inputs on disk", () => {
  it("reads a downloaded archive tree recursively in sorted order, whatever the hour layout", async () => {
    const root = await tempDir();
    const requests = Array.from({ length: 60 }, (_, i) => request(i, i % 2 ? "acctb" : "accta"));
    const files = await writeArchiveTree(requests, root);
    expect(files.some((f) => f.startsWith("insights-logs-storagedelete/resourceId=/subscriptions/"))).toBe(
      true,
    );
    expect(files.every((f) => /\/y=2024\/m=05\/d=01\/h=\d\d\/m=00\/PT1H\.json$/.test(f))).toBe(true);
    const { records, rejections } = await readStorage([root]);
    expect(rejections.count).toBe(0);
    const key = (r: StorageRequest) => `${r.timeMs}|${r.account}|${r.operation}`;
    expect(
      records.map(defined).sort((a, b) => key(a as StorageRequest).localeCompare(key(b as StorageRequest))),
    ).toEqual([...requests].sort((a, b) => key(a).localeCompare(key(b))));
    // Deterministic: the same tree gives the same order twice.
    const again = await readStorage([root]);
    expect(again.records.map(key)).toEqual(records.map(key));
  });

  it("reads .gz files (detected by content, not name) and reports a damaged one without stopping", async () => {
    const dir = await tempDir();
    const text = storageRequestsToArchiveJsonLines(Array.from({ length: 500 }, (_, i) => request(i)));
    await writeFile(join(dir, "a.json.gz"), gz(text));
    await writeFile(join(dir, "b.json"), gz(text));
    const damaged = gz(text);
    await writeFile(join(dir, "c.json.gz"), damaged.subarray(0, Math.floor(damaged.length / 2)));
    await writeFile(join(dir, "d.json"), text);
    const { records, rejections } = await readStorage([dir]);
    expect(records.length).toBeGreaterThanOrEqual(1500);
    expect(records.length).toBeLessThan(2000);
    expect(rejections.samples.some((r) => r.file.endsWith("c.json.gz") && /gzip/.test(r.reason))).toBe(true);
  });

  it("streams a .gz file past one read chunk, and reports one damaged past it without stopping", async () => {
    const dir = await tempDir();
    // Random hex in every row keeps the compressed file larger than one read chunk (READ_CHUNK_BYTES).
    let seed = 7;
    const noise = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0).toString(16).padStart(8, "0");
    const rows = Array.from({ length: 16_000 }, (_, i) => ({
      ...request(i),
      userAgent: `agent/${Array.from({ length: 16 }, noise).join("")}`,
    }));
    const whole = gz(storageRequestsToArchiveJsonLines(rows));
    expect(whole.length).toBeGreaterThan(READ_CHUNK_BYTES + 1000);
    await writeFile(join(dir, "a.json.gz"), whole);
    await writeFile(join(dir, "b.json.gz"), whole.subarray(0, whole.length - 1000));
    const { records, rejections } = await readStorage([dir]);
    expect(records.slice(0, rows.length).map(defined)).toEqual(rows.map(defined));
    expect(records.length).toBeGreaterThan(rows.length);
    expect(records.length).toBeLessThan(2 * rows.length);
    expect(rejections.samples.some((r) => r.file.endsWith("b.json.gz") && /gzip/.test(r.reason))).toBe(true);
  });

  it("reports progress per file with byte counts", async () => {
    const file = await writeTemp("PT1H.json", (archiveLine() + "\n").repeat(2000));
    const seen: { bytes: number; totalBytes: number }[] = [];
    const rejections = new RejectionCollector();
    let n = 0;
    for await (const _ of readStorageRequests([file], { rejections, onProgress: (p) => seen.push(p) })) n++;
    expect(n).toBe(2000);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)!.bytes).toBe(seen.at(-1)!.totalBytes);
  });

  it("gives the same records one by one and in batches, and stops early without error", async () => {
    const file = await writeTemp("PT1H.json", (archiveLine() + "\n").repeat(3000));
    const rejections = new RejectionCollector();
    let batched = 0;
    for await (const b of readStorageRequestBatches([file], { rejections })) batched += b.length;
    expect(batched).toBe(3000);
    let seen = 0;
    for await (const _ of readStorageRequests([file], { rejections })) if (++seen === 10) break;
    expect(seen).toBe(10);
  });

  it("reads records that span the reused read buffers the same in every form", async () => {
    // Over three read chunks each: both read buffers are refilled, and records cross their edges.
    const requests = Array.from({ length: 9000 }, (_, i) => request(i, `acct${i % 7}`));
    // Records nearly as long as a read buffer: each crosses an edge, its start read a buffer earlier.
    requests[2000]!.userAgent = "x".repeat(READ_CHUNK_BYTES - 100_000);
    requests[6000]!.userAgent = "z".repeat(READ_CHUNK_BYTES - 100_000);
    const forms: Record<string, string> = {
      "archive JSON Lines": storageRequestsToArchiveJsonLines(requests),
      "pretty JSON array": storageRequestsToLogAnalyticsJsonArray(requests),
      "Logs API": storageRequestsToLogsApiJson(requests),
      CSV: storageRequestsToCsv(requests),
    };
    for (const [name, content] of Object.entries(forms)) {
      expect(content.length, name).toBeGreaterThan(3 * READ_CHUNK_BYTES);
      const { records, rejections } = await readStorage([await writeTemp(`reuse-${name}`, content)]);
      expect(rejections.count, name).toBe(0);
      expect(records.map(defined), name).toEqual(requests.map(defined));
    }
  });

  it("reads file after file through the read buffers each hands on, whatever their sizes and forms", async () => {
    const root = await tempDir();
    const elsewhere = await tempDir();
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => request(from + i));
    // In sorted path order: multi-chunk, one line, gzip, two chunks, nested, behind a symbolic link.
    const big = batch(0, 3000);
    big[1500]!.userAgent = "y".repeat(READ_CHUNK_BYTES / 2);
    const parts: Array<[string, StorageRequest[], (r: StorageRequest[]) => Buffer | string]> = [
      ["a.json", big, storageRequestsToArchiveJsonLines],
      ["b.json", batch(3000, 1), storageRequestsToArchiveJsonLines],
      ["c.json.gz", batch(3001, 500), (r) => gz(storageRequestsToArchiveJsonLines(r))],
      ["d.json", batch(3501, 2400), storageRequestsToArchiveJsonLines],
      ["e/f.json", batch(5901, 10), storageRequestsToArchiveJsonLines],
    ];
    for (const [name, rows, write] of parts) {
      await mkdir(join(root, name, ".."), { recursive: true });
      await writeFile(join(root, name), write(rows));
    }
    const sizeOf = async (name: string) => (await stat(join(root, name))).size;
    expect(await sizeOf("a.json")).toBeGreaterThan(2 * READ_CHUNK_BYTES);
    expect(await sizeOf("d.json")).toBeGreaterThan(READ_CHUNK_BYTES);
    expect(await sizeOf("d.json")).toBeLessThan(2 * READ_CHUNK_BYTES);
    const linked = batch(5911, 20);
    await writeFile(join(elsewhere, "h.json"), storageRequestsToArchiveJsonLines(linked));
    await symlink(elsewhere, join(root, "g"));
    const { records, rejections } = await readStorage([root]);
    expect(rejections.count).toBe(0);
    expect(records.map(defined)).toEqual([...parts.flatMap(([, rows]) => rows), ...linked].map(defined));
  });

  it("reads files of up to one read chunk at once, and those past it streamed, to the same records", async () => {
    const root = await tempDir();
    const expected: StorageRequest[] = [];
    let next = 0;
    // Rows, then blank lines up to exactly `size` bytes; the last file is a chunk with a row cut by its end.
    const sized = async (name: string, size: number, rows: number) => {
      const batch = Array.from({ length: rows }, () => request(next++));
      const text = storageRequestsToArchiveJsonLines(batch);
      await writeFile(join(root, name), text + "\n".repeat(size - Buffer.byteLength(text)));
      expected.push(...batch);
    };
    await sized("a.json", 0, 0);
    await sized("b.json", READ_CHUNK_BYTES - 1, 100);
    await sized("c.json", READ_CHUNK_BYTES, 100);
    await sized("d.json", READ_CHUNK_BYTES + 1, 100);
    await sized("e.json", 1000, 1);
    const { records, rejections } = await readStorage([root]);
    expect(rejections.count).toBe(0);
    expect(records.map(defined)).toEqual(expected.map(defined));
    for (const [name, size] of [
      ["b.json", READ_CHUNK_BYTES - 1],
      ["c.json", READ_CHUNK_BYTES],
      ["d.json", READ_CHUNK_BYTES + 1],
    ] as const) {
      const source = await openFileBytes(join(root, name));
      let bytes = 0;
      for await (const c of source.chunks) bytes += c.length;
      expect(bytes, name).toBe(size);
      expect(source.bytesRead(), name).toBe(size);
      expect(source.totalBytes, name).toBe(size);
    }
  });

  it("reads a file that shrinks after it was opened up to its new end, nothing twice", async () => {
    const content = Buffer.from(
      storageRequestsToArchiveJsonLines(Array.from({ length: 2000 }, (_, i) => request(i))),
    );
    expect(content.length).toBeGreaterThan(READ_CHUNK_BYTES);
    const file = await writeTemp("shrinking.json", content);
    const source = await openFileBytes(file);
    // Cut mid-chunk: the read there comes back short, and the reads already under way after it
    // (beyond the new end) must not be used.
    const cut = 300_000;
    await truncate(file, cut);
    const chunks: Buffer[] = [];
    for await (const c of source.chunks) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).equals(content.subarray(0, cut))).toBe(true);
    expect(source.bytesRead()).toBe(cut);
  });

  /** `size` bytes of ASCII text whose every stretch says where it lies (no form's magic number at its start). */
  const textOf = (size: number) => {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = 97 + ((i * 7919 + (i >> 12)) % 26);
    return bytes;
  };

  it("reads ahead on the pool to the same bytes, in read chunks each whole until the one after next is asked for", async () => {
    const openFds = () => readdirSync("/proc/self/fd").length;
    for (const size of [
      READ_CHUNK_BYTES + 1,
      READ_AHEAD_CHUNK_BYTES - 1,
      READ_AHEAD_CHUNK_BYTES,
      READ_AHEAD_CHUNK_BYTES + 1,
      3 * READ_AHEAD_CHUNK_BYTES + 17,
    ]) {
      const content = textOf(size);
      const file = await writeTemp("ahead.txt", content);
      const before = openFds();
      const source = await openFileBytes(file, { readAhead: true });
      const chunks: Buffer[] = [];
      let at = 0;
      for await (const c of source.chunks) {
        // The chunk before this one is still what was read: a reader may keep it until the next is asked
        // for. (A pause first, so that the read under way meanwhile has landed.)
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (chunks.length > 0)
          expect(chunks.at(-1)!.equals(content.subarray(at - chunks.at(-1)!.length, at))).toBe(true);
        expect(c.equals(content.subarray(at, at + c.length)), `${size} at ${at}`).toBe(true);
        expect(c.length).toBeLessThanOrEqual(READ_CHUNK_BYTES);
        chunks.push(c);
        at += c.length;
      }
      expect(at, `${size}`).toBe(size);
      expect(source.bytesRead()).toBe(size);
      expect(openFds(), "the file is closed").toBe(before);
    }
    // Stopped after the first chunk, with the next read under way: closed once that read is back.
    const file = await writeTemp("ahead.txt", textOf(3 * READ_AHEAD_CHUNK_BYTES));
    const before = openFds();
    const source = await openFileBytes(file, { readAhead: true });
    for await (const c of source.chunks) {
      expect(c.length).toBe(READ_CHUNK_BYTES);
      break;
    }
    expect(openFds()).toBe(before);
    expect(source.bytesRead()).toBe(READ_AHEAD_CHUNK_BYTES);
    // The next file reads through the buffers the stopped one gave back: none of its bytes are the other's.
    const other = Buffer.from(
      textOf(3 * READ_AHEAD_CHUNK_BYTES)
        .toString("latin1")
        .toUpperCase(),
      "latin1",
    );
    const next = await openFileBytes(await writeTemp("ahead-next.txt", other), { readAhead: true });
    let at = 0;
    for await (const c of next.chunks) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(c.equals(other.subarray(at, at + c.length)), `at ${at}`).toBe(true);
      at += c.length;
    }
    expect(at).toBe(other.length);
  });

  it("reads ahead until a read fails, then fails with that read's error and closes the file", async () => {
    // The file system's own reads, the third of which fails (EIO, as a failing disk's read does): it
    // fails while the chunks of the second are handed on, so before its chunk is asked for.
    const content = textOf(4 * READ_AHEAD_CHUNK_BYTES);
    const file = await writeTemp("failing.txt", content);
    const fd = openSync(file, "r");
    let reads = 0;
    const failingThird: PoolRead = (fd, buffer, offset, length, position, callback) => {
      if (++reads === 3)
        setImmediate(() => callback(Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" }), 0));
      else read(fd, buffer, offset, length, position, callback);
    };
    const source = readAhead(fd, content.length, failingThird);
    let at = 0;
    const failure = await (async () => {
      try {
        for await (const c of source.chunks) {
          // Time for the failing read to fail before its chunk is asked for.
          await new Promise((resolve) => setTimeout(resolve, 5));
          expect(c.equals(content.subarray(at, at + c.length))).toBe(true);
          at += c.length;
        }
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect((failure as NodeJS.ErrnoException | undefined)?.code).toBe("EIO");
    expect(at, "the chunks before the failed read").toBe(2 * READ_AHEAD_CHUNK_BYTES);
    expect(() => fstatSync(fd), "the file is closed").toThrow(/EBADF/);
  });

  it("reads ahead and, stopped while a read is under way, closes the file only once that read is back", async () => {
    const content = textOf(3 * READ_AHEAD_CHUNK_BYTES);
    const fd = openSync(await writeTemp("held.txt", content), "r");
    // The second read is held until the test lets it finish.
    let release: (() => void) | undefined;
    let reads = 0;
    const holdingSecond: PoolRead = (fd, buffer, offset, length, position, callback) => {
      if (++reads === 2) release = () => read(fd, buffer, offset, length, position, callback);
      else read(fd, buffer, offset, length, position, callback);
    };
    const source = readAhead(fd, content.length, holdingSecond);
    const chunks = source.chunks as AsyncGenerator<Buffer>;
    const first = await chunks.next();
    expect(first.value!.equals(content.subarray(0, READ_CHUNK_BYTES))).toBe(true);
    expect(release, "the second read is under way").toBeDefined();
    const stopped = chunks.return(undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Closing now would leave the pool thread reading into a closed descriptor and a spared buffer.
    expect(fstatSync(fd).size, "still open while the read is pending").toBe(content.length);
    release!();
    await stopped;
    expect(() => fstatSync(fd), "closed once it is back").toThrow(/EBADF/);
  });

  it("reads ahead a file that shrinks after it was opened up to its new end, nothing twice", async () => {
    const content = textOf(3 * READ_AHEAD_CHUNK_BYTES);
    const file = await writeTemp("shrinking.txt", content);
    const source = await openFileBytes(file, { readAhead: true });
    const chunks: Buffer[] = [];
    for await (const c of source.chunks) {
      chunks.push(Buffer.from(c));
      // Cut inside the chunk after next, once the read of the next is under way.
      if (chunks.length === 1) await truncate(file, 2 * READ_AHEAD_CHUNK_BYTES + 300_000);
    }
    const cut = 2 * READ_AHEAD_CHUNK_BYTES + 300_000;
    expect(Buffer.concat(chunks).equals(content.subarray(0, cut))).toBe(true);
    expect(source.bytesRead()).toBe(cut);
  });

  it("fails with an InputError naming the path for missing paths, empty directories and unreadable files", async () => {
    const dir = await tempDir();
    const drain = async (paths: string[]) => {
      for await (const _ of readStorageRequests(paths, { rejections: new RejectionCollector() })) {
        // draining
      }
    };
    const missing = join(dir, "nope.json");
    await expect(drain([missing])).rejects.toThrow(InputError);
    await expect(drain([missing])).rejects.toThrow(`${missing}: no such file or directory; check the path`);
    await mkdir(join(dir, "empty", "deeper"), { recursive: true });
    await expect(drain([join(dir, "empty")])).rejects.toThrow(/directory contains no files/);
    await expect(drain([])).rejects.toThrow(/no input paths/);
    if (process.getuid?.() !== 0) {
      const locked = await writeTemp("locked.json", archiveLine());
      await chmod(locked, 0o000);
      await expect(drain([locked])).rejects.toThrow(/permission denied/);
    }
  });
});

describe("AzureActivity", () => {
  const events: ActivityEvent[] = [
    {
      timeMs: Date.UTC(2024, 4, 1, 9, 58, 1, 5),
      operationName: "MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION",
      operationDisplayName: "Regenerate Storage Account Keys",
      status: "Start",
      category: "Administrative",
      correlationId: "corr-1",
      resourceId: "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/acct1",
      resourceGroup: "rg1",
      subscriptionId: "sub1",
      resourceProvider: "Microsoft.Storage",
      caller: "alice@contoso.com",
      callerIpAddress: "1.2.3.4",
      level: "Informational",
      properties: { requestbody: '{"keyName":"key1"}', statusCode: "OK" },
      authorization: {
        action: "Microsoft.Storage/storageAccounts/regenerateKey/action",
        scope: "/subscriptions/sub1",
      },
      claims: { appid: "app", "http://schemas.microsoft.com/identity/claims/objectidentifier": "oid" },
    },
    {
      timeMs: Date.UTC(2024, 4, 1, 9, 58, 3, 0),
      operationName: "microsoft.storage/storageaccounts/regeneratekey/action",
      operationDisplayName: "Regenerate Storage Account Keys",
      status: "Success",
      subStatus: "OK (HTTP Status Code: 200)",
      correlationId: "corr-1",
      resourceId: "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/acct1",
      resourceGroup: "rg1",
      subscriptionId: "sub1",
      resourceProvider: "Microsoft.Storage",
    },
  ];

  it("round-trips LA JSON array and CSV exports, keeping casing and status words as logged", async () => {
    for (const text of [
      activityEventsToLogAnalyticsJsonArray(events),
      activityEventsToCsv(events, { portal: true }),
    ]) {
      const file = await writeTemp("activity.export", text);
      const { events: read, rejections } = await readActivity([file]);
      expect(rejections.count).toBe(0);
      expect(read.map(defined)).toEqual(events);
    }
  });

  it("round-trips archived activity-log records (no display name in that form)", async () => {
    const root = await tempDir();
    const file = join(root, activityArchivePathOf(events[0]!, "sub1"));
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(file, activityEventsToArchiveJsonLines(events));
    const { events: read, rejections } = await readActivity([root]);
    expect(rejections.count).toBe(0);
    expect(read.map(defined)).toEqual(events.map(({ operationDisplayName: _d, ...e }) => e));
  });

  it("reads legacy columns and JSON-text dynamics, and rejects rows without an operation", async () => {
    const rows = [
      {
        TimeGenerated: "2024-05-01T09:58:01Z",
        OperationName: "Microsoft.Authorization/roleAssignments/delete",
        ActivityStatus: "Succeeded",
        ResourceId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a",
        Properties: '{"entity":"/subscriptions/s"}',
      },
      {
        TimeGenerated: "2024-05-01T09:58:01Z",
        ActivityStatusValue: "Succeeded",
        _ResourceId: "/subscriptions/s",
      },
    ];
    const file = await writeTemp("activity.ndjson", rows.map((r) => JSON.stringify(r)).join("\n"));
    const { events: read, rejections } = await readActivity([file]);
    expect(read).toEqual([
      expect.objectContaining({
        operationName: "Microsoft.Authorization/roleAssignments/delete",
        status: "Succeeded",
        properties: { entity: "/subscriptions/s" },
        subscriptionId: "s",
        resourceGroup: "r",
      }),
    ]);
    expect(rejections.samples).toEqual([expect.objectContaining({ line: 2, field: "OperationNameValue" })]);
  });
});
