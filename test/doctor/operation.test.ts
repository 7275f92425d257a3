import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/doctor/doctor.js";
import { operationOf, targetOf, withService, type StorageService } from "../../src/doctor/operation.js";
import { inferServiceFromAnswer } from "../../src/doctor/service-inference.js";
import { operationPermissions } from "../../src/permissions/index.js";
import { remedyForDoctorReport } from "../../src/remedy/from-doctor.js";

type Case = [
  method: string,
  url: string,
  service: StorageService,
  expected: string | undefined,
  headers?: string,
];

const hdrs = (spec?: string) =>
  (spec ?? "")
    .split(";")
    .filter(Boolean)
    .map((kv) => ({ name: kv.slice(0, kv.indexOf(":")), value: kv.slice(kv.indexOf(":") + 1) }));

const opOf = ([method, url, service, , headers]: Case) => {
  const u = new URL(url);
  return operationOf(method, u, withService(targetOf(u), service), hdrs(headers));
};

// Azurite's path-style URLs: the account is the first segment, the port names the service.
const BLOB = "http://127.0.0.1:10000/devstoreaccount1";
const QUEUE = "http://127.0.0.1:10001/devstoreaccount1";
const TABLE = "http://127.0.0.1:10002/devstoreaccount1";
// Azurite has no Files endpoint: a path-style Files URL (IP host, proxy) gets its service from --service.
const FILE = "http://10.0.0.4:8080/acct";

describe("operationOf: the OperationName Storage logs, for path-style and emulator URLs", () => {
  const cases: Case[] = [
    ["GET", `${BLOB}/container/blob`, "blob", "GetBlob"],
    ["HEAD", `${BLOB}/container/blob`, "blob", "GetBlobProperties"],
    ["PUT", `${BLOB}/container/blob`, "blob", "PutBlob"],
    ["DELETE", `${BLOB}/container/dir/blob.txt`, "blob", "DeleteBlob"],
    ["PUT", `${BLOB}/container?restype=container`, "blob", "CreateContainer"],
    ["GET", `${BLOB}/container?restype=container&comp=list`, "blob", "ListBlobs"],
    ["GET", `${BLOB}/?comp=list`, "blob", "ListContainers"],
    ["GET", `${QUEUE}/jobs/messages`, "queue", "GetMessages"],
    ["GET", `${QUEUE}/jobs/messages?peekonly=true`, "queue", "PeekMessages"],
    ["POST", `${QUEUE}/jobs/messages`, "queue", "PutMessage"],
    ["PUT", `${QUEUE}/jobs/messages/0f1e?popreceipt=AgAA`, "queue", "UpdateMessage"],
    ["DELETE", `${QUEUE}/jobs/messages/0f1e?popreceipt=AgAA`, "queue", "DeleteMessage"],
    ["DELETE", `${QUEUE}/jobs/messages`, "queue", "ClearMessages"],
    ["PUT", `${QUEUE}/jobs`, "queue", "CreateQueue"],
    ["GET", `${QUEUE}/?comp=list`, "queue", "ListQueues"],
    // A GET on a queue without comp=metadata is no operation: never guessed as GetQueueMetadata.
    ["GET", `${QUEUE}/jobs`, "queue", undefined],
    ["GET", `${TABLE}/Tables`, "table", "QueryTables"],
    ["POST", `${TABLE}/Tables`, "table", "CreateTable"],
    ["DELETE", `${TABLE}/Tables('orders')`, "table", "DeleteTable"],
    ["GET", `${TABLE}/orders()`, "table", "QueryEntities"],
    ["GET", `${TABLE}/orders(PartitionKey='p',RowKey='r')`, "table", "QueryEntity"],
    ["POST", `${TABLE}/orders`, "table", "InsertEntity"],
    ["PUT", `${TABLE}/orders(PartitionKey='p',RowKey='r')`, "table", "UpdateEntity", "If-Match:*"],
    ["PUT", `${TABLE}/orders(PartitionKey='p',RowKey='r')`, "table", "InsertOrReplaceEntity"],
    ["MERGE", `${TABLE}/orders(PartitionKey='p',RowKey='r')`, "table", "MergeEntity", "If-Match:*"],
    ["MERGE", `${TABLE}/orders(PartitionKey='p',RowKey='r')`, "table", "InsertOrMergeEntity"],
    ["DELETE", `${TABLE}/orders(PartitionKey='p',RowKey='r')`, "table", "DeleteEntity", "If-Match:*"],
    ["GET", `${TABLE}/orders?comp=acl`, "table", "GetTableACL"],
    ["GET", `${FILE}/share/dir/file.txt`, "file", "GetFile"],
    ["HEAD", `${FILE}/share/file.txt`, "file", "GetFileProperties"],
    ["PUT", `${FILE}/share/file.txt`, "file", "CreateFile"],
    ["PUT", `${FILE}/share/file.txt`, "file", "CopyFile", "x-ms-copy-source:https://a/b"],
    ["DELETE", `${FILE}/share/file.txt`, "file", "DeleteFile"],
    ["PUT", `${FILE}/share/dir?restype=directory`, "file", "CreateDirectory"],
    ["GET", `${FILE}/share?restype=directory&comp=list`, "file", "ListFilesAndDirectories"],
    ["PUT", `${FILE}/share?restype=share`, "file", "CreateShare"],
    ["GET", `${FILE}/?comp=list`, "file", "ListShares"],
  ];
  for (const c of cases)
    it(`${c[0]} ${c[1]} (${c[2]}) → ${c[3] ?? "unknown"}`, () => expect(opOf(c)).toBe(c[3]));
});

