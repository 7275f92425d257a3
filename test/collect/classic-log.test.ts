import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeHtmlEntities, splitClassicLine } from "../../src/collect/classic-log.js";
import { classifyChallenge } from "../../src/classify/classify.js";
import { gz, readActivity, readStorage, tempDir, writeTemp } from "./helpers.js";

const CORPUS = join(import.meta.dirname, "classic-corpus");

describe("classic Storage Analytics lines: real public lines", () => {
  it("reads the REST docs' 1.0 samples: &amp; in a quoted URL, empty fields, anonymous and Shared Key", async () => {
    const { records, rejections } = await readStorage([join(CORPUS, "azure-storage-net-tests.log")]);
    expect(rejections.samples).toEqual([]);
    expect(records).toHaveLength(2);
    const [anon, put] = records;
    expect(anon).toMatchObject({
      timeMs: Date.parse("2011-08-09T18:52:40.924Z"),
      account: "myaccount",
      service: "blob",
      operation: "GetBlob",
      statusCode: 200,
      statusText: "AnonymousSuccess",
      authType: "Anonymous",
      uri: "https://myaccount.blob.core.windows.net/thumb&nails/lake.jpg?timeout=30000",
      objectKey: "/myaccount/thumbnails/lake.jpg",
      correlationId: "a84aa705-8a85-48c5-b064-b43bd22979c3",
      callerIp: "123.100.2.10",
      operationVersion: "2009-09-19",
      clientRequestId: "8/9/2011 6:52:40 PM ba98eb12-700b-4d53-9230-33a3330571fc",
      protocol: "HTTPS",
    });
    expect(anon!.userAgent).toBeUndefined();
    expect(put).toMatchObject({
      statusText: "Success",
      statusCode: 201,
      authType: "AccountKey",
      callerIp: "201.9.10.20",
    });
  });

  it("reads the Learn exercise's 2.0 lines with CRLF, an &quot;-encoded ETag and empty Entra fields", async () => {
    const { records, rejections } = await readStorage([join(CORPUS, "learn-exercise-2.0.log")]);
    expect(rejections.samples).toEqual([]);
    expect(records.map((r) => [r.operation, r.statusCode, r.authType, r.callerIp, r.userAgent])).toEqual([
      ["PutBlob", 201, "AccountKey", "40.91.210.176", "Azure-Storage/9.3.2 (.NET Core)"],
      ["GetBlob", 200, "AccountKey", "40.91.210.176", "Azure-Storage/9.3.2 (.NET Core)"],
    ]);
    expect(records[0]!.clientRequestId).toBe("d76a96e0-9f66-4476-b5e0-b8979b69ea85");
    expect(records[0]!.requesterObjectId).toBeUndefined();
  });

  it("reads the two real IP 403s (bearer and a SAS URL with `;` inside quotes) as network verdicts", async () => {
    const { records, rejections } = await readStorage([join(CORPUS, "jp-support-blog-ip-403.log")]);
    expect(rejections.samples).toEqual([]);
    expect(records.map((r) => [r.statusText, r.statusCode, r.authType, r.callerIp])).toEqual([
      ["OAuthIpAuthorizationError", 403, "OAuth", "192.100.0.102"],
      ["SASIpAuthorizationError", 403, "SAS", "192.100.0.102"],
    ]);
    expect(records[1]!.uri).toBe(
      "https://XXXXXXXXX.blob.core.windows.net:443/XXXXXXXXX/XXXXXXXXX.txt?XXXXXXXXX;timeout=901",
    );
    expect(records[1]!.userAgent).toBe("AzCopy/10.6.0 Azure-Storage/0.10 (go1.13; Windows_NT)");
    const oauth = classifyChallenge({
      errorCode: "OAuthIpAuthorizationError",
      authType: "OAuth",
      statusCode: 403,
    });
    expect(oauth.decision).toBe("network");
    expect(oauth.ambiguous).toBeUndefined();
    const sas = classifyChallenge({ errorCode: "SASIpAuthorizationError", authType: "SAS", statusCode: 403 });
    expect(sas.decision).toBe("network");
    expect(sas.ambiguous?.between).toEqual(["network", "sas"]);
    expect(sas.ambiguous?.narrowedBy).toMatch(/sip/);
  });

  it("reads a `$logs` layout tree (blob, queue, table) and .gz files by content, not by name", async () => {
    const root = await tempDir();
    const line = (service: string, status: string, auth: string) =>
      `1.0;2024-05-01T10:00:00.1234567Z;GetMessages;${status};403;2;2;${auth};;acct;${service};"https://acct.${service}.core.windows.net/q";"/acct/q";11111111-0000-0000-0000-000000000000;0;10.1.2.3:5000;2023-11-03;300;0;200;0;0;;;;;;"agent/1.0";;"c1"\n`;
    await writeTemp(
      "blob/2024/05/01/1000/000000.log",
      line("blob", "AuthorizationError", "authenticated"),
      root,
    );
    await writeTemp(
      "queue/2024/05/01/1000/000000.log",
      gz(line("queue", "SASAuthorizationError", "sas")),
      root,
    );
    await writeTemp(
      "table/2024/05/01/1000/000001.log",
      line("table", "IpAuthorizationError", "authenticated"),
      root,
    );
    const { records, rejections } = await readStorage([root]);
    expect(rejections.samples).toEqual([]);
    expect(records.map((r) => [r.service, r.statusText, r.authType])).toEqual([
      ["blob", "AuthorizationError", "AccountKey"],
      ["queue", "SASAuthorizationError", "SAS"],
      ["table", "IpAuthorizationError", "AccountKey"],
    ]);
  });
});

