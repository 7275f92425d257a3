import { describe, expect, it } from "vitest";
import { readStorageRequests } from "../../src/collect/files.js";
import { RejectionCollector } from "../../src/collect/rejections.js";
import { isAuthFailure, type StorageRequest } from "../../src/model/storage-request.js";
import { archiveLine, readStorage, writeTemp } from "./helpers.js";

describe("archive JSON Lines (PT1H.json)", () => {
  it("maps every archive field to the request, keeping non-401/403 rows", async () => {
    const ok = archiveLine({ statusCode: 200, statusText: "Success" });
    const file = await writeTemp("PT1H.json", `${archiveLine()}\n${ok}\n`);
    const { records, rejections } = await readStorage([file]);
    expect(rejections.count).toBe(0);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      timeMs: Date.parse("2024-05-01T10:00:00.123Z"),
      account: "acct1",
      service: "blob",
      operation: "GetBlob",
      statusCode: 403,
      statusText: "AuthorizationPermissionMismatch",
      authType: "OAuth",
      authHash: "ABCDEF",
      callerIp: "10.1.2.3",
      userAgent: "azsdk-js-storageblob/12.0.0",
      operationVersion: "2023-11-03",
      objectKey: "/acct1/c/b.txt",
      requesterObjectId: "oid-1",
      requesterTenantId: "tid-1",
      requesterAppId: "app-1",
      requesterAudience: "https://storage.azure.com/",
      correlationId: "a5c61a66-e01e-005f-4c8c-8f82f3000000",
      protocol: "HTTPS",
      tlsVersion: "TLS 1.2",
      uri: "https://acct1.blob.core.windows.net:443/c/b.txt",
    });
    expect(records[0]!.authorizationDetails).toEqual([
      expect.objectContaining({ result: "Denied", reason: "NoApplicablePolicy" }),
    ]);
    expect(records[1]).toMatchObject({ statusCode: 200, statusText: "Success" });
  });

  it("derives account and service from resourceId when properties lack them", async () => {
    const line = archiveLine({
      resourceId:
        "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/qacct/queueServices/default",
      properties: { userAgentHeader: "x" },
    });
    const file = await writeTemp("PT1H.json", line + "\n");
    const { records, rejections } = await readStorage([file]);
    expect(rejections.count).toBe(0);
    expect(records[0]).toMatchObject({ account: "qacct", service: "queue" });
  });

  it("reads status 'Unknown' as null and accepts a string status", async () => {
    const file = await writeTemp(
      "PT1H.json",
      [archiveLine({ statusCode: "Unknown" }), archiveLine({ statusCode: "401" })].join("\n"),
    );
    const { records, rejections } = await readStorage([file]);
    expect(rejections.count).toBe(0);
    expect(records.map((r) => r.statusCode)).toEqual([null, 401]);
  });

  it("strips quotes around the user agent and the port from IPv4 and bracketed IPv6 callers", async () => {
    const file = await writeTemp(
      "PT1H.json",
      [
        archiveLine({
          callerIpAddress: "[2001:db8::1]:443",
          properties: { accountName: "acct1", serviceType: "blob", userAgentHeader: '"quoted/1.0"' },
        }),
        archiveLine({ callerIpAddress: "2001:db8::2" }),
      ].join("\n"),
    );
    const { records } = await readStorage([file]);
    expect(records[0]).toMatchObject({ callerIp: "2001:db8::1", userAgent: "quoted/1.0" });
    expect(records[1]!.callerIp).toBe("2001:db8::2");
  });

  it("rejects malformed JSON, wrong types and missing required fields with file, line and field", async () => {
    const lines = [
      archiveLine(),
      "{not json",
      archiveLine({ time: "yesterday" }),
      archiveLine({ statusCode: true }),
      archiveLine({ operationName: undefined }),
      archiveLine({ identity: "OAuth" }),
      archiveLine({ properties: { serviceType: "blob" }, resourceId: "/subscriptions/x" }),
      archiveLine({ statusCode: "forbidden" }),
      "[1,2,3]",
      archiveLine({ time: "2024-02-30T00:00:00Z" }),
      archiveLine(),
    ];
    const file = await writeTemp("PT1H.json", lines.join("\n") + "\n");
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(2);
    expect(rejections.count).toBe(9);
    const byLine = new Map(rejections.samples.map((r) => [r.line, r]));
    expect(byLine.get(2)).toMatchObject({
      file,
      field: "(record)",
      reason: expect.stringMatching(/malformed JSON/),
    });
    expect(byLine.get(3)).toMatchObject({ field: "time", reason: expect.stringMatching(/not a date/) });
    expect(byLine.get(4)).toMatchObject({ field: "statusCode" });
    expect(byLine.get(5)).toMatchObject({ field: "operationName", reason: "missing required field" });
    expect(byLine.get(6)).toMatchObject({ field: "identity", reason: "expected an object" });
    expect(byLine.get(7)).toMatchObject({ field: "properties.accountName" });
    expect(byLine.get(8)).toMatchObject({
      field: "statusCode",
      reason: expect.stringMatching(/not an HTTP status/),
    });
    expect(byLine.get(9)).toMatchObject({ reason: "not a JSON object" });
    expect(byLine.get(10)).toMatchObject({ field: "time" });
  });

  it("names the nested field of a wrong type", async () => {
    const file = await writeTemp(
      "PT1H.json",
      archiveLine({ properties: { accountName: 42, serviceType: "blob" } }) + "\n",
    );
    const { rejections } = await readStorage([file]);
    expect(rejections.samples[0]).toMatchObject({ line: 1, field: "properties.accountName" });
  });

  it("reports a truncated last record and keeps the ones before it", async () => {
    const full = archiveLine();
    const file = await writeTemp("PT1H.json", `${full}\n${full}\n${full.slice(0, 200)}`);
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(2);
    expect(rejections.samples).toEqual([
      expect.objectContaining({ line: 3, reason: expect.stringMatching(/truncated/) }),
    ]);
  });

  it("rejects a line over the 1 MiB cap and goes on with the next", async () => {
    const huge = archiveLine({ uri: "x".repeat(1_100_000) });
    const file = await writeTemp("PT1H.json", `${archiveLine()}\n${huge}\n${archiveLine()}\n`);
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(2);
    expect(rejections.samples).toEqual([
      expect.objectContaining({ line: 2, reason: expect.stringMatching(/longer than/) }),
    ]);
  });

  it("rejects a huge unterminated last line without holding it", async () => {
    const file = await writeTemp("PT1H.json", `${archiveLine()}\n{"time":"${"y".repeat(3_000_000)}`);
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(1);
    expect(rejections.count).toBe(1);
    expect(rejections.samples[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/longer than/) });
  });

  it("rejects non-UTF-8 lines instead of mangling them, and accepts real UTF-8", async () => {
    const good = archiveLine({
      properties: { accountName: "acct1", serviceType: "blob", objectKey: "/acct1/c/файл-名前" },
    });
    const bad = Buffer.from(archiveLine({ uri: "https://x/\u00ff" }), "latin1");
    const file = await writeTemp(
      "PT1H.json",
      Buffer.concat([Buffer.from(good + "\n"), bad, Buffer.from("\n" + archiveLine() + "\n")]),
    );
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(2);
    expect(records[0]!.objectKey).toBe("/acct1/c/файл-名前");
    expect(rejections.samples).toEqual([
      expect.objectContaining({ line: 2, reason: expect.stringMatching(/UTF-8/) }),
    ]);
  });

  it("reads values past ASCII exactly, whatever spaces follow the line's object", async () => {
    // A line with characters of more than one byte is decoded as UTF-8: its text is shorter than its
    // bytes, so no value may be read from the bytes at the text's offsets, even when the bytes up to the
    // text's length (spaces following the object) hold a whole object.
    const objectKeys = ["/acct1/c/a", "/acct1/c/файл-名前"];
    // The value past ASCII last in the line: nothing after it trips a walk that reads at wrong offsets.
    const lines = [403, 200, 401, 404].map((statusCode, k) =>
      archiveLine({
        statusCode,
        callerIpAddress: "10.0.0.1:5000",
        uri: undefined,
        protocol: undefined,
        properties: {
          accountName: "acct1",
          serviceType: "blob",
          objectKey: objectKeys[k % 2],
          userAgentHeader: "café",
        },
      }),
    );
    const text = lines.map((l) => l + " ".repeat(12) + "\n").join("");
    const file = await writeTemp("PT1H.json", text);
    for (const lean of [false, true]) {
      const rejections = new RejectionCollector(10);
      const records: StorageRequest[] = [];
      for await (const r of readStorageRequests([file], { rejections, lean })) records.push(r);
      expect(rejections.count).toBe(0);
      expect(records.map((r) => r.userAgent)).toEqual(["café", "café", "café", "café"]);
      expect(records.map((r) => r.callerIp)).toEqual(["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.1"]);
      for (const [k, r] of records.entries())
        if (isAuthFailure(r)) expect(r.objectKey).toBe(objectKeys[k % 2]);
    }
  });

  it("accepts CRLF line ends, a BOM, blank lines and escaped strings", async () => {
    const escaped = archiveLine({ uri: 'https://a/b?x="q"&y=\\path\u0001' });
    const file = await writeTemp("PT1H.json", `\ufeff${archiveLine()}\r\n\r\n   \n${escaped}\r\n`);
    const { records, rejections } = await readStorage([file]);
    expect(rejections.count).toBe(0);
    expect(records).toHaveLength(2);
    expect(records[1]!.uri).toBe('https://a/b?x="q"&y=\\path\u0001');
  });

  it("treats an empty or whitespace-only file as no rows, not a failure", async () => {
    const empty = await writeTemp("empty.json", "");
    const blank = await writeTemp("blank.json", "\n \r\n\t\n");
    const { records, rejections } = await readStorage([empty, blank]);
    expect(records).toHaveLength(0);
    expect(rejections.count).toBe(0);
  });
});