describe("operationOf: each comp= variant", () => {
  const lease = (action: string) => `x-ms-lease-action:${action}`;
  const cases: Case[] = [
    ["PUT", `${BLOB}/c/b?comp=block&blockid=AAA`, "blob", "PutBlock"],
    ["PUT", `${BLOB}/c/b?comp=block&blockid=AAA`, "blob", "PutBlockFromURL", "x-ms-copy-source:https://a/b"],
    ["PUT", `${BLOB}/c/b?comp=blocklist`, "blob", "PutBlockList"],
    ["GET", `${BLOB}/c/b?comp=blocklist`, "blob", "GetBlockList"],
    ["PUT", `${BLOB}/c/b?comp=appendblock`, "blob", "AppendBlock"],
    ["PUT", `${BLOB}/c/b?comp=page`, "blob", "PutPage", "x-ms-page-write:update"],
    ["PUT", `${BLOB}/c/b?comp=page`, "blob", "ClearPage", "x-ms-page-write:clear"],
    ["GET", `${BLOB}/c/b?comp=pagelist`, "blob", "GetPageRegions"],
    ["PUT", `${BLOB}/c/b?comp=properties`, "blob", "SetBlobProperties"],
    ["PUT", `${BLOB}/c/b?comp=metadata`, "blob", "SetBlobMetadata"],
    ["GET", `${BLOB}/c/b?comp=metadata`, "blob", "GetBlobMetadata"],
    ["HEAD", `${BLOB}/c/b?comp=metadata`, "blob", "GetBlobMetadata"],
    ["PUT", `${BLOB}/c/b?comp=tags`, "blob", "SetBlobTags"],
    ["GET", `${BLOB}/c/b?comp=tags`, "blob", "GetBlobTags"],
    ["PUT", `${BLOB}/c/b?comp=snapshot`, "blob", "SnapshotBlob"],
    ["PUT", `${BLOB}/c/b?comp=tier`, "blob", "SetBlobTier"],
    ["PUT", `${BLOB}/c/b?comp=lease`, "blob", "AcquireBlobLease", lease("acquire")],
    ["PUT", `${BLOB}/c/b?comp=lease`, "blob", "RenewBlobLease", lease("renew")],
    ["PUT", `${BLOB}/c/b?comp=lease`, "blob", "ChangeBlobLease", lease("change")],
    ["PUT", `${BLOB}/c/b?comp=lease`, "blob", "ReleaseBlobLease", lease("release")],
    ["PUT", `${BLOB}/c/b?comp=lease`, "blob", "BreakBlobLease", lease("break")],
    // Without the action header the lease operation cannot be told: no guess.
    ["PUT", `${BLOB}/c/b?comp=lease`, "blob", undefined],
    ["PUT", `${BLOB}/c?restype=container&comp=lease`, "blob", "AcquireContainerLease", lease("acquire")],
    ["PUT", `${BLOB}/c?restype=container&comp=lease`, "blob", "BreakContainerLease", lease("break")],
    ["PUT", `${BLOB}/c?restype=container&comp=metadata`, "blob", "SetContainerMetadata"],
    ["GET", `${BLOB}/c?restype=container&comp=metadata`, "blob", "GetContainerMetadata"],
    ["GET", `${BLOB}/c?restype=container&comp=acl`, "blob", "GetContainerACL"],
    ["PUT", `${BLOB}/c?restype=container&comp=acl`, "blob", "SetContainerACL"],
    ["GET", `${BLOB}/c?restype=container`, "blob", "GetContainerProperties"],
    ["POST", `${BLOB}/?restype=service&comp=userdelegationkey`, "blob", "GetUserDelegationKey"],
    ["GET", `${BLOB}/?restype=service&comp=properties`, "blob", "GetBlobServiceProperties"],
    ["PUT", `${QUEUE}/jobs?comp=metadata`, "queue", "SetQueueMetadata"],
    ["GET", `${QUEUE}/jobs?comp=metadata`, "queue", "GetQueueMetadata"],
    ["GET", `${QUEUE}/jobs?comp=acl`, "queue", "GetQueueACL"],
    ["PUT", `${QUEUE}/jobs?comp=acl`, "queue", "SetQueueACL"],
    ["PUT", `${FILE}/share/f?comp=range`, "file", "PutRange"],
    ["GET", `${FILE}/share/f?comp=rangelist`, "file", "ListRanges"],
    ["PUT", `${FILE}/share/f?comp=metadata`, "file", "SetFileMetadata"],
    ["GET", `${FILE}/share/f?comp=metadata`, "file", "GetFileMetadata"],
    ["PUT", `${FILE}/share/f?comp=properties`, "file", "SetFileProperties"],
    ["PUT", `${FILE}/share/f?comp=lease`, "file", "LeaseFile", lease("acquire")],
    ["PUT", `${FILE}/share/f?comp=copy&copyid=1`, "file", "AbortCopyFile"],
    ["GET", `${FILE}/share/d?restype=directory&comp=listhandles`, "file", "ListHandles"],
    ["PUT", `${FILE}/share/d?restype=directory&comp=metadata`, "file", "SetDirectoryMetadata"],
    ["PUT", `${FILE}/share?restype=share&comp=metadata`, "file", "SetShareMetadata"],
    ["GET", `${FILE}/share?restype=share&comp=metadata`, "file", "GetShareMetadata"],
    ["PUT", `${FILE}/share?restype=share&comp=properties`, "file", "SetShareProperties"],
    ["GET", `${FILE}/share?restype=share&comp=stats`, "file", "GetShareStats"],
  ];
  for (const c of cases)
    it(`${c[0]} ${c[1].replace(/^.*?\/\/[^/]+\/[^/]+/, "")}${c[4] ? ` [${c[4]}]` : ""} → ${c[3] ?? "unknown"}`, () =>
      expect(opOf(c)).toBe(c[3]));

  it("names only operations the permission table knows (or none)", () => {
    for (const c of cases) {
      const op = opOf(c);
      if (op) expect(operationPermissions(c[2], op), op).toBeDefined();
    }
  });
});