describe("classic lines: fields", () => {
  it("splits quoted fields with `;` inside, doubled quotes and a trailing empty field", () => {
    expect(splitClassicLine('a;"x;y";"say ""hi""";')).toEqual(["a", "x;y", 'say "hi"', ""]);
    expect(splitClassicLine('"&quot;0x1&quot;";b')).toEqual(['"0x1"', "b"]);
    expect(splitClassicLine('a;"open')).toEqual({
      problem: "quoted field not closed before the end of the line",
      field: 1,
    });
    expect(decodeHtmlEntities("a&amp;b&lt;c&gt;&#59;&#x3B;&bogus;")).toBe("a&b<c>;;&bogus;");
  });

  it("reads a 2.0 OAuth line's Entra fields and its authorization detail", async () => {
    const detail =
      "[{&quot;action&quot;:&quot;Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read&quot;,&quot;denyAssignmentId&quot;:&quot;&quot;,&quot;principals&quot;:[{&quot;id&quot;:&quot;oid-1&quot;,&quot;type&quot;:&quot;User&quot;}],&quot;reason&quot;:&quot;Policy&quot;,&quot;result&quot;:&quot;Denied&quot;}]";
    const line = `2.0;2024-05-01T10:00:00.0000000Z;GetBlob;AuthorizationError;403;5;5;oauth;;acct;blob;"https://acct.blob.core.windows.net/c/b";"/acct/c/b";22222222-0000-0000-0000-000000000000;0;10.9.9.9:1234;2023-11-03;300;0;200;0;0;;;;;;"app/2";;"c2";oid-1;tenant-1;app-1;https://storage.azure.com;https://sts.windows.net/tenant-1/;ana@contoso.com;;"${detail}"\r\n`;
    const { records, rejections } = await readStorage([await writeTemp("x.log", line)]);
    expect(rejections.samples).toEqual([]);
    expect(records[0]).toMatchObject({
      authType: "OAuth",
      requesterObjectId: "oid-1",
      requesterTenantId: "tenant-1",
      requesterAppId: "app-1",
      requesterAudience: "https://storage.azure.com",
      requesterUpn: "ana@contoso.com",
      authorizationDetails: [
        expect.objectContaining({ result: "Denied", principals: [{ id: "oid-1", type: "User" }] }),
      ],
    });
  });

  it("rejects bad lines with file, line and field, and keeps the good ones", async () => {
    const good = `1.0;2024-05-01T10:00:00.0000000Z;GetBlob;Success;200;1;1;authenticated;acct;acct;blob;"https://acct.blob.core.windows.net/c";"/acct/c";33333333-0000-0000-0000-000000000000;0;10.0.0.1:1;2023-11-03;1;0;1;0;0;;;;;;;;`;
    const fields = good.split(";");
    const withField = (i: number, v: string) => fields.map((f, k) => (k === i ? v : f)).join(";");
    const file = await writeTemp(
      "000000.log",
      [
        good,
        withField(1, "yesterday"),
        withField(4, "forbidden"),
        withField(9, ""),
        withField(10, "dfs"),
        "1.0;2024-05-01T10:00:00Z;GetBlob;Success;200",
        "3.0;" + fields.slice(1).join(";"),
        withField(29, '"unclosed'),
        good,
      ].join("\n"),
    );
    const { records, rejections } = await readStorage([file]);
    expect(records).toHaveLength(2);
    expect(rejections.samples.map((r) => [r.line, r.field])).toEqual([
      [2, "request-start-time"],
      [3, "http-status-code"],
      [4, "owner-account-name"],
      [5, "service-type"],
      [6, "(record)"],
      [7, "version-number"],
      [8, "client-request-id"],
    ]);
    expect(rejections.samples[4]!.reason).toBe("5 fields where a version 1.0 line has 30");
    expect(rejections.samples.every((r) => r.file === file)).toBe(true);
  });

  it("refuses a classic log passed as activity once, naming the file", async () => {
    const { events, rejections } = await readActivity([join(CORPUS, "azure-storage-net-tests.log")]);
    expect(events).toEqual([]);
    expect(rejections.count).toBe(1);
    expect(rejections.samples[0]).toMatchObject({ field: "(file)", reason: expect.stringMatching(/--logs/) });
  });
});