describe("NDJSON Log Analytics rows", () => {
  const row = {
    TimeGenerated: "2024-05-01T10:00:00.1234567Z",
    AccountName: "acct2",
    OperationName: "PutBlob",
    StatusCode: "403",
    StatusText: "AuthenticationFailed",
    AuthenticationType: "AccountKey",
    AuthenticationHash: "key2(ABC)",
    CallerIpAddress: "10.0.0.9:1234",
    UserAgentHeader: '"AzCopy/10.0"',
    Type: "StorageBlobLogs",
    _ResourceId:
      "/subscriptions/s/resourcegroups/rg/providers/microsoft.storage/storageaccounts/acct2/blobservices/default",
    AuthorizationDetails: "",
    ExtraColumn: { anything: true },
  };

  it("reads string-typed rows without ServiceType, taking the service from Type", async () => {
    const file = await writeTemp("rows.ndjson", JSON.stringify(row) + "\n");
    const { records, rejections } = await readStorage([file]);
    expect(rejections.count).toBe(0);
    expect(records[0]).toMatchObject({
      account: "acct2",
      service: "blob",
      statusCode: 403,
      authType: "AccountKey",
      authHash: "key2(ABC)",
      callerIp: "10.0.0.9",
      userAgent: "AzCopy/10.0",
    });
    expect(records[0]!.authorizationDetails).toBeUndefined();
  });

  it("takes the service from _ResourceId when Type and ServiceType are missing", async () => {
    const { Type: _t, ...noType } = row;
    const file = await writeTemp("rows.ndjson", JSON.stringify(noType) + "\n");
    const { records } = await readStorage([file]);
    expect(records[0]!.service).toBe("blob");
  });

  it("rejects a row whose service cannot be told", async () => {
    const { Type: _t, _ResourceId: _r, ...bare } = row;
    const file = await writeTemp("rows.ndjson", JSON.stringify(bare) + "\n");
    const { rejections } = await readStorage([file]);
    expect(rejections.samples[0]).toMatchObject({ line: 1, field: "ServiceType" });
  });
});

describe("format detection", () => {
  it("does not hold a long run of leading whitespace and still counts lines", async () => {
    const file = await writeTemp("PT1H.json", "\n".repeat(200_000) + archiveLine() + "\n{broken\n");
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(1);
    expect(rejections.samples).toEqual([expect.objectContaining({ line: 200_002 })]);
  });
});