describe("the explain remedy uses the doctor's operation", () => {
  const sasDenied = (method: string, url: string) =>
    remedyForDoctorReport(
      diagnose(
        {
          request: { method, url, headers: [{ name: "x-ms-version", value: "2025-01-05" }] },
          format: "json",
        },
        {
          status: 403,
          headers: [{ name: "x-ms-error-code", value: "AuthorizationPermissionMismatch" }],
          body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>',
        },
      ),
    );
  const sas = "sv=2025-01-05&sr=c&sp=r&se=2099-01-01T00%3A00%3A00Z&sig=c2ln";
  // A queue service SAS has no signed resource; a table SAS names its table (tn) instead of a signed resource.
  const queueSas = "sv=2025-01-05&sp=r&se=2099-01-01T00%3A00%3A00Z&sig=c2ln";
  const tableSas = "sv=2019-02-02&tn=orders&sp=r&se=2099-01-01T00%3A00%3A00Z&sig=c2ln";

  it.each([
    ["POST", `${QUEUE}/jobs/messages?${queueSas}`, "a for PutMessage"],
    ["DELETE", `${QUEUE}/jobs/messages/0f1e?popreceipt=AgAA&${queueSas}`, "p for DeleteMessage"],
    ["PUT", `${BLOB}/reports/q3.csv?comp=metadata&${sas}`, "w for SetBlobMetadata"],
    ["POST", `${TABLE}/orders?${tableSas}`, "a for InsertEntity"],
  ])("%s %s needs %s", (method, url, needed) => {
    const remedy = sasDenied(method, url)!;
    expect(remedy.facts).toContainEqual({ label: "Needed by the failing operations", value: needed });
  });

  it("keeps the emulator account out of the object the remedy targets", () => {
    const remedy = sasDenied("PUT", `${BLOB}/reports/q3.csv?comp=metadata&${sas}`)!;
    const mint = remedy.commands.map((c) => c.command).join("\n");
    expect(mint).toContain("az storage container generate-sas --name reports ");
    expect(mint).toContain("--account-name devstoreaccount1");
  });
});

