import { describe, expect, it } from "vitest";
import { readStorage, writeTemp } from "./helpers.js";

/** What real diagnostic-setting exports contain beyond the basics, and how they are saved. */
describe("pretty-printed JSON records", () => {
  it("are read as records (test/collect/pretty-json.test.ts has the rest), never as one malformed line each", async () => {
    const record = {
      time: "2024-05-01T10:00:00.0000000Z",
      resourceId:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default",
      operationName: "GetBlob",
      statusCode: 403,
      statusText: "AuthorizationPermissionMismatch",
    };
    const text = [record, record, record].map((r) => JSON.stringify(r, null, 2)).join("\n");
    const file = await writeTemp("PT1H.json", text);
    const { records, rejections } = await readStorage([file]);
    expect(rejections.count).toBe(0);
    expect(records).toHaveLength(3);
    expect(records[2]).toMatchObject({ account: "acct", operation: "GetBlob", statusCode: 403 });
    // A pretty-printed Logs API response is still a Logs API response.
    const api = JSON.stringify({ tables: [{ name: "PrimaryResult", columns: [], rows: [] }] }, null, 2);
    const { rejections: none } = await readStorage([await writeTemp("api.json", api)]);
    expect(none.count).toBe(0);
  });
});

describe("diagnostic-setting record fields read beyond the basics", () => {
  const base = {
    time: "2024-05-01T10:00:00.1234567Z",
    resourceId:
      "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1/blobServices/default",
    operationName: "GetBlob",
    statusCode: 403,
    statusText: "AuthorizationPermissionMismatch",
  };

  it("reads the token issuer, the delegated resource, identity.properties.objectKey and properties.requestUrl", async () => {
    const rec = {
      ...base,
      identity: {
        type: "OAuth",
        requester: {
          objectId: "oid-1",
          upn: "ana@contoso.com",
          tokenIssuer: "https://sts.windows.net/tid-1/",
        },
        delegatedResource: {
          resourceId: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Web/sites/app1",
          tenantId: "tid-1",
        },
        properties: { objectKey: "/acct1/c/b.txt" },
      },
      properties: {
        accountName: "acct1",
        serviceType: "blob",
        requestUrl: "https://acct1.blob.core.windows.net/c/b.txt",
      },
    };
    // Both the byte fast path (ASCII) and JSON.parse (a non-ASCII UPN) give the same record.
    const utf = {
      ...rec,
      identity: { ...rec.identity, requester: { ...rec.identity.requester, upn: "anä@contoso.com" } },
    };
    const { records, rejections } = await readStorage([
      await writeTemp("PT1H.json", JSON.stringify(rec) + "\n" + JSON.stringify(utf) + "\n"),
    ]);
    expect(rejections.samples).toEqual([]);
    for (const r of records)
      expect(r).toMatchObject({
        requesterTokenIssuer: "https://sts.windows.net/tid-1/",
        delegatedResourceId: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Web/sites/app1",
        objectKey: "/acct1/c/b.txt",
        uri: "https://acct1.blob.core.windows.net/c/b.txt",
      });
    expect(records.map((r) => r.requesterUpn)).toEqual(["ana@contoso.com", "anä@contoso.com"]);
  });

  it("rejects a record whose account in properties and in resourceId disagree, naming both", async () => {
    const rec = { ...base, properties: { accountName: "acct2", serviceType: "blob" } };
    const row = {
      TimeGenerated: base.time,
      AccountName: "acct9",
      _ResourceId: base.resourceId,
      OperationName: "GetBlob",
      StatusCode: "403",
      ServiceType: "blob",
    };
    const { records, rejections } = await readStorage([
      await writeTemp("PT1H.json", JSON.stringify(rec) + "\n" + JSON.stringify(row) + "\n"),
    ]);
    expect(records).toEqual([]);
    expect(rejections.samples.map((r) => [r.line, r.field, r.reason])).toEqual([
      [1, "properties.accountName", 'names account "acct2" but resourceId is of account "acct1"'],
      [2, "AccountName", 'names account "acct9" but _ResourceId is of account "acct1"'],
    ]);
  });
});