const SIGNED_DATE = "Sat, 05 Dec 2026 18:00:00 GMT";

/** A dated request Storage answered 403 AuthenticationFailed, with `detail` as its AuthenticationErrorDetail. */
const sharedKeyRefused = (url: string, headers: string, detail: string) =>
  diagnose(
    {
      format: "http",
      request: {
        method: "GET",
        url,
        headers: hdrs(`x-ms-date:${SIGNED_DATE};x-ms-version:2023-11-03;${headers}`),
      },
      response: {
        status: 403,
        headers: hdrs("x-ms-error-code:AuthenticationFailed;x-ms-request-id:1a2b"),
        body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message><AuthenticationErrorDetail>${detail}</AuthenticationErrorDetail></Error>`,
      },
    },
    undefined,
  );

/** Storage's refusal of a Shared Key GET of data/q1.csv, quoting the string it signed for `account`. */
const macMismatch = (account: string) =>
  `The MAC signature found in the HTTP request 'c2lnbmF0dXJl' is not the same as any computed signature. Server used following string to sign: 'GET\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\nx-ms-date:${SIGNED_DATE}\\nx-ms-version:2023-11-03\\n/${account}/data/q1.csv'.`;

describe("targetOf: the account and service a URL names", () => {
  it.each([
    ["https://contoso.blob.core.windows.net/data/q1.csv", "contoso", "blob", ["data", "q1.csv"], false],
    [
      "https://contoso-secondary.queue.core.windows.net/jobs/messages",
      "contoso",
      "queue",
      ["jobs", "messages"],
      false,
    ],
    // A private endpoint's own name, as clients in locked-down networks sometimes address it.
    [
      "https://contoso.privatelink.blob.core.windows.net/data/q1.csv",
      "contoso",
      "blob",
      ["data", "q1.csv"],
      false,
    ],
    // Azure DNS zone endpoints: <account>.z<NN>.<service>.storage.azure.net.
    ["https://contoso.z13.file.storage.azure.net/share/a.txt", "contoso", "file", ["share", "a.txt"], false],
    ["https://contoso.dfs.core.windows.net/fs/dir/a.txt", "contoso", "blob", ["fs", "dir", "a.txt"], false],
    [
      "http://127.0.0.1:10000/devstoreaccount1/data/a.txt",
      "devstoreaccount1",
      "blob",
      ["data", "a.txt"],
      true,
    ],
    ["http://azurite:10001/devstoreaccount1/jobs", "devstoreaccount1", "queue", ["jobs"], true],
    ["http://host.docker.internal:10000/devstoreaccount1/data", "devstoreaccount1", "blob", ["data"], true],
    // Azurite behind a Kubernetes service name: its default port still says path-style.
    [
      "http://azurite.dev.svc.cluster.local:10002/devstoreaccount1/orders",
      "devstoreaccount1",
      "table",
      ["orders"],
      true,
    ],
    // A custom domain maps onto one account's Blob endpoint: the path starts at the container.
    ["https://files.contoso.com/data/q1.csv", undefined, undefined, ["data", "q1.csv"], false],
  ])("%s", (url, account, service, segments, pathStyle) => {
    const t = targetOf(new URL(url));
    expect({ account: t.account, service: t.service, segments: t.segments, pathStyle: t.pathStyle }).toEqual({
      account,
      service,
      segments,
      pathStyle,
    });
  });

  it("reads a Shared Key request to a private endpoint's own name as the account's, not as another account's", () => {
    const report = sharedKeyRefused(
      "https://contoso.privatelink.blob.core.windows.net/data/q1.csv",
      "Authorization:SharedKey contoso:c2lnbmF0dXJl",
      macMismatch("contoso"),
    );
    expect(report.request.account).toBe("contoso");
    expect(report.findings.map((f) => f.id)).not.toContain("sharedkey-account-mismatch");
  });
});

describe("a custom domain's account", () => {
  it("is the one Storage's Shared Key string-to-sign names", () => {
    const report = sharedKeyRefused(
      "https://files.contoso.com/data/q1.csv",
      "Authorization:SharedKey contosodata:c2lnbmF0dXJl",
      macMismatch("contosodata"),
    );
    expect(report.request.account).toBe("contosodata");
    expect(report.request.accountSource).toBe("the account Storage's string-to-sign names");
  });

  it("is the one Storage's SAS string-to-sign names", () => {
    const report = sharedKeyRefused(
      "https://files.contoso.com/data/q1.csv?sv=2025-01-05&sr=b&sp=r&se=2026-12-06T00%3A00%3A00Z&sig=q2Vt1yV%2BGm0P9cQnHc6R4q1mYgq8sQ8dFzK3sVq8Xk4%3D",
      "",
      "Signature did not match. String to sign used was r\\n\\n2026-12-06T00:00:00Z\\n/blob/contosodata/data/q1.csv\\n\\n\\n\\n2025-01-05\\nb\\n\\n\\n\\n\\n\\n\\n",
    );
    expect(report.request.account).toBe("contosodata");
  });

  it("stays unknown without Storage's string-to-sign, and the host's account is never replaced", () => {
    expect(
      sharedKeyRefused(
        "https://files.contoso.com/data/q1.csv",
        "Authorization:SharedKey contosodata:c2ln",
        "",
      ).request.account,
    ).toBeUndefined();
    const onHost = sharedKeyRefused(
      "https://other.blob.core.windows.net/data/q1.csv",
      "Authorization:SharedKey contosodata:c2ln",
      `Server used following string to sign: 'GET\\n/contosodata/data/q1.csv'.`,
    );
    expect(onHost.request.account).toBe("other");
    expect(onHost.request.accountSource).toBeUndefined();
  });
});

describe("inferServiceFromAnswer: the service that answered, from the Server header", () => {
  it.each([
    ["Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0", "blob"],
    ["Windows-Azure-HDFS/1.0 Microsoft-HTTPAPI/2.0", "blob"],
    ["Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0", "queue"],
    ["Windows-Azure-Table/1.0 Microsoft-HTTPAPI/2.0", "table"],
    ["Windows-Azure-File/1.0 Microsoft-HTTPAPI/2.0", "file"],
    ["Azurite-Blob/3.35.0", "blob"],
    ["Azurite-Queue/3.35.0", "queue"],
    ["Azurite-Table/3.35.0", "table"],
    ["nginx/1.25.3", undefined],
    ["Microsoft-HTTPAPI/2.0", undefined],
  ])("%s → %s", (server, service) => {
    expect(inferServiceFromAnswer([{ name: "Server", value: server }])?.service).toBe(service);
  });

  it("outranks what the request looks like, and gives a path-style request on another port its remedy", () => {
    // Azurite's Blob service moved off its default port (--blobPort 11000), answering a Shared Key request.
    const report = diagnose(
      {
        format: "http",
        request: {
          method: "GET",
          url: "http://127.0.0.1:11000/devstoreaccount1/reports/q3.csv",
          headers: hdrs(
            "x-ms-date:Sat, 05 Dec 2026 18:00:00 GMT;x-ms-version:2025-01-05;Authorization:SharedKey devstoreaccount1:c2ln",
          ),
        },
        response: {
          status: 403,
          headers: hdrs(
            "Server:Azurite-Blob/3.35.0;x-ms-error-code:AuthorizationFailure;x-ms-request-id:1a2b",
          ),
          body: "",
        },
      },
      undefined,
    );
    expect(report.request.service).toBe("blob");
    expect(report.request.serviceSource).toBe("the answer's Server header is Azurite-Blob/3.35.0");
    const remedy = remedyForDoctorReport(report)!;
    expect(remedy.commands.map((c) => c.command)).toEqual([
      "azurite --debug <azurite-debug.log>",
      "auth-triage explain --request <azurite-debug.log>",
    ]);
  });
});

describe("operationOf: ADLS Gen2 requests, as StorageBlobLogs names them", () => {
  const DFS = "https://contosolake.dfs.core.windows.net";
  it.each([
    ["GET", `${DFS}/?resource=account`, "ListFilesystems"],
    ["PUT", `${DFS}/raw?resource=filesystem`, "CreateFilesystem"],
    ["DELETE", `${DFS}/raw?resource=filesystem`, "DeleteFilesystem"],
    ["HEAD", `${DFS}/raw?resource=filesystem`, "GetFilesystemProperties"],
    ["GET", `${DFS}/raw?resource=filesystem&recursive=false&directory=landing`, "ListFilesystemDir"],
    ["PUT", `${DFS}/raw/landing/events.json?resource=file`, "CreatePathFile"],
    ["PUT", `${DFS}/raw/landing?resource=directory`, "CreatePathDir"],
    ["PATCH", `${DFS}/raw/landing/events.json?action=append&position=0`, "AppendFile"],
    ["PATCH", `${DFS}/raw/landing/events.json?action=flush&position=512`, "FlushFile"],
    ["PATCH", `${DFS}/raw/landing?action=setAccessControl`, "SetPathAccessControl"],
    ["HEAD", `${DFS}/raw/landing/events.json?action=getAccessControl`, "GetPathAccessControl"],
    ["HEAD", `${DFS}/raw/landing/events.json`, "GetPathProperties"],
    ["GET", `${DFS}/raw/landing/events.json`, "ReadFile"],
    ["DELETE", `${DFS}/raw/landing/events.json`, "DeleteFile"],
    ["DELETE", `${DFS}/raw/landing?recursive=true`, "DeleteDirectory"],
    // The same parameters through a custom domain or a proxy: they exist only in the Data Lake API.
    [
      "PATCH",
      "https://lake.contoso.com/raw/landing/events.json?action=flush&position=512",
      "FlushFile",
      "blob",
    ],
  ])("%s %s → %s", (method, url, expected, service?: string) => {
    const u = new URL(url);
    const target = service ? withService(targetOf(u), service as StorageService) : targetOf(u);
    expect(operationOf(method, u, target)).toBe(expected);
    expect(operationPermissions("blob", expected)).toBeDefined();
  });

  it("renames by x-ms-rename-source", () => {
    const u = new URL("https://contosolake.dfs.core.windows.net/raw/curated/events.json?mode=legacy");
    expect(operationOf("PUT", u, targetOf(u), hdrs("x-ms-rename-source:/raw/landing/events.json"))).toBe(
      "RenamePathFile",
    );
  });
});
